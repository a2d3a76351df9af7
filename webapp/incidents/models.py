"""Incidents and their append-only timeline."""
from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text, event, or_, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..organisation.models import Site
from ..rules.answers import describe_answers
from ..rules.classification import CATEGORIES
from .lifecycle import OPEN_STATUSES

INCIDENT_ROLES = {
    "commander": "Incident commander",
    "comms_lead": "Communications lead",
    "tech_lead": "Technical lead",
}
REFERENCE_PATTERN = re.compile(r"^INC-(\d{6,})$")
DUE_UNKNOWN = "response_due_at IS NULL OR resolution_due_at IS NULL"  # an SLA due time still to be worked out


class IncidentCategory(db.Model):
    """One category of an incident (a row each, so the queue can filter on them in SQL)."""

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(30), primary_key=True)


class Incident(db.Model):
    __table_args__ = (Index("ix_incident_queue", "status", "severity", "reported_at"),
                      Index("ix_incident_reported_at", "reported_at"),  # periods: metrics, exports, the queue's dates
                      # the few incidents whose due times are still to be worked out (see sla/tracking.py)
                      Index("ix_incident_due_unknown", "id", postgresql_where=text(DUE_UNKNOWN),
                            sqlite_where=text(DUE_UNKNOWN)),
                      # a median's bucket read in order of the duration, without the table (metrics/rollup.py)
                      Index("ix_incident_ack_seconds", "ack_seconds", "reported_at", "site_id", "severity", "status"),
                      Index("ix_incident_resolve_seconds", "resolve_seconds", "reported_at", "site_id", "severity",
                            "status"))

    id: Mapped[int] = mapped_column(primary_key=True)
    # Counted up by every change written through the ORM, and checked by it (UPDATE ... WHERE version = the
    # one read): of two changes made at once on the same state, the second fails (StaleDataError) and
    # changes nothing, instead of both succeeding.
    version: Mapped[int] = mapped_column(default=1, server_default="1")
    __mapper_args__ = {"version_id_col": version}
    client_id: Mapped[str] = mapped_column(String(36), unique=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="reported")
    severity: Mapped[str] = mapped_column(String(2))
    classified_severity: Mapped[str] = mapped_column(String(2))
    severity_reasons: Mapped[list[str]] = mapped_column(JSON)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    description: Mapped[str] = mapped_column(Text)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    # REFERENCE section 2: a near miss, hazard or dangerous event that could have seriously hurt someone.
    high_potential: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    aware_at: Mapped[datetime] = mapped_column(UTCDateTime)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    recovered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    major_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # declared a major incident
    next_update_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    update_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the worker next looks at this incident's SLA clocks (the next near or breach moment); None:
    # look at the next pass (a new incident, or one whose clocks changed). See sla/tracking.py.
    clock_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    clock_generation: Mapped[int] = mapped_column(default=0, server_default="0")  # +1 whenever the clocks move
    # The SLA clocks' due times, kept by sla/tracking.py so that the metrics count met and breached in SQL.
    # None: not worked out yet (the organisation's targets or the site's calendar changed while the clock
    # was running); the metrics then work it out, and the worker's next look at the clocks stores it.
    response_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # acknowledged_at and resolved_at less reported_at, in seconds, kept at flush time (_keep_durations below):
    # the metrics read a median's bucket of them in order from their indexes
    ack_seconds: Mapped[float | None] = mapped_column(Float)
    resolve_seconds: Mapped[float | None] = mapped_column(Float)
    commander_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    comms_lead_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    tech_lead_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    reporter: Mapped[User] = relationship(foreign_keys=[reporter_id])
    site: Mapped[Site] = relationship()
    commander: Mapped[User | None] = relationship(foreign_keys=[commander_id])
    comms_lead: Mapped[User | None] = relationship(foreign_keys=[comms_lead_id])
    tech_lead: Mapped[User | None] = relationship(foreign_keys=[tech_lead_id])
    category_rows: Mapped[list[IncidentCategory]] = relationship(
        cascade="all, delete-orphan", order_by=IncidentCategory.name)
    # Photos are kept by the evidence feature, which builds on incidents: named here, not imported.
    photos: Mapped[list[IncidentPhoto]] = relationship(order_by="IncidentPhoto.id", cascade="all")  # noqa: F821
    timeline: Mapped[list[TimelineEntry]] = relationship(
        back_populates="incident", order_by="TimelineEntry.id", cascade="all")

    @property
    def reference(self) -> str:
        """INC-000123: derived from the id, so it can never disagree with it."""
        return f"INC-{self.id:06d}"

    @staticmethod
    def id_from_reference(reference: str) -> int | None:
        match = REFERENCE_PATTERN.match(reference or "")
        return int(match.group(1)) if match else None

    @classmethod
    def by_reference(cls, reference: str) -> Incident | None:
        incident_id = cls.id_from_reference(reference)
        return None if incident_id is None else db.session.get(cls, incident_id)

    @property
    def categories(self) -> list[str]:
        return [c for c in CATEGORIES if c in {row.name for row in self.category_rows}]

    @categories.setter
    def categories(self, names: list[str]) -> None:
        self.category_rows = [IncidentCategory(name=name) for name in names]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def location(self) -> dict | None:
        if self.latitude is None:
            return None
        place = {"lat": self.latitude, "lon": self.longitude}
        if self.accuracy_m is not None:
            place["accuracy_m"] = self.accuracy_m
        return place

    def photo_location(self) -> dict | None:
        """The first photo's GPS, offered as the location when the device gave none."""
        for photo in self.photos:
            if photo.evidence.gps_lat is not None:
                return {"lat": photo.evidence.gps_lat, "lon": photo.evidence.gps_lon}
        return None

    def role_holders(self) -> dict[str, User | None]:
        return {role: getattr(self, role) for role in INCIDENT_ROLES}

    def named_user_ids(self) -> set[int]:
        """The reporter and everyone holding an incident role."""
        ids = {self.reporter_id, self.commander_id, self.comms_lead_id, self.tech_lead_id}
        return {i for i in ids if i is not None}

    def can_view(self, user: User) -> bool:
        """REFERENCE section 4: reporters see their own; confidential ones only the people on them."""
        if user.id in self.named_user_ids():
            return True
        if not user.is_staff:
            return False
        return not self.confidential or user.is_supervisor

    @classmethod
    def visible_to(cls, user: User):
        """The same rule as can_view(), as a SQL condition for lists."""
        named = or_(cls.reporter_id == user.id, cls.commander_id == user.id,
                    cls.comms_lead_id == user.id, cls.tech_lead_id == user.id)
        if not user.is_staff:
            return named
        if user.is_supervisor:
            return true()
        return or_(named, cls.confidential.is_(False))

    @classmethod
    def due_unknown(cls):
        """An SLA due time is still to be worked out (see sla/tracking.py)."""
        return or_(cls.response_due_at.is_(None), cls.resolution_due_at.is_(None))

    def described_answers(self) -> list[tuple[str, str]]:
        return describe_answers(self.answers)

    def record(self, what: str, summary: str, actor: User | None, **details: Any) -> TimelineEntry:
        """Append an entry to the timeline."""
        entry = TimelineEntry(what=what, summary=summary, actor=actor, details=details or None)
        self.timeline.append(entry)
        return entry

    def to_json(self) -> dict:
        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "reference": self.reference,
            "client_id": self.client_id,
            "status": self.status,
            "severity": self.severity,
            "classified_severity": self.classified_severity,
            "severity_reasons": list(self.severity_reasons),
            "categories": self.categories,
            "confidential": self.confidential,
            "high_potential": self.high_potential,
            "description": self.description,
            "site": self.site.code,
            "location": self.location,
            "answers": dict(self.answers),
            "reporter": self.reporter.to_json(),
            "roles": {r: (u.to_json() if u else None) for r, u in self.role_holders().items()},
            "photos": [p.evidence.to_json() for p in self.photos],
            **{f: iso(getattr(self, f)) for f in (
                "occurred_at", "submitted_at", "reported_at", "aware_at", "acknowledged_at",
                "resolved_at", "recovered_at", "closed_at")},
        }


class TimelineEntry(db.Model):
    """What happened to an incident, by whom and when. Entries are appended, never edited."""

    # Whether a person's export is on the incident's timeline today already (actions.record_list_export):
    # looked up once for each incident a CSV holds.
    __table_args__ = (Index("ix_timeline_entry_export", "incident_id", "actor_id", "at",
                            postgresql_where=text("what = 'export'"), sqlite_where=text("what = 'export'")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    what: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSON)

    incident: Mapped[Incident] = relationship(back_populates="timeline")
    actor: Mapped[User | None] = relationship()

    def to_json(self) -> dict:
        return {"at": self.at.isoformat(), "what": self.what, "summary": self.summary,
                "actor": self.actor.email if self.actor else None, "details": self.details}


class TimelineIsAppendOnly(RuntimeError):
    pass


@event.listens_for(TimelineEntry, "before_update")
@event.listens_for(TimelineEntry, "before_delete")
def _refuse_timeline_change(_mapper, _connection, entry):
    raise TimelineIsAppendOnly(f"timeline entry {entry.id} cannot be changed or deleted")


def _seconds_between(later: datetime | None, earlier: datetime | None) -> float | None:
    return None if later is None or earlier is None else (later - earlier).total_seconds()


@event.listens_for(Incident, "before_insert")
@event.listens_for(Incident, "before_update")
def _keep_durations(_mapper, _connection, incident: Incident) -> None:
    """MTTA's and MTTR's durations, kept beside the times they come from (the metrics read them in order)."""
    if incident.reported_at is None:  # a new incident's column default is applied after this listener
        incident.reported_at = utcnow()
    incident.ack_seconds = _seconds_between(incident.acknowledged_at, incident.reported_at)
    incident.resolve_seconds = _seconds_between(incident.resolved_at, incident.reported_at)
