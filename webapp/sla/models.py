"""Which SLA clock warnings have been paged, so each is paged once."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ..database import UTCDateTime
from ..extensions import db


class ClockAlert(db.Model):
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    clock: Mapped[str] = mapped_column(String(20), primary_key=True)  # response or resolution
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)  # near or breached
    severity: Mapped[str] = mapped_column(String(2), primary_key=True)  # a new severity is a new clock
    at: Mapped[datetime] = mapped_column(UTCDateTime)
