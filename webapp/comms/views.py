"""Posting status updates and declaring a major incident, from the incident page."""
from __future__ import annotations

from flask import Blueprint, request
from flask_login import current_user

from ..auth.security import staff_required, supervisor_required
from ..database import utcnow
from ..incidents.views import act_on
from . import service

bp = Blueprint("comms", __name__)


@bp.post("/incidents/<reference>/updates")
@staff_required
def post_update(reference: str):
    form = request.form
    return act_on(reference, "update", lambda i: service.post_update(
        i, form.get("audience", ""), form.get("text"), current_user, utcnow()))


@bp.post("/incidents/<reference>/major")
@supervisor_required
def declare_major(reference: str):
    return act_on(reference, "major", lambda i: service.declare_major(i, current_user, utcnow()))
