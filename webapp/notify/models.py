"""Everything the notification core keeps: the outbox of messages, the phones that receive pushes, the
development mailbox, and the workers' heartbeats.

One outbox row is one message to one recipient on one channel. Its `kind` says what it is (an
incident page, a deadline reminder, a stakeholder's status update...); its `key`, built in one place
(outbox.message_keys), makes queueing the same message twice harmless; `group_key` is shared by the
rows of one message to one person (each of their phones, the email that falls back when no phone
confirms it, and the in-app alert).
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db

# What a message can be; the wording of each is in render.py.
KINDS = {
    "page": "Incident page",
    "repage": "Paged again: no progress since it was acknowledged",
    "deadline": "Regulatory deadline reminder",
    "clock": "SLA target reminder",
    "update_due": "Status update reminder",
    "review_due": "Post-incident review due",
    "action_overdue": "Corrective action overdue",
    "test": "Test alert",
    "stakeholder": "Status update to a stakeholder",
}
PAGE_KINDS = ("page", "repage")  # what "Acknowledge" answers
CHANNELS = {"push": "phone", "email": "email", "app": "in the app"}
STATES = {"pending": "waiting to send", "sending": "sending", "sent": "sent, not confirmed yet",
          "delivered": "delivered", "shown": "shown on the phone", "failed": "failed"}


class Message(db.Model):
    """One message to one recipient (a user, or a stakeholder's address) on one channel."""

    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))
    group_key: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    occasion: Mapped[str] = mapped_column(String(120))  # the feature's name for the event: "e3:s1", "upd12"
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(254))  # a stakeholder's email, when not a user
    step: Mapped[int | None] = mapped_column(Integer)  # the escalation step that paged
    about: Mapped[str | None] = mapped_column(String(300))  # what a reminder says
    details: Mapped[dict | None] = mapped_column(JSON)  # what a stakeholder update says
    channel: Mapped[str] = mapped_column(String(10))  # push, email or app
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # see STATES
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the phone's service worker got it
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # ... and showed it (or the list did)
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # acknowledged (or dismissed) with it
    fallback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # email fallback decided (push only)

    user: Mapped[User | None] = relationship()

    @property
    def recipient(self) -> str:
        return self.user.name if self.user else (self.address or "")


def endpoint_hash(endpoint: str) -> str:
    """Endpoints can be long; a unique index on their hash works the same on every database."""
    return hashlib.sha256(endpoint.encode()).hexdigest()


class PushSubscription(db.Model):
    """One phone (or browser) that a person enabled alerts on."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    endpoint: Mapped[str] = mapped_column(Text)
    endpoint_hash: Mapped[str] = mapped_column(String(64), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    label: Mapped[str] = mapped_column(String(200), default="")  # "Chrome on Android", for the device list
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_success_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(500))
    last_error_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Turned off by the worker: the push service or the encryption refused it as malformed, or its
    # push service stopped being a public address. Nothing is sent to it until the phone subscribes again.
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(500))

    user: Mapped[User] = relationship()

    def info(self) -> dict:
        """What pywebpush wants."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "created_at": self.created_at.isoformat(),
                "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
                "last_error": self.last_error, "disabled": self.disabled_at is not None,
                "disabled_reason": self.disabled_reason}

    @classmethod
    def of_user(cls, user_id: int) -> list[PushSubscription]:
        return list(db.session.scalars(db.select(cls).filter_by(user_id=user_id).order_by(cls.id)))


class DevMail(db.Model):
    """An email the development mailbox kept instead of sending it (DEVELOPMENT only): the whole
    message as it would have gone to a mail server."""

    id: Mapped[int] = mapped_column(primary_key=True)
    to: Mapped[str] = mapped_column(String(254), index=True)
    subject: Mapped[str] = mapped_column(String(500))
    raw: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WorkerHeartbeat(db.Model):
    """One row per worker process, updated every pass."""

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
