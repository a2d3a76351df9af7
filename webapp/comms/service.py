"""Major incidents, status updates with their cadence and reminders, and emailing them to stakeholders.

A P1 is a major incident from the moment it is reported; a supervisor declares any other one, once an
incident commander and a communications lead are assigned. A major incident, and any P1 or P2, has a
next status update due; when it passes, the communications lead (else the commander, else the
supervisors) is paged. Customer and public updates are emailed to the site's stakeholders through the
notification core: one email per stakeholder (nobody sees who else was told), sent by the worker with
retries.
"""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from ..auth.models import User
from ..common.errors import ActionRefused
from ..common.timewords import countdown
from ..database import claim_rows
from ..extensions import db
from ..incidents import hooks
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from ..notify.leads import page_leads
from ..notify.models import Message
from ..notify.outbox import queue
from ..notify.routes import mail_enabled
from .models import StatusUpdate
from .rules import AUDIENCES, REMINDED, next_update_due

MAX_UPDATE = 3000


def _cadence_severity(incident: Incident) -> str | None:
    if incident.severity in REMINDED:
        return incident.severity
    return "P2" if incident.major_at else None  # a declared major incident gets updates at least every 4 h


def _schedule_next(incident: Incident, after: datetime, last_update: datetime | None) -> None:
    severity = _cadence_severity(incident)
    incident.next_update_due_at = next_update_due(severity, after, last_update) if severity else None
    incident.update_reminded_at = None


def declare_major(incident: Incident, actor: User | None, now: datetime, automatic: bool = False) -> None:
    if incident.major_at is not None:
        raise ActionRefused(f"{incident.reference} is already a major incident")
    if not automatic:
        missing = [label for label, holder in (("an incident commander", incident.commander),
                                               ("a communications lead", incident.comms_lead)) if holder is None]
        if missing:
            raise ActionRefused(f"Assign {' and '.join(missing)} before declaring a major incident")
    incident.major_at = now
    _schedule_next(incident, now, None)
    why = "automatically: every P1 is a major incident" if automatic else "by " + actor.name
    incident.record("major", f"Declared a major incident {why}. Status updates are due on a cadence and a "
                    "post-incident review is required.", actor, automatic=automatic)
    if not automatic:  # a P1 is made major as it is reported: its facts are followed there
        hooks.changed(incident, hooks.Change("it was declared a major incident", actor, now))


def on_severity(incident: Incident, actor: User | None, now: datetime) -> None:
    """A report or a severity change: a P1 becomes a major incident; the update cadence follows."""
    if incident.severity == "P1" and incident.major_at is None:
        declare_major(incident, actor, now, automatic=True)
    elif incident.next_update_due_at is None or _cadence_severity(incident) is None:
        last = (db.session.scalar(db.select(db.func.max(StatusUpdate.at))
                                  .where(StatusUpdate.incident_id == incident.id)) if incident.id else None)
        _schedule_next(incident, incident.reported_at, last)


RESUBMIT_WINDOW = timedelta(minutes=2)


def post_update(incident: Incident, audience: str, text: str | None, actor: User, now: datetime) -> StatusUpdate:
    text = (text or "").strip()
    if audience not in AUDIENCES:
        raise ActionRefused("Choose who the update is for: internal, customers or public")
    if not text:
        raise ActionRefused("Write the update first")
    if len(text) > MAX_UPDATE:
        raise ActionRefused(f"An update can be at most {MAX_UPDATE} characters (this one has {len(text)})")
    again = db.session.scalar(db.select(StatusUpdate).where(
        StatusUpdate.incident_id == incident.id, StatusUpdate.author_id == actor.id, StatusUpdate.audience == audience,
        StatusUpdate.text == text, StatusUpdate.at >= now - RESUBMIT_WINDOW).limit(1))
    if again is not None:
        return again  # a double tap or a resent form: the customers are not told twice
    recipients = list(incident.site.stakeholders or []) if audience != "internal" else []
    emailing = bool(recipients and mail_enabled())
    update = StatusUpdate(incident_id=incident.id, audience=audience, text=text, author=actor, at=now,
                          recipients=recipients if emailing else [])
    db.session.add(update)
    db.session.flush()
    for address in update.recipients:  # one email each: no stakeholder sees the others' addresses
        queue("stakeholder", f"upd{update.id}", now, address=address, incident_id=incident.id,
              details={"audience": audience, "text": text, "at": now.isoformat()})
    incident.record("update", f"Status update ({AUDIENCES[audience].lower()}): {text}", actor, audience=audience,
                    emailed=len(recipients) if emailing else 0)
    if incident.is_open:
        _schedule_next(incident, now, now)
    return update


def updates_of(incident: Incident) -> list[StatusUpdate]:
    return list(db.session.scalars(db.select(StatusUpdate).where(StatusUpdate.incident_id == incident.id)
                                   .order_by(StatusUpdate.id.desc())))


def remind_updates(now: datetime, limit: int = 100) -> int:
    """Page whoever speaks for an incident whose next status update is overdue; once per due time."""
    incidents = db.session.scalars(claim_rows(
        db.select(Incident).where(Incident.status.in_(OPEN_STATUSES), Incident.next_update_due_at <= now,
                                  Incident.update_reminded_at.is_(None)).limit(limit))).all()
    for incident in incidents:
        about = f"Status update for {incident.reference} {countdown(incident.next_update_due_at, now)}"
        occasion = f"upd{incident.id}:{int(incident.next_update_due_at.timestamp())}"
        page_leads(incident, [incident.comms_lead, incident.commander], "update_due", occasion, about, False, now,
                   "update_reminder")
        incident.update_reminded_at = now
    db.session.commit()
    return len(incidents)


def email_states(incident: Incident) -> dict[int, dict]:
    """How each update's stakeholder emails went: {update id: {"sent": 2, "failed": 1, ...}, "errors": [...]}."""
    states: dict[int, Counter] = {}
    errors: dict[int, list[str]] = {}
    for message in db.session.scalars(db.select(Message).where(Message.incident_id == incident.id,
                                                               Message.kind == "stakeholder")):
        update_id = int(message.occasion.removeprefix("upd"))
        state = {"delivered": "sent", "shown": "sent", "sending": "pending"}.get(message.state, message.state)
        states.setdefault(update_id, Counter())[state] += 1
        if message.state == "failed":
            errors.setdefault(update_id, []).append(f"{message.address}: {message.last_error}")
    return {k: {**v, "errors": errors.get(k, [])} for k, v in states.items()}


def next_update_reminder(now: datetime) -> datetime | None:
    """When the next status update falls due on an open incident not yet reminded."""
    return db.session.scalar(db.select(db.func.min(Incident.next_update_due_at)).where(
        Incident.status.in_(OPEN_STATUSES), Incident.update_reminded_at.is_(None)))
