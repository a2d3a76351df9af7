"""Recording what was done about an incident's obligations, and the rule table for admins to review."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, render_template, request
from flask_login import current_user

from ..auth.security import admin_required, supervisor_required
from ..common.errors import ActionRefused
from ..common.http import digits
from ..common.timewords import read_local_datetime
from ..database import utcnow
from ..incidents.views import act_on
from ..organisation.models import Organisation
from . import service
from .regimes import DISCLAIMER, REGIMES, Facts

bp = Blueprint("obligations", __name__)


def _moment(incident, field: str):
    """A local date-time from the form in the site's zone; now when left empty."""
    text = request.form.get(field, "").strip()
    if not text:
        return utcnow()
    try:
        return read_local_datetime(text, ZoneInfo(incident.site.timezone))
    except ValueError:
        raise ActionRefused("Enter the date and time, or leave it empty for now") from None


@bp.post("/incidents/<reference>/obligations/<int:obligation_id>/done")
@supervisor_required
def mark_done(reference: str, obligation_id: int):
    return act_on(reference, "obligations", lambda i: service.mark_done(
        i, obligation_id, _moment(i, "done_at"), request.form.get("reference"), current_user, utcnow()))


@bp.post("/incidents/<reference>/obligations/<int:obligation_id>/not-required")
@supervisor_required
def mark_not_required(reference: str, obligation_id: int):
    return act_on(reference, "obligations", lambda i: service.mark_not_required(
        i, obligation_id, request.form.get("reason"), current_user))


@bp.post("/incidents/<reference>/obligations/<int:obligation_id>/owner")
@supervisor_required
def assign_owner(reference: str, obligation_id: int):
    raw = request.form.get("user_id", "")
    if raw and not digits(raw):
        abort(400)
    return act_on(reference, "obligations", lambda i: service.assign_owner(
        i, obligation_id, int(raw) if raw else None, current_user))


@bp.post("/incidents/<reference>/obligations/events")
@supervisor_required
def record_event(reference: str):
    return act_on(reference, "obligations", lambda i: service.record_event(
        i, request.form.get("event", ""), _moment(i, "at"), current_user, utcnow()))


@bp.get("/admin/regulatory")
@admin_required
def rule_table():
    """Every regime, when it applies and its steps' rules, for an admin to review."""
    profile = Organisation.current().profile()
    sample = Facts(answers={}, jurisdiction="AU-NSW", timezone="UTC", profile={k: True for k in profile},
                   aware_at=utcnow(), occurred_at=utcnow())
    rows = [(regime, regime.steps(sample)) for regime in REGIMES]
    return render_template("admin/regulatory.html", rows=rows, disclaimer=DISCLAIMER, profile=profile)
