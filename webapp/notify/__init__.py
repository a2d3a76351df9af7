"""The notification core: every message the app sends (pages, repeats, deadline and clock reminders,
update reminders, test alerts, stakeholder emails) goes through here, on every channel (web push,
email, the in-app list); and the worker that runs the jobs features register.

Features call `outbox.queue` (or `leads.page_leads`) and `worker.register`; this package imports no
feature (see .importlinter).
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_login import current_user

from ..database import utcnow
from ..extensions import db
from ..incidents import hooks
from ..incidents.models import Incident
from .fallback import fall_back, next_fallback
from .inapp import waiting_count
from .models import CHANNELS, STATES, Message
from .outbox import deliver_due, next_delivery
from .vapid import check_subject
from .worker import Job, engine_status, register


class DevMailboxOutsideDevelopment(RuntimeError):
    """The development mailbox keeps emails instead of sending them: never in production."""


def messages_about(incident: Incident) -> list[Message]:
    """Every alert sent about the incident, oldest first: who, how, and how far it got (the in-app
    copies are left out: they are the list, not a way of reaching someone)."""
    return list(db.session.scalars(db.select(Message).where(Message.incident_id == incident.id,
                                                            Message.user_id.is_not(None), Message.channel != "app")
                                   .order_by(Message.id)))


def _detail(incident: Incident, viewer, now: datetime) -> dict:
    return {"pages": messages_about(incident) if viewer.is_staff else []}


def engine_warning() -> str | None:
    """For supervisors: a warning when no worker has reported lately (nothing is being sent)."""
    if not (current_user.is_authenticated and current_user.is_supervisor):
        return None
    status = engine_status(utcnow())
    if not status["stale"]:
        return None
    if status["last_beat"] is None:
        return "Alerts are not being sent: no escalation worker has run yet."
    minutes = int(status["age_seconds"] // 60)
    return f"Alerts are not being sent: the escalation worker last reported {minutes} min ago."


def alerts_waiting() -> int:
    """For the header's badge: the signed-in person's alerts that still want an answer."""
    if not (current_user.is_authenticated and current_user.is_staff):
        return 0
    return waiting_count(current_user)


def init_app(app: Flask) -> None:
    check_subject(app)
    if app.config.get("DEV_MAILBOX") and not app.config.get("DEVELOPMENT"):
        raise DevMailboxOutsideDevelopment("DEV_MAILBOX keeps emails inside the app instead of sending them: it "
                                           "only works with DEVELOPMENT=1. Set MAIL_SERVER for real email.")
    hooks.hooks(app).detail.append(_detail)
    register(app, Job("fallback", fall_back, next_fallback, order=90))
    register(app, Job("deliveries", deliver_due, next_delivery, order=100))
    app.jinja_env.globals.update(engine_warning=engine_warning, alerts_waiting=alerts_waiting,
                                 PAGE_STATES=STATES, CHANNELS=CHANNELS)
