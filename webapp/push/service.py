"""What the phone's service worker reports back: delivery receipts, and acknowledgement by token.

Both use a conditional UPDATE, so two reports racing (the notification's Acknowledge tapped while an
earlier attempt is still in flight) cannot both count: a token acknowledges once.
"""
from __future__ import annotations

from datetime import datetime

from ..auth.models import User
from ..escalation.models import Notification
from ..extensions import db
from ..incidents import actions
from ..incidents.models import Incident
from . import tokens

RECEIPT_STATES = ("delivered", "shown")


class AckRefused(Exception):
    """The acknowledgement cannot be taken; `status` is the HTTP status, the message is for the user."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def record_receipt(token: object, state: object, now: datetime) -> Notification:
    """The phone got the page (`delivered`) or showed it (`shown`); never steps back."""
    if state not in RECEIPT_STATES:
        raise tokens.TokenRefused(f"state must be one of {', '.join(RECEIPT_STATES)}")
    page_id = tokens.read("receipt", token)
    values = {"delivered_at": db.func.coalesce(Notification.delivered_at, now),
              "sent_at": db.func.coalesce(Notification.sent_at, now)}
    forward = ["pending", "sending", "sent"] + (["delivered"] if state == "shown" else [])
    db.session.execute(db.update(Notification).where(Notification.id == page_id).values(**values))
    db.session.execute(db.update(Notification).where(Notification.id == page_id, Notification.state.in_(forward))
                       .values(state=state))
    if state == "shown":
        db.session.execute(db.update(Notification).where(Notification.id == page_id)
                           .values(shown_at=db.func.coalesce(Notification.shown_at, now)))
    db.session.commit()
    page = db.session.get(Notification, page_id)
    if page is None:
        raise tokens.TokenRefused("this alert no longer exists")
    return page


def acknowledge_with_token(token: object, now: datetime) -> Incident:
    """Acknowledge the incident a page is about, as the person it was sent to; the token works once."""
    try:
        page_id = tokens.read("ack", token)
    except tokens.TokenRefused as refused:
        raise AckRefused(str(refused), 401) from None
    page = db.session.get(Notification, page_id)
    if page is None or page.incident_id is None:
        raise AckRefused("this alert no longer exists", 404)
    user = db.session.get(User, page.user_id)
    if not user.active or not user.is_staff:
        raise AckRefused("your account can no longer acknowledge incidents", 403)
    used = db.session.execute(db.update(Notification).where(Notification.id == page_id,
                                                            Notification.acked_at.is_(None)).values(acked_at=now))
    if used.rowcount != 1:
        db.session.rollback()
        raise AckRefused("this alert was already used to acknowledge", 409)
    incident = db.session.get(Incident, page.incident_id)
    if not incident.is_open:
        db.session.rollback()
        raise AckRefused(f"{incident.reference} is already {incident.status}", 409)
    actions.acknowledge(incident, user, now, via="the alert on their phone")
    db.session.commit()
    return incident
