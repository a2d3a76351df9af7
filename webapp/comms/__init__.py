"""Communications: major incidents, status updates on a cadence with reminders, and stakeholder email."""
from __future__ import annotations

from datetime import datetime

from flask import Flask

from ..incidents import hooks
from ..incidents.models import Incident
from ..notify.worker import Job, register
from .rules import AUDIENCES
from .service import email_states, next_update_reminder, on_severity, remind_updates, updates_of


def _reported(incident: Incident, actor, now: datetime) -> None:
    on_severity(incident, None, now)  # a P1 is a major incident from the start, automatically


def _changed(incident: Incident, change: hooks.Change) -> None:
    if change.severity_changed:
        on_severity(incident, change.actor, change.now)


def _detail(incident: Incident, viewer, now: datetime) -> dict:
    staff = viewer.is_staff
    return {"updates": updates_of(incident) if staff else [], "update_emails": email_states(incident) if staff else {},
            "audiences": AUDIENCES}


def init_app(app: Flask) -> None:
    registry = hooks.hooks(app)
    registry.reported.append(_reported)
    registry.changed.append(_changed)
    registry.detail.append(_detail)
    register(app, Job("update reminders", remind_updates, next_update_reminder, order=50))
