"""What the learning half of the lifecycle keeps: an incident's investigation, its post-incident review,
its corrective actions (with their completion photos), and lessons shared with a site's staff.

History is not kept here: every change is an entry on the incident's append-only timeline.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..evidence.models import Evidence
from ..extensions import db
from ..incidents.models import Incident
from ..organisation.models import Site


class Investigation(db.Model):
    """One per incident: gathered information and the analysis of causes (HSG245)."""

    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), primary_key=True)
    whys: Mapped[list[str]] = mapped_column(JSON, default=list)
    immediate_causes: Mapped[list[str]] = mapped_column(JSON, default=list)
    underlying_causes: Mapped[list[str]] = mapped_column(JSON, default=list)
    root_cause: Mapped[str] = mapped_column(Text, default="")
    root_cause_category: Mapped[str | None] = mapped_column(String(20), index=True)
    contributing_factors: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    incident: Mapped[Incident] = relationship()
    updated_by: Mapped[User | None] = relationship()

    def to_json(self) -> dict:
        return {"whys": list(self.whys), "immediate_causes": list(self.immediate_causes),
                "underlying_causes": list(self.underlying_causes), "root_cause": self.root_cause,
                "root_cause_category": self.root_cause_category,
                "contributing_factors": list(self.contributing_factors),
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "updated_by": self.updated_by.email if self.updated_by else None}


class WitnessStatement(db.Model):
    """Who saw what, and when it was taken. A row each, so statements sent at once from two tablets
    both land; the same person's same words again (a retry) are kept once."""

    __table_args__ = (UniqueConstraint("incident_id", "digest"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    statement: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))  # SHA-256 of the name and the words
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @staticmethod
    def digest_of(name: str, statement: str) -> str:
        return hashlib.sha256(f"{name}\x00{statement}".encode()).hexdigest()

    def to_json(self) -> dict:
        return {"name": self.name, "taken_at": self.taken_at.isoformat(), "statement": self.statement}


class Review(db.Model):
    """The blameless post-incident review: draft -> in_review -> published."""

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    required_reason: Mapped[str | None] = mapped_column(String(200))  # None: written on demand
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    editor_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # everyone who wrote in it: none may publish it
    sent_back_reason: Mapped[str | None] = mapped_column(Text)  # what the reviewer asked to change
    summary: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="")
    what_went_well: Mapped[str] = mapped_column(Text, default="")
    what_went_poorly: Mapped[str] = mapped_column(Text, default="")
    where_we_got_lucky: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[list[str]] = mapped_column(JSON, default=list)
    timeline: Mapped[list[dict] | None] = mapped_column(JSON)  # the edited excerpt; None: not edited yet
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    # Paging: when the worker next looks at it, and which reminders went (each once per due date).
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    nearly_paged_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_paged_for: Mapped[datetime | None] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])


class CorrectiveAction(db.Model):
    """open -> done (by the owner, with evidence) -> verified (by someone else), or back to open."""

    __table_args__ = (Index("ix_corrective_action_owner_status", "owner_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    from_review: Mapped[bool] = mapped_column(default=False)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    due_date: Mapped[date] = mapped_column(Date)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)  # the end of due_date at the incident's site
    priority: Mapped[str] = mapped_column(String(10), default="medium")
    control: Mapped[str] = mapped_column(String(20))
    completion_criteria: Mapped[str] = mapped_column(Text, default="")
    external_ref: Mapped[str | None] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    evidence: Mapped[str | None] = mapped_column(Text)  # what the owner says was done
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    verify_note: Mapped[str | None] = mapped_column(Text)
    returned_reason: Mapped[str | None] = mapped_column(Text)  # why it last went back to open
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when (its reminders start afresh)
    # A repeat of the cause after it was verified: is it working? (cleared when verified again)
    questioned_by_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"))
    # Paging: the check moment, and which reminders went for the current due date.
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    overdue_paged_for: Mapped[datetime | None] = mapped_column(UTCDateTime)
    escalated_for: Mapped[datetime | None] = mapped_column(UTCDateTime)

    incident: Mapped[Incident] = relationship(foreign_keys=[incident_id])
    owner: Mapped[User] = relationship(foreign_keys=[owner_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    questioned_by: Mapped[Incident | None] = relationship(foreign_keys=[questioned_by_id])
    photos: Mapped[list[ActionPhoto]] = relationship(order_by="ActionPhoto.id", cascade="all, delete-orphan")

    def questioned_by_name(self, viewer: User | None) -> str | None:
        """The incident that questioned it, as the viewer may see it named."""
        if self.questioned_by is None:
            return None
        return self.questioned_by.reference if viewer is None or self.questioned_by.can_view(viewer) \
            else "a confidential incident"

    def to_json(self, viewer: User | None = None) -> dict:
        def iso(value):
            return value.isoformat() if value else None

        return {"id": self.id, "incident": self.incident.reference, "title": self.title,
                "owner": self.owner.to_json(), "owner_id": self.owner_id, "due_date": self.due_date.isoformat(),
                "due": iso(self.due_at), "priority": self.priority, "control": self.control,
                "completion_criteria": self.completion_criteria, "external_ref": self.external_ref,
                "status": self.status, "from_review": self.from_review, "created_at": iso(self.created_at),
                "done_at": iso(self.done_at), "evidence": self.evidence,
                "photos": [p.evidence.sha256 for p in self.photos], "verified_at": iso(self.verified_at),
                "verified_by": self.verified_by.email if self.verified_by else None,
                "verify_note": self.verify_note, "returned_reason": self.returned_reason,
                "effectiveness_questioned_by": self.questioned_by_name(viewer)}


class ActionPhoto(db.Model):
    """A photo the owner gave as evidence that an action is done (also attached to the incident)."""

    __table_args__ = (UniqueConstraint("action_id", "evidence_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("corrective_action.id", ondelete="CASCADE"), index=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"))

    evidence: Mapped[Evidence] = relationship(lazy="joined")


class Lesson(db.Model):
    """One lesson of a published review, in the organisation's Lessons library."""

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("review.id", ondelete="CASCADE"), index=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)

    review: Mapped[Review] = relationship()
    incident: Mapped[Incident] = relationship()


class LessonShare(db.Model):
    """A lesson sent to a site's staff, who read and acknowledge it the next time they open the app."""

    __table_args__ = (UniqueConstraint("lesson_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id", ondelete="CASCADE"), index=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")  # what the sender adds ("check your ladders today")
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lesson: Mapped[Lesson] = relationship()
    site: Mapped[Site] = relationship()
    sent_by: Mapped[User] = relationship()


class LessonRead(db.Model):
    share_id: Mapped[int] = mapped_column(ForeignKey("lesson_share.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
