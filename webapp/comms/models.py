"""Status updates: what was said about an incident, and to whom it was emailed (each stakeholder's
email is a message in the notification core's outbox, which knows whether it went)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime
from ..extensions import db


class StatusUpdate(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    audience: Mapped[str] = mapped_column(String(10))  # internal, customer, public
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipients: Mapped[list[str]] = mapped_column(JSON, default=list)  # stakeholder emails, when emailed

    author: Mapped[User] = relationship()
