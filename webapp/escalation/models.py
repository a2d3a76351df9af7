"""On-call schedules, escalation policies, and each incident's escalation state.

Everything the escalation engine knows lives here, in the database, so a worker that restarts (or a
second worker) carries on where the last one stopped.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Time
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..database import UTCDateTime, utcnow
from ..extensions import db
from .oncall import Override, Rotation
from .policy import Level, Policy, PolicyRule, Target


class Team(db.Model):
    """People who share on-call work; their schedules and policies are listed together."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    members: Mapped[list[TeamMember]] = relationship(cascade="all, delete-orphan", order_by="TeamMember.user_id")
    schedules: Mapped[list[Schedule]] = relationship(back_populates="team", order_by="Schedule.name")
    policies: Mapped[list[EscalationPolicy]] = relationship(back_populates="team", order_by="EscalationPolicy.name")

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "members": [m.user_id for m in self.members],
                "schedules": [s.id for s in self.schedules], "escalation_policies": [p.id for p in self.policies]}


class TeamMember(db.Model):
    team_id: Mapped[int] = mapped_column(ForeignKey("team.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), primary_key=True)

    user: Mapped[User] = relationship()


class Schedule(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    timezone: Mapped[str] = mapped_column(String(64))
    period: Mapped[str] = mapped_column(String(10))  # daily or weekly
    handoff: Mapped[time] = mapped_column(Time)
    first_day: Mapped[date] = mapped_column(Date)

    members: Mapped[list[ScheduleMember]] = relationship(order_by="ScheduleMember.position",
                                                           cascade="all, delete-orphan")
    overrides: Mapped[list[ScheduleOverride]] = relationship(cascade="all, delete-orphan",
                                                               order_by="ScheduleOverride.start")
    team: Mapped[Team | None] = relationship(back_populates="schedules")

    def rotation(self) -> Rotation:
        return Rotation(tuple(m.user_id for m in self.members), self.period, self.handoff, self.first_day,
                        self.timezone)

    def override_rules(self) -> tuple[Override, ...]:
        return tuple(Override(o.user_id, o.start, o.end, o.id) for o in self.overrides)


class ScheduleMember(db.Model):
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    user: Mapped[User] = relationship()


class ScheduleOverride(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("schedule.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    start: Mapped[datetime] = mapped_column(UTCDateTime)
    end: Mapped[datetime] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()


class EscalationPolicy(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"))
    repeats: Mapped[int] = mapped_column(Integer, default=0)

    levels: Mapped[list[PolicyLevel]] = relationship(order_by="PolicyLevel.position",
                                                       cascade="all, delete-orphan")
    choices: Mapped[list[PolicyChoice]] = relationship(order_by="PolicyChoice.position",
                                                         cascade="all, delete-orphan")
    team: Mapped[Team | None] = relationship(back_populates="policies")

    def rules(self) -> Policy:
        levels = tuple(Level(tuple(Target(t["kind"], t["ref"]) for t in level.targets),
                             timedelta(minutes=level.delay_minutes))
                       for level in self.levels)
        return Policy(levels, self.repeats)


class PolicyLevel(db.Model):
    policy_id: Mapped[int] = mapped_column(ForeignKey("escalation_policy.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    delay_minutes: Mapped[int] = mapped_column(Integer)
    targets: Mapped[list[dict]] = mapped_column(JSON)  # [{"kind": "schedule", "ref": 3}, ...]


class PolicyChoice(db.Model):
    """One row of the table that picks a policy for an incident (first match by position wins)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    policy_id: Mapped[int] = mapped_column(ForeignKey("escalation_policy.id"))
    sites: Mapped[list[str] | None] = mapped_column(JSON)
    categories: Mapped[list[str] | None] = mapped_column(JSON)
    severities: Mapped[list[str] | None] = mapped_column(JSON)

    def rule(self) -> PolicyRule:
        def as_set(values):
            return None if values is None else frozenset(values)
        return PolicyRule(self.policy_id, as_set(self.sites), as_set(self.categories), as_set(self.severities))


class Escalation(db.Model):
    """One incident's place in its policy: the next step and when it is due."""

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incident.id"), unique=True)
    policy_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_policy.id"))
    state: Mapped[str] = mapped_column(String(20), default="active")  # active, acknowledged, exhausted
    step: Mapped[int] = mapped_column(Integer, default=0)
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    warnings: Mapped[list[str]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    repaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # last "no progress" re-page

    policy: Mapped[EscalationPolicy | None] = relationship()
