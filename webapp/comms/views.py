"""Posting status updates and declaring a major incident, from the incident page."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from ..auth.security import staff_required, supervisor_required
from ..common.schemas import Form, declare
from ..database import utcnow
from ..incidents.views import act_on
from . import service
from .schemas import UpdateForm

bp = Blueprint("comms", __name__)


@bp.post("/incidents/<reference>/updates")
@staff_required
@declare(form=UpdateForm)
def post_update(reference: str, form: UpdateForm):
    return act_on(reference, "update", lambda i: service.post_update(i, form.audience, form.text, current_user,
                                                                     utcnow()))


@bp.post("/incidents/<reference>/major")
@supervisor_required
@declare(form=Form)
def declare_major(reference: str, form: Form):
    return act_on(reference, "major", lambda i: service.declare_major(i, current_user, utcnow()))
