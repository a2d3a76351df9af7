"""Recording what was done about an incident's obligations, and the rule table for admins to review."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, render_template
from flask_login import current_user

from ..auth.security import admin_required, supervisor_required
from ..common.errors import ActionRefused
from ..common.schemas import declare
from ..common.timewords import read_local_datetime
from ..database import utcnow
from ..incidents.views import act_on
from ..organisation.models import Organisation
from . import service
from .regimes import DISCLAIMER, REGIMES, Facts
from .schemas import DoneForm, EventForm, NotRequiredForm, OwnerForm

bp = Blueprint("obligations", __name__)


def _moment(incident, text: str):
    """A local date-time from the form in the site's zone; now when left empty."""
    text = text.strip()
    if not text:
        return utcnow()
    try:
        return read_local_datetime(text, ZoneInfo(incident.site.timezone))
    except ValueError:
        raise ActionRefused("Enter the date and time, or leave it empty for now") from None


@bp.post("/incidents/<reference>/obligations/<int:obligation_id>/done")
@supervisor_required
@declare(form=DoneForm)
def mark_done(reference: str, obligation_id: int, form: DoneForm):
    return act_on(reference, "obligations", lambda i: service.mark_done(
        i, obligation_id, _moment(i, form.done_at), form.reference, current_user, utcnow()))


@bp.post("/incidents/<reference>/obligations/<int:obligation_id>/not-required")
@supervisor_required
@declare(form=NotRequiredForm)
def mark_not_required(reference: str, obligation_id: int, form: NotRequiredForm):
    return act_on(reference, "obligations", lambda i: service.mark_not_required(
        i, obligation_id, form.reason, current_user))


@bp.post("/incidents/<reference>/obligations/<int:obligation_id>/owner")
@supervisor_required
@declare(form=OwnerForm)
def assign_owner(reference: str, obligation_id: int, form: OwnerForm):
    return act_on(reference, "obligations", lambda i: service.assign_owner(
        i, obligation_id, form.user_id, current_user))


@bp.post("/incidents/<reference>/obligations/events")
@supervisor_required
@declare(form=EventForm)
def record_event(reference: str, form: EventForm):
    return act_on(reference, "obligations", lambda i: service.record_event(
        i, form.event, _moment(i, form.at), current_user, utcnow()))


@bp.get("/admin/regulatory")
@admin_required
def rule_table():
    """Every regime, when it applies and its steps' rules, for an admin to review."""
    profile = Organisation.current().profile()
    sample = Facts(answers={}, jurisdiction="AU-NSW", timezone="UTC", profile={k: True for k in profile},
                   aware_at=utcnow(), occurred_at=utcnow())
    rows = [(regime, regime.steps(sample)) for regime in REGIMES]
    return render_template("admin/regulatory.html", rows=rows, disclaimer=DISCLAIMER, profile=profile)
