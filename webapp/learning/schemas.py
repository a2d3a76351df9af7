"""What the learning half takes and answers: the API's JSON bodies, query strings and answers, and the
pages' forms. The models say what a type system can (types, required keys, choices, lengths, list sizes);
the rules in rules/learning.py and the services still say the rest (a date not in the past, a ticket
link's shape, a blameless review's wording), with their own messages."""
from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from ..auth.models import ROLES
from ..common.schemas import Answer, Body, Form, OptionalFormId, Query, blank_is_none, text_up_to
from ..evidence.service import MAX_PHOTOS_PER_REQUEST
from ..rules.classification import CATEGORIES
from ..rules.learning import (
    ACTION_STATES,
    CONTRIBUTING_FACTORS,
    CONTROLS,
    MAX_ITEMS,
    MAX_LINE,
    MAX_STATEMENTS,
    MAX_TEXT,
    MAX_TITLE,
    MAX_WHYS,
    PRIORITIES,
    REVIEW_STATES,
    ROOT_CAUSE_CATEGORIES,
)

MAX_NAME = 200  # a witness's name
MAX_REF = 500  # a ticket link or key
MAX_NOTE = 1000  # a reason to send a review back, a note with a lesson sent to a site
MAX_TIMELINE = 200  # entries in a review's edited timeline
SHA256 = r"^[0-9a-fA-F]{64}$"

Category = Literal[tuple(ROOT_CAUSE_CATEGORIES)]
Control = Literal[tuple(CONTROLS)]
Priority = Literal[tuple(PRIORITIES)]
ActionState = Literal[tuple(ACTION_STATES)]
ReviewState = Literal[tuple(REVIEW_STATES)]
IncidentCategory = Literal[tuple(CATEGORIES)]
Item = Annotated[str, Field(max_length=MAX_LINE)]  # one item of a list in JSON (a why, a cause, a lesson)
Moment = Annotated[str, Field(max_length=64, json_schema_extra={"format": "date-time"},
                              description="ISO 8601 with a UTC offset, such as 2026-03-01T09:30:00+10:00")]


Line = text_up_to(MAX_LINE)  # one item of a list (a why, a cause, a lesson)
Text = text_up_to(MAX_TEXT)  # a paragraph (the root cause, a review's part, a statement)
Lines = text_up_to(MAX_ITEMS * (MAX_LINE + 1))  # a textarea of items, one a line
Note = text_up_to(MAX_NOTE)
Name = text_up_to(MAX_NAME)
Title = text_up_to(MAX_TITLE)


# --- JSON bodies ------------------------------------------------------------------------------------------

class StatementIn(Body):
    """One witness statement: who, what they saw, and when it was taken."""
    name: str = Field(max_length=MAX_NAME)
    statement: str = Field(max_length=MAX_TEXT)
    taken_at: Moment | None = Field(None, description="when it was taken (ISO 8601 with an offset); not given: "
                                                      "now for a new statement, as it was for one already kept")


class InvestigationIn(Body):
    """The investigation's fields to change (PUT): a field not sent stays as it is; null empties it."""
    whys: list[Item] | None = Field(
        None, max_length=MAX_WHYS, description="the 5 Whys chain: each answer asks why of the one before")
    immediate_causes: list[Item] | None = Field(None, max_length=MAX_ITEMS)
    underlying_causes: list[Item] | None = Field(None, max_length=MAX_ITEMS)
    root_cause: str | None = Field(None, max_length=MAX_TEXT)
    root_cause_category: Category | Literal[""] | None = Field(
        None, description="the category repeats are found by; empty or null: not decided yet")
    contributing_factors: list[Item] | None = Field(
        None, max_length=MAX_ITEMS,
        description="checklist codes (" + ", ".join(CONTRIBUTING_FACTORS) + ") or free text for another factor")
    witness_statements: list[StatementIn] | None = Field(
        None, max_length=MAX_STATEMENTS, description="every statement, as it should be kept: those not sent go")


class TimelineEntryIn(Body):
    """One line of the review's edited timeline."""
    at: Moment
    text: str = Field(min_length=1, max_length=MAX_LINE)


class ReviewIn(Body):
    """The review's text to change (PUT): a field not sent stays as it is. Writing one that does not exist
    yet starts it, its writer the author."""
    summary: str | None = Field(None, max_length=MAX_TEXT)
    impact: str | None = Field(None, max_length=MAX_TEXT)
    what_went_well: str | None = Field(None, max_length=MAX_TEXT)
    what_went_poorly: str | None = Field(None, max_length=MAX_TEXT)
    where_we_got_lucky: str | None = Field(None, max_length=MAX_TEXT)
    lessons: list[Item] | None = Field(
        None, max_length=MAX_ITEMS, description="each goes to the Lessons library when the review is published")
    timeline: list[TimelineEntryIn] | None = Field(
        None, max_length=MAX_TIMELINE, description="the edited excerpt of the incident's timeline; not edited: "
                                                   "the review follows the incident's own")


class ActionIn(Body):
    """A new corrective action."""
    title: str = Field(max_length=MAX_TITLE)
    owner_id: int = Field(ge=1, le=2**31 - 1, description="the person who does it (an active user's id)")
    due_date: date = Field(description="the last day it may be done, at the incident's site; not in the past")
    control: Control = Field(description="its level in the hierarchy of controls, most effective first")
    priority: Priority = "medium"
    completion_criteria: str | None = Field(None, max_length=MAX_LINE, description="how anyone can tell it is done")
    external_ref: str | None = Field(None, max_length=MAX_REF,
                                     description="a ticket link (https://…) or a ticket key such as OPS-123")


class DoneIn(Body):
    """The owner marks the action done: what was done, and photos uploaded first through /api/v1/photos."""
    evidence: str | None = Field(None, max_length=MAX_TEXT, description="what was done (needed unless photos show it)")
    photos: list[Annotated[str, Field(pattern=SHA256)]] | None = Field(
        None, max_length=MAX_PHOTOS_PER_REQUEST, description="the SHA-256 of each photo, as uploaded")


class VerifyIn(Body):
    """Someone other than the owner says whether the action works: true verifies it, false returns it to open."""
    effective: bool
    note: str | None = Field(None, max_length=MAX_TEXT, description="needed when it is not effective: what is missing")


# --- Query strings ------------------------------------------------------------------------------------------

class ActionsQuery(Query):
    """Filters for the corrective actions the caller may see."""
    owner: Annotated[str | None, BeforeValidator(blank_is_none)] = Field(
        None, pattern=r"^(me|[0-9]{1,10})$", description="`me`, or a person's id")
    status: Annotated[ActionState | None, BeforeValidator(blank_is_none)] = None


class LessonsQuery(Query):
    """Search and filters for the Lessons library."""
    q: str = Field("", max_length=200, description="words the lesson contains")
    site: Annotated[str | None, BeforeValidator(blank_is_none)] = Field(
        None, max_length=20, description="a site's code: lessons of incidents there")
    category: Annotated[IncidentCategory | None, BeforeValidator(blank_is_none)] = None


# --- Answers ------------------------------------------------------------------------------------------------------

class StatementOut(Answer):
    """A witness statement as kept."""
    name: str
    taken_at: datetime
    statement: str


class InvestigationOut(Answer):
    """An incident's investigation (empty lists and nulls until someone writes it)."""
    incident: str
    whys: list[str]
    immediate_causes: list[str]
    underlying_causes: list[str]
    root_cause: str
    root_cause_category: Category | None
    contributing_factors: list[str]
    updated_at: datetime | None
    updated_by: str | None = Field(description="the email of who last changed it")
    witness_statements: list[StatementOut]
    repeat_of: list[str] = Field(description="incidents with the same root-cause category at the site within 90 days")
    may_edit: bool = Field(description="whether the caller may change it")


class TimelineEntryOut(Answer):
    """One line of the review's timeline."""
    at: datetime
    text: str


class CausesOut(Answer):
    """The investigation's causes, as the review shows them (empty until the investigation is written)."""
    immediate_causes: list[str] = []
    underlying_causes: list[str] = []
    root_cause: str = ""
    root_cause_category: Category | None = None
    contributing_factors: list[str] = []


class ReviewActionOut(Answer):
    """A corrective action, as the review lists it."""
    id: int
    title: str
    status: ActionState
    control: Control


class HintOut(Answer):
    """Wording a blameless review should look at again: a warning, never a refusal."""
    field: str
    phrase: str
    hint: str


class ReviewOut(Answer):
    """An incident's post-incident review (status null: not started)."""
    incident: str
    status: ReviewState | None
    required: bool
    required_reason: str | None
    due: datetime | None
    author: str | None = Field(description="the author's email")
    summary: str
    impact: str
    what_went_well: str
    what_went_poorly: str
    where_we_got_lucky: str
    lessons: list[str]
    timeline: list[TimelineEntryOut]
    causes: CausesOut
    actions: list[ReviewActionOut]
    weak_controls: bool = Field(description="every action is administrative or PPE: the weakest controls")
    wording_hints: list[HintOut]
    submitted_at: datetime | None
    published_at: datetime | None
    published_by: str | None = Field(description="the approver's email")
    incident_status: str = Field(description="the incident's status, in words")


class PersonOut(Answer):
    """A person, as an action names its owner."""
    id: int
    email: str
    name: str
    role: Literal[ROLES]


class ActionOut(Answer):
    """A corrective action: open -> done (by its owner) -> verified (by someone else), or back to open."""
    id: int
    incident: str
    title: str
    owner: PersonOut
    owner_id: int
    due_date: date
    due: datetime = Field(description="the end of the due date at the incident's site")
    priority: Priority
    control: Control
    completion_criteria: str
    external_ref: str | None
    status: ActionState
    from_review: bool
    created_at: datetime
    done_at: datetime | None
    evidence: str | None
    photos: list[str] = Field(description="the SHA-256 of each photo the owner gave")
    verified_at: datetime | None
    verified_by: str | None = Field(description="the verifier's email")
    verify_note: str | None
    returned_reason: str | None = Field(description="why it last went back to open")
    effectiveness_questioned_by: str | None = Field(
        description="the incident that repeated its cause after it was verified (or 'a confidential incident')")


class ActionsOut(Answer):
    """Corrective actions, soonest due first."""
    actions: list[ActionOut]


class LessonOut(Answer):
    """A lesson of a published review (its incident is named only to those who may see it)."""
    id: int
    text: str
    incident: str | None
    site: str | None
    categories: list[str]
    published_at: datetime


class LessonsOut(Answer):
    """Lessons, newest first."""
    lessons: list[LessonOut]


# --- Pages' forms ---------------------------------------------------------------------------------------------------

class InvestigationForm(Form):
    """The investigation page."""
    why: list[Line] = Field([], max_length=MAX_WHYS)
    immediate_causes: Lines = ""
    underlying_causes: Lines = ""
    root_cause: Text = ""
    root_cause_category: Category | Literal[""] = ""
    factor: list[Literal[tuple(CONTRIBUTING_FACTORS)]] = Field([], max_length=len(CONTRIBUTING_FACTORS))
    other_factors: Lines = ""


class StatementForm(Form):
    """A witness statement (from the page, or later from the tablet's outbox)."""
    name: Name = ""
    statement: Text = ""
    taken_at: str = Field("", max_length=64, description="the site's local time, or ISO 8601 with an offset")


class ReviewStepForm(Form):
    """A step of the review: save (its text), start, submit, publish, send_back (with the reason)."""
    summary: Text = ""
    impact: Text = ""
    what_went_well: Text = ""
    what_went_poorly: Text = ""
    where_we_got_lucky: Text = ""
    lessons: Lines = ""
    timeline: Annotated[str | None, Field(max_length=1024 * 1024)] = None  # the whole excerpt, a line an entry
    timeline_shown: str = Field("", max_length=64, description="the digest of the timeline as it was shown")
    reason: Note = ""


class ActionForm(Form):
    """A new corrective action, from the review or the incident."""
    title: Title = ""
    owner_id: OptionalFormId = None
    due_date: str = Field("", max_length=40)
    priority: Priority | Literal[""] = ""
    control: Control | Literal[""] = ""
    completion_criteria: Line = ""
    external_ref: str = Field("", max_length=MAX_REF)
    from_: Literal["", "review"] = Field("", alias="from")


class ActionEditForm(Form):
    """Changes to an open action: only the fields sent are changed."""
    owner_id: OptionalFormId = None
    due_date: str = Field("", max_length=40)
    priority: Priority | None = None
    control: Control | Literal[""] = ""
    completion_criteria: Line = ""
    external_ref: str = Field("", max_length=MAX_REF)


class DoneForm(Form):
    """The owner marks the action done (the photo files come with the form, apart from these fields)."""
    evidence: Text = ""
    photos: list[Annotated[str, Field(max_length=64)]] = Field([], max_length=MAX_PHOTOS_PER_REQUEST)


class VerifyForm(Form):
    """Whether the action works, and a note (needed when it does not)."""
    effective: Literal["", "yes", "no"] = ""
    note: Text = ""


class ShareForm(Form):
    """A lesson sent to a site's staff."""
    site: str = Field("", max_length=20)
    note: Note = ""
