"""What comes back from a message: delivery receipts from a phone, and acknowledgement with the
single-use token of a push or an email.

Both use a conditional UPDATE, so two reports racing (the notification's Acknowledge tapped while an
earlier attempt is still in flight) cannot both count: a token acknowledges once.
"""
from __future__ import annotations

from datetime import datetime

from ..database import commit_retrying
from ..extensions import db
from ..incidents import actions
from ..incidents.models import Incident
from . import tokens
from .models import PAGE_KINDS, Message

RECEIPT_STATES = ("delivered", "shown")
VIA = {"push": "the alert on their phone", "email": "the link in their email"}


class AckRefused(Exception):
    """The acknowledgement cannot be taken; `status` is the HTTP status, the message is for the user."""

    def __init__(self, message: str, status: int):
        super().__init__(message)
        self.status = status


def record_receipt(token: object, state: object, now: datetime) -> Message:
    """The phone got the message (`delivered`) or showed it (`shown`); never steps back."""
    if state not in RECEIPT_STATES:
        raise tokens.TokenRefused(f"state must be one of {', '.join(RECEIPT_STATES)}")
    message_id = tokens.read("receipt", token)
    values = {"delivered_at": db.func.coalesce(Message.delivered_at, now),
              "sent_at": db.func.coalesce(Message.sent_at, now)}
    forward = ["pending", "sending", "sent"] + (["delivered"] if state == "shown" else [])
    db.session.execute(db.update(Message).where(Message.id == message_id).values(**values))
    db.session.execute(db.update(Message).where(Message.id == message_id, Message.state.in_(forward))
                       .values(state=state))
    if state == "shown":
        db.session.execute(db.update(Message).where(Message.id == message_id)
                           .values(shown_at=db.func.coalesce(Message.shown_at, now)))
    db.session.commit()
    message = db.session.get(Message, message_id)
    if message is None:
        raise tokens.TokenRefused("this alert no longer exists")
    return message


def page_for_token(token: object) -> Message:
    """The page an acknowledgement token names (checked, not used); AckRefused otherwise."""
    try:
        message_id = tokens.read("ack", token)
    except tokens.TokenRefused as refused:
        raise AckRefused(str(refused), 401) from None
    message = db.session.get(Message, message_id)
    if message is None or message.incident_id is None or message.kind not in PAGE_KINDS or message.user is None:
        raise AckRefused("this alert no longer exists", 404)
    if not message.user.active or not message.user.is_staff:
        raise AckRefused("your account can no longer acknowledge incidents", 403)
    return message


def acknowledge_with_token(token: object, now: datetime) -> Incident:
    """Acknowledge the incident a page is about, as the person it was sent to; the token works once."""
    return commit_retrying(lambda: _acknowledge_with_token(token, now))


def _acknowledge_with_token(token: object, now: datetime) -> Incident:
    message = page_for_token(token)
    used = db.session.execute(db.update(Message).where(Message.id == message.id, Message.acked_at.is_(None))
                              .values(acked_at=now))
    if used.rowcount != 1:
        db.session.rollback()
        raise AckRefused("this alert was already used to acknowledge", 409)
    incident = db.session.get(Incident, message.incident_id)
    if not incident.is_open:
        db.session.rollback()
        raise AckRefused(f"{incident.reference} is already {incident.status}", 409)
    actions.acknowledge(incident, message.user, now, via=VIA.get(message.channel, "an alert"))
    return incident
