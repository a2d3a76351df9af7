"""Push subscriptions: one row per phone (or browser) that a person enabled alerts on."""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db


def endpoint_hash(endpoint: str) -> str:
    """Endpoints can be long; a unique index on their hash works the same on every database."""
    return hashlib.sha256(endpoint.encode()).hexdigest()


class PushSubscription(db.Model):
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

    user: Mapped[User] = relationship()

    def info(self) -> dict:
        """What pywebpush wants."""
        return {"endpoint": self.endpoint, "keys": {"p256dh": self.p256dh, "auth": self.auth}}

    def to_json(self) -> dict:
        return {"id": self.id, "label": self.label, "created_at": self.created_at.isoformat(),
                "last_success_at": self.last_success_at.isoformat() if self.last_success_at else None,
                "last_error": self.last_error}

    @classmethod
    def of_user(cls, user_id: int) -> list["PushSubscription"]:
        return list(db.session.scalars(db.select(cls).filter_by(user_id=user_id).order_by(cls.id)))
