"""Status updates: what was said about an incident, to whom, and whether the stakeholder email went."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
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
    email_state: Mapped[str] = mapped_column(String(10), default="none")  # none pending sending sent failed
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    email_next_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    email_error: Mapped[str | None] = mapped_column(String(500))

    author: Mapped[User] = relationship()
