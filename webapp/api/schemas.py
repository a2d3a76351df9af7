"""What the incident, site and organisation API takes and answers (declared; see common/schemas.py)."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, create_model

from ..common.schemas import Answer, Body, Query
from ..incidents.lifecycle import ALL_STATUSES
from ..incidents.queries import NOT_CANCELLED
from ..organisation.rules import MAX_MONTH_HOURS, PROFILE_FLAGS, known_zone
from ..rules.answer_types import correction_fields, report_fields
from ..rules.answers import JURISDICTIONS
from ..rules.classification import SEVERITIES

Status = Literal[ALL_STATUSES]
Severity = Literal[SEVERITIES]
Reason = str | None
REASON = Field(default=None, max_length=1000, description="why, in words (logged on the timeline)")

ReportIn = create_model(
    "ReportIn", __base__=Body, __doc__="A report: REFERENCE section 5's answer keys. `description` and `what_happened` "
    "are required; `site` defaults to the reporter's home site; the same `client_id` again returns the first "
    "incident and creates nothing.", **report_fields())
AnswerChanges = create_model(
    "AnswerChanges", __base__=Body, __doc__="The answers to change (null removes one); not the description, site "
    "or times.", **correction_fields())


class StatusIn(Body):
    """A move along the lifecycle (REFERENCE section 1)."""
    status: Status
    reason: Reason = REASON


class CorrectionIn(Body):
    """A supervisor's correction of a report's answers: the incident is classified again."""
    answers: AnswerChanges  # type: ignore[valid-type]
    reason: Reason = REASON


Filter = Literal[(*ALL_STATUSES, "open", NOT_CANCELLED)]


class IncidentFilters(Query):
    """The incident list's filters."""
    status: Filter | None = Field(default=None, description="a status, `open` or `not_cancelled`")
    severity: Severity | None = None
    site: str | None = Field(default=None, max_length=20, description="a site's code")


class IncidentListQuery(IncidentFilters):
    """A page of the incident list, newest first."""
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=40, description="`next_cursor` of the page before")


class ExportQuery(IncidentFilters):
    """The incident list as CSV, by the dates reported (UTC, inclusive)."""
    model_config = {"populate_by_name": True}
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None


ProfileIn = create_model(
    "ProfileIn", __base__=Body, __doc__="The organisation's name and profile flags (what decides which regulators "
    "apply); send only what changes.", name=(str | None, Field(default=None, min_length=1, max_length=200)),
    **{flag: (bool | None, None) for flag in PROFILE_FLAGS})


class SiteIn(Body):
    """A new site."""
    code: str = Field(min_length=1, max_length=20, description="letters, digits and '-'")
    name: str = Field(min_length=1, max_length=200)
    jurisdiction: Literal[JURISDICTIONS]
    timezone: Annotated[str, AfterValidator(known_zone)] = Field(
        max_length=64, description="an IANA time zone such as Australia/Sydney")


class HoursIn(Body):
    """The hours worked at a site in a calendar month (replacing any given)."""
    hours: float = Field(ge=0, le=MAX_MONTH_HOURS)


# ---- answers ----

class Person(Answer):
    id: int
    email: str
    name: str
    role: str


class Coordinates(Answer):
    lat: float
    lon: float
    accuracy_m: float | None = None


class Photo(Answer):
    sha256: str
    size: int
    content_type: str
    width: int | None
    height: int | None
    gps: Coordinates | None
    name: str | None


class IncidentOut(Answer):
    """An incident."""
    reference: str
    client_id: str
    status: Status
    severity: Severity
    classified_severity: Severity
    severity_reasons: list[str]
    categories: list[str]
    confidential: bool
    high_potential: bool
    description: str
    site: str
    location: Coordinates | None
    answers: dict[str, Any]
    reporter: Person
    roles: dict[str, Person | None]
    photos: list[Photo]
    occurred_at: datetime
    submitted_at: datetime | None
    reported_at: datetime
    aware_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    recovered_at: datetime | None
    closed_at: datetime | None


class ReviewState(Answer):
    status: str | None
    required: bool
    due: date | None


class ActionLine(Answer):
    id: int
    title: str
    status: str
    due: date


class Learning(Answer):
    review: ReviewState | None
    actions: list[ActionLine]
    repeat_of: list[str]


class IncidentWithLearning(IncidentOut, Learning):
    """An incident with its learning half (a reporter gets no review)."""


class Obligation(Answer):
    regime: str
    step: str
    what: str
    rule: str
    deadline: datetime | None
    status: str
    urgent: bool
    waiting_for: str | None
    reasons: list[str]
    done_at: datetime | None
    reference: str | None
    not_required_reason: str | None
    owner: Person | None


class TimelineEntry(Answer):
    at: datetime
    what: str
    summary: str
    actor: str | None
    details: dict[str, Any] | None


class Clock(Answer):
    clock: str
    target: str
    due: datetime
    met_at: datetime | None
    state: str


class IncidentDetail(IncidentWithLearning):
    """An incident with its timeline, obligations and SLA clocks."""
    timeline: list[TimelineEntry]
    obligations: list[Obligation]
    sla: list[Clock]


class CorrectedIncident(IncidentWithLearning):
    """The incident as corrected, with its obligations recomputed."""
    obligations: list[Obligation]


class IncidentPage(Answer):
    """A page of incidents; `next_cursor` is null on the last."""
    incidents: list[IncidentOut]
    next_cursor: str | None


class Conflicted(Answer):
    """Refused: changed by someone else meanwhile; `current` is the incident as it is now."""
    error: str
    current: dict[str, Any] | None = None


class OrganisationOut(Answer):
    """The organisation's name and profile flags."""
    name: str


class SiteOut(Answer):
    code: str
    name: str
    jurisdiction: str
    timezone: str


class SiteList(Answer):
    sites: list[SiteOut]


class HoursOut(Answer):
    site: str
    month: str = Field(description="YYYY-MM")
    hours: float


class HoursList(Answer):
    hours: list[HoursOut]
