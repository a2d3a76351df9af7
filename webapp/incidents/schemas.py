"""What the incident page's forms post (declared; see common/schemas.py). A person's mistake (no reason, a
move the lifecycle does not allow) still gets the page back with its message; these refuse what no
browser of ours sends: an unknown field, a field twice, a choice not on the page, an id that is not one."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, create_model

from ..common.schemas import Form, OptionalFormId
from ..rules.answer_types import form_fields
from ..rules.answers import ENVELOPE
from ..rules.classification import SEVERITIES
from .actions import RESPONDER_PROGRESS
from .lifecycle import ALL_STATUSES
from .models import INCIDENT_ROLES

Status = Literal[ALL_STATUSES]
Severity = Literal[SEVERITIES]
REASON = Field("", description="why, in words (logged on the timeline)")


class StatusForm(Form):
    """Move the incident along its lifecycle."""
    status: Status
    reason: str = REASON
    was: Status | None = Field(None, description="the status the page showed")


class SeverityForm(Form):
    """A supervisor's override of the severity."""
    severity: Severity
    reason: str = REASON
    was: Severity | None = Field(None, description="the severity the page showed")


class RoleForm(Form):
    """Give an incident role to a person (blank: nobody)."""
    role: Literal[tuple(INCIDENT_ROLES)]
    user_id: OptionalFormId = None
    was: str | None = Field(None, max_length=10, pattern=r"^[0-9]*$", description="the holder's id the page showed")


class NoteForm(Form):
    note: str = ""


class ProgressForm(Form):
    progress: Literal[tuple(RESPONDER_PROGRESS)]


class AwareAtForm(Form):
    aware_at: str = Field("", max_length=40, description="a local date and time at the incident's site")
    reason: str = REASON


AnswersForm = create_model(
    "AnswersForm", __base__=Form, __doc__="A supervisor's correction of the report's answers.",
    reason=(str, REASON), answers_seen=(str | None, Field(None, max_length=64)),
    **{key: field for key, field in form_fields().items() if key not in ENVELOPE})
