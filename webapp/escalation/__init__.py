"""On call and escalation: rotations, policies, and the engine that pages people until someone
acknowledges. Registers its worker jobs and the supervisors' coverage warning with the app."""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_login import current_user

from ..database import utcnow
from ..notify.worker import Job, register
from .engine import next_repage_due, next_step_due, repage_stalled, run_due, start_new
from .manage import all_gaps


def escalate(now: datetime) -> int:
    """Start escalations for new incidents (first, so a new incident's first page goes out in this
    same pass) and run the steps that are due."""
    return start_new(now) + run_due(now)


def coverage_warning() -> int:
    """For supervisors: how many policy levels would page nobody reachable right now."""
    if not (current_user.is_authenticated and current_user.is_supervisor):
        return 0
    return len(all_gaps(utcnow()))


def init_app(app: Flask) -> None:
    register(app, Job("escalations", escalate, next_step_due, order=10))
    register(app, Job("repages", repage_stalled, next_repage_due, order=20))
    app.jinja_env.globals["coverage_warning"] = coverage_warning
