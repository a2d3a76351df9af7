"""The in-app alert list: every page also lands here, so someone with the app open sees it whatever
their phone or email do. An in-app alert is queued already `sent` (there is nothing to send: the list
is the alert), in the same transaction as the page's push and email copies; the header shows how many
still want an answer.

An alert wants an answer until it is acknowledged (a page: its incident acknowledged, by anyone, or
closed) or dismissed (a reminder, a test alert).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, or_

from ..auth.models import User
from ..common.errors import ActionRefused
from ..extensions import db
from ..incidents import actions
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from .models import PAGE_KINDS, Message

LIST_SIZE = 50


def _visible(user: User):
    return db.select(Message).where(Message.user_id == user.id, Message.channel == "app",
                                    Message.state.in_(("sent", "delivered", "shown")))


def _wants_answer():
    """An alert still waiting for its person: not acknowledged or dismissed, and for a first page, its
    incident still open and unacknowledged."""
    unsettled_incident = Message.incident_id.in_(
        db.select(Incident.id).where(Incident.status.in_(OPEN_STATUSES), Incident.acknowledged_at.is_(None)))
    open_incident = or_(Message.incident_id.is_(None),
                        Message.incident_id.in_(db.select(Incident.id).where(Incident.status.in_(OPEN_STATUSES))))
    return and_(Message.acked_at.is_(None), open_incident, or_(Message.kind != "page", unsettled_incident))


def waiting_count(user: User) -> int:
    return db.session.scalar(_visible(user).where(_wants_answer())
                             .with_only_columns(db.func.count(Message.id)).order_by(None)) or 0


def alerts_of(user: User, size: int = LIST_SIZE) -> list[tuple[Message, bool]]:
    """The person's latest alerts, newest first, each with whether it still wants an answer."""
    rows = list(db.session.scalars(_visible(user).order_by(Message.id.desc()).limit(size)))
    waiting = set(db.session.scalars(_visible(user).where(_wants_answer(), Message.id.in_([r.id for r in rows]))
                                     .with_only_columns(Message.id)))
    return [(row, row.id in waiting) for row in rows]


def mark_seen(user: User, now: datetime) -> None:
    """The list was shown: its alerts count as shown (the person has seen them, not answered them)."""
    db.session.execute(db.update(Message).where(Message.user_id == user.id, Message.channel == "app",
                                                Message.state.in_(("sent", "delivered")))
                       .values(state="shown", shown_at=db.func.coalesce(Message.shown_at, now),
                               delivered_at=db.func.coalesce(Message.delivered_at, now)))


def own_alert(user: User, alert_id: int) -> Message:
    alert = db.session.get(Message, alert_id)
    if alert is None or alert.user_id != user.id or alert.channel != "app":
        raise LookupError(alert_id)
    return alert


def acknowledge(user: User, alert: Message, now: datetime) -> Incident:
    """Acknowledge the incident an alert pages about, from the list."""
    if alert.kind not in PAGE_KINDS or alert.incident_id is None:
        raise ActionRefused("Only a page about an incident can be acknowledged")
    incident = db.session.get(Incident, alert.incident_id)
    if not incident.is_open:
        raise ActionRefused(f"{incident.reference} is already {incident.status}")
    if not user.is_staff:
        raise ActionRefused("Your account can no longer acknowledge incidents")
    alert.acked_at = alert.acked_at or now
    actions.acknowledge(incident, user, now, via="the alert list in the app")
    return incident


def dismiss(alert: Message, now: datetime) -> None:
    """A reminder or test alert read and dealt with: it stops counting."""
    alert.acked_at = alert.acked_at or now
