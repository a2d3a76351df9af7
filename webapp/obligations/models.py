"""An incident's regulatory obligations: one row per regime step, with its deadline and status."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime
from ..extensions import db

STATUSES = ("due", "done", "not_required")  # "overdue" is a due step past its deadline, worked out on reading


class Obligation(db.Model):
    __table_args__ = (UniqueConstraint("incident_id", "regime", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id", ondelete="CASCADE"), index=True)
    regime: Mapped[str] = mapped_column(String(30))
    step: Mapped[str] = mapped_column(String(30))
    what: Mapped[str] = mapped_column(String(300))
    rule: Mapped[str] = mapped_column(String(300))
    deadline: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    waiting_for: Mapped[str | None] = mapped_column(String(300))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(15), default="due")
    decided_by_rules: Mapped[bool] = mapped_column(Boolean, default=True)  # False: a person marked it
    not_required_reason: Mapped[str | None] = mapped_column(String(1000))
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reference: Mapped[str | None] = mapped_column(String(200))  # the regulator's reference
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))  # None: the commander, else supervisors
    applies: Mapped[bool] = mapped_column(Boolean, default=True)  # False: the regime no longer applies
    nearly_paged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_paged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the worker next looks at this step (its nearly-due moment, then its deadline); None: the next
    # pass (a new step, or one whose deadline was recomputed). See paging.page_deadlines.
    check_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)

    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id])

    def state(self, now: datetime) -> str:
        """due, overdue, waiting, done or not_required."""
        if self.status != "due":
            return self.status
        if self.waiting_for:
            return "waiting"
        if self.deadline is not None and self.deadline <= now:
            return "overdue"
        return "due"

    def to_json(self, now: datetime) -> dict:
        return {"regime": self.regime, "step": self.step, "what": self.what, "rule": self.rule,
                "deadline": self.deadline.isoformat() if self.deadline else None, "status": self.state(now),
                "urgent": self.urgent and self.status == "due", "waiting_for": self.waiting_for,
                "reasons": list(self.reasons), "done_at": self.done_at.isoformat() if self.done_at else None,
                "reference": self.reference, "not_required_reason": self.not_required_reason,
                "owner": self.owner.to_json() if self.owner else None}
