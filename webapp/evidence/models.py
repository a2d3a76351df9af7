"""Evidence files (kept byte for byte, by SHA-256) and their links to incidents."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db


class Evidence(db.Model):
    """One original file. Its key in the store is its SHA-256, so it cannot change unnoticed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(50))
    original_name: Mapped[str] = mapped_column(String(255))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    gps_lat: Mapped[float | None] = mapped_column(Float)
    gps_lon: Mapped[float | None] = mapped_column(Float)
    display_key: Mapped[str] = mapped_column(String(64))
    thumbnail_key: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship()

    def to_json(self) -> dict:
        gps = {"lat": self.gps_lat, "lon": self.gps_lon} if self.gps_lat is not None else None
        return {"sha256": self.sha256, "size": self.size, "content_type": self.content_type,
                "width": self.width, "height": self.height, "gps": gps, "name": self.original_name}


class EvidenceHolder(db.Model):
    """Who has uploaded these bytes: only they may attach them to an incident (knowing a hash is not enough)."""

    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)


class IncidentPhoto(db.Model):
    __table_args__ = (UniqueConstraint("incident_id", "evidence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"))
    added_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    evidence: Mapped[Evidence] = relationship(lazy="joined")
    added_by: Mapped[User] = relationship()
