"""The forms that record what was done about an incident's obligations. The service still says the rest
(a time between the incident and now, a reason given), with its own messages."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..common.schemas import Form, OptionalFormId
from .service import EVENT_STEPS

LOCAL_TIME = Field("", max_length=40, description="the site's local date and time (YYYY-MM-DDTHH:MM); empty for now")


class DoneForm(Form):
    """A step done: the regulator's reference (or the inspector's name, for a site released), and when."""
    reference: str = Field("", max_length=200)
    done_at: str = LOCAL_TIME


class NotRequiredForm(Form):
    """A step that is not required, and why."""
    reason: str = Field("", max_length=1000)


class OwnerForm(Form):
    """Who makes this notification (empty: nobody named, the commander else the supervisors)."""
    user_id: OptionalFormId = None


class EventForm(Form):
    """Something that starts a step's clock happened (the regulator asked for written notice), and when."""
    event: Literal[("", *EVENT_STEPS)] = ""
    at: str = LOCAL_TIME
