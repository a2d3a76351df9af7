"""What the on-call API and admin pages take and answer: teams, schedules, overrides, escalation policies.

The models say what a type can (types, required keys, lengths, ranges, choices); `validation.py` still
checks what needs the database (the people, teams and schedules that exist) and its messages stay.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BeforeValidator, Field

from ..common.schemas import ROW_ID, Answer, Body, Form, FormId, OptionalFormId, RowId
from ..incidents.models import INCIDENT_ROLES
from ..rules.classification import CATEGORIES, SEVERITIES
from .oncall import PERIOD_DAYS
from .policy import TARGET_KINDS
from .validation import (
    MAX_DELAY_MINUTES,
    MAX_LEVELS,
    MAX_NAME,
    MAX_REPEATS,
    MAX_ROTATION,
    MAX_RULES,
    MAX_TARGETS,
)

TAGS = ("On call",)
MAX_PEOPLE = 1000  # people ticked on one form, or listed in a team
MAX_SITES = 500

Period = Literal[tuple(PERIOD_DAYS)]  # "daily", "weekly"
Role = Literal[tuple(INCIDENT_ROLES)]
Category = Literal[tuple(CATEGORIES)]
Severity = Literal[tuple(SEVERITIES)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME)]
SiteCode = Annotated[str, Field(min_length=1, max_length=20)]
ZoneName = Annotated[str, Field(min_length=1, max_length=64, description="an IANA time zone",
                                examples=["Australia/Sydney"])]
Handoff = Annotated[str, Field(pattern=r"^[0-9]{2}:[0-9]{2}(:[0-9]{2})?$", examples=["08:00"],
                               description="the local time of day of each hand-off, HH:MM")]
FirstDay = Annotated[date, Field(description="the local date of the first hand-off (a weekly rotation hands off "
                                             "on its weekday)")]
Rotation = Annotated[list[RowId], Field(min_length=1, max_length=MAX_ROTATION,
                                        description="user ids in hand-off order (someone may appear twice)")]
Members = Annotated[list[RowId], Field(max_length=MAX_PEOPLE, description="user ids of responders, supervisors "
                                                                          "or admins")]


def _no_default(schema: dict[str, Any]) -> None:
    schema.pop("default", None)


def _kept(**constraints: Any) -> Any:
    """A key a partial update may leave out (what is saved stays); sent, it must hold a value, not null."""
    return Field(None, json_schema_extra=_no_default, **constraints)


# ---- JSON bodies ----

class TeamIn(Body):
    """A new team."""
    name: Name
    members: Members = []


class TeamChange(Body):
    """A change to a team: only the keys sent change."""
    name: Name = _kept()
    members: Members = _kept()


class ScheduleIn(Body):
    """A new on-call rotation."""
    name: Name
    team_id: RowId | None = None
    timezone: ZoneName
    period: Period
    handoff: Handoff
    first_day: FirstDay
    members: Rotation


class ScheduleChange(Body):
    """A change to a rotation: only the keys sent change."""
    name: Name = _kept()
    team_id: RowId | None = None
    timezone: ZoneName = _kept()
    period: Period = _kept()
    handoff: Handoff = _kept()
    first_day: FirstDay = _kept()
    members: Rotation = _kept()


class OverrideIn(Body):
    """Someone on call for a stretch of time, in place of the rotation."""
    user_id: RowId = Field(description="a responder, supervisor or admin; anyone but a supervisor may only put "
                                       "themselves on call")
    start: AwareDatetime = Field(description="with its UTC offset")
    end: AwareDatetime = Field(description="with its UTC offset; after the start, still to come, at most 62 days on")


class UserTarget(Body):
    """Page this person."""
    kind: Literal["user"]
    ref: RowId = Field(description="a user id")


class ScheduleTarget(Body):
    """Page whoever is on call on this schedule."""
    kind: Literal["schedule"]
    ref: RowId = Field(description="a schedule id")


class RoleTarget(Body):
    """Page whoever holds this role on the incident."""
    kind: Literal["role"]
    ref: Role


Target = Annotated[UserTarget | ScheduleTarget | RoleTarget, Field(discriminator="kind")]


class LevelIn(Body):
    """One level: who is paged, and how long to wait for an acknowledgement before the next level."""
    delay_minutes: int = Field(ge=1, le=MAX_DELAY_MINUTES)
    targets: list[Target] = Field(min_length=1, max_length=MAX_TARGETS)


class RuleIn(Body):
    """When an incident matches, this policy runs (rules are tried by priority across all policies; the first
    match wins). null matches anything."""
    priority: int = Field(100, ge=0, le=1000, description="lower is tried first")
    sites: list[SiteCode] | None = Field(None, min_length=1, max_length=MAX_SITES)
    categories: list[Category] | None = Field(None, min_length=1, max_length=len(CATEGORIES))
    severities: list[Severity] | None = Field(None, min_length=1, max_length=len(SEVERITIES))


Levels = Annotated[list[LevelIn], Field(min_length=1, max_length=MAX_LEVELS)]
Rules = Annotated[list[RuleIn], Field(max_length=MAX_RULES)]
Repeats = Annotated[int, Field(ge=0, le=MAX_REPEATS, description="how many more times the whole policy runs")]


class PolicyIn(Body):
    """A new escalation policy."""
    name: Name
    team_id: RowId | None = None
    repeats: Repeats = 0
    levels: Levels
    rules: Rules = []


class PolicyChange(Body):
    """A change to a policy: only the keys sent change (levels and rules are replaced whole)."""
    name: Name = _kept()
    team_id: RowId | None = None
    repeats: Repeats = _kept()
    levels: Levels = _kept()
    rules: Rules = _kept()


# ---- answers ----

class TeamOut(Answer):
    """A team, with what is listed under it."""
    id: int
    name: str
    members: list[int]
    schedules: list[int] = Field(description="ids of its schedules")
    escalation_policies: list[int] = Field(description="ids of its escalation policies")


class TeamList(Answer):
    """Every team, by name."""
    teams: list[TeamOut]


class ShiftOut(Answer):
    """A stretch of time someone is on call."""
    user_id: int
    start: datetime
    end: datetime
    override: bool = Field(description="whether an override puts them on call, rather than the rotation")


class OverrideOut(Answer):
    """An override still to come or under way."""
    id: int
    user_id: int
    start: datetime
    end: datetime


class ScheduleOut(Answer):
    """A rotation, with who is on call now and next."""
    id: int
    name: str
    team_id: int | None
    timezone: str
    period: Period
    handoff: str = Field(description="HH:MM, local time")
    first_day: date
    members: list[int] = Field(description="user ids in hand-off order")
    overrides: list[OverrideOut]
    on_call_now: ShiftOut | None = Field(description="null when nobody is on call yet")
    next: ShiftOut | None


class ScheduleWithOverride(ScheduleOut):
    """The schedule after an override was added, and the override's id."""
    override_id: int


class ScheduleList(Answer):
    """Every schedule, by name."""
    schedules: list[ScheduleOut]


class TargetOut(Answer):
    """Who a level pages."""
    kind: Literal[tuple(TARGET_KINDS)]
    ref: int | str = Field(description="a user id, a schedule id, or an incident role")


class LevelOut(Answer):
    """One level of a policy."""
    delay_minutes: int
    targets: list[TargetOut]


class RuleOut(Answer):
    """A rule that chooses the policy; null matches anything."""
    priority: int
    sites: list[str] | None
    categories: list[Category] | None
    severities: list[Severity] | None


class PolicyOut(Answer):
    """An escalation policy, with the levels nobody could be alerted on now."""
    id: int
    name: str
    team_id: int | None
    repeats: int
    levels: list[LevelOut]
    rules: list[RuleOut]
    coverage_warnings: list[str]


class PolicyList(Answer):
    """Every escalation policy, by name."""
    escalation_policies: list[PolicyOut]


# ---- the pages' forms ----

def _whole_or_typed(value: Any) -> Any:
    """A number a person typed: blank is None, a whole number its int, anything else ("1.5", "ten") the text
    itself, which the validator refuses with the page's own message (the form kept)."""
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if re.fullmatch(r"-?[0-9]{1,30}", text):
            return int(text)
    return value


# (the range on the int alone: pydantic applies a constraint on `int | None` to None too, and fails)
Number = Annotated[Annotated[int, Field(ge=-ROW_ID, le=ROW_ID)] | Annotated[str, Field(max_length=40)] | None,
                   BeforeValidator(_whole_or_typed)]
Text = Annotated[str, Field(max_length=MAX_NAME)]
TARGET = re.compile(r"^(user|schedule):[0-9]{1,10}$|^role:(" + "|".join(INCIDENT_ROLES) + ")$")
TargetChoice = Annotated[str, Field(pattern=TARGET.pattern, description="kind:ref, e.g. schedule:3")]


class OverrideForm(Form):
    """"I'll cover it": the on-call page's form (times are local to the schedule)."""
    user_id: OptionalFormId = Field(None, description="a supervisor's choice; anyone else covers themselves")
    start: str = Field("", max_length=40)
    end: str = Field("", max_length=40)


class TeamForm(Form):
    """A team, added or saved."""
    name: Text = ""
    members: list[FormId] = Field([], max_length=MAX_PEOPLE)


class ScheduleForm(Form):
    """A rotation, added or saved; empty slots of the rotation are left out."""
    name: Text = ""
    team_id: OptionalFormId = None
    timezone: str = Field("", max_length=64)
    period: Period | None = None
    handoff: str = Field("", max_length=12)
    first_day: str = Field("", max_length=20)
    members: list[OptionalFormId] = Field([], max_length=2 * MAX_ROTATION)


class PolicyForm(Form):
    """A policy's name, team and repeats."""
    name: Text = ""
    team_id: OptionalFormId = None
    repeats: Number = 0


class LevelForm(Form):
    """A level added to a policy."""
    delay_minutes: Number = None
    targets: list[TargetChoice] = Field([], max_length=MAX_PEOPLE)


class NewPolicyForm(PolicyForm):
    """A new policy and its first level."""
    delay_minutes: Number = None
    targets: list[TargetChoice] = Field([], max_length=MAX_PEOPLE)


class RuleForm(Form):
    """A rule added to a policy; a group left empty matches anything."""
    priority: Number = 100
    sites: list[SiteCode] = Field([], max_length=MAX_SITES)
    categories: list[Category] = Field([], max_length=len(CATEGORIES))
    severities: list[Severity] = Field([], max_length=len(SEVERITIES))
