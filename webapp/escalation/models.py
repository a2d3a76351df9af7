"""On-call schedules, escalation policies, each incident's escalation state, and the page outbox.

Everything the escalation engine knows lives here, in the database, so a worker that restarts (or a
second worker) carries on where the last one stopped.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Time, UniqueConstraint
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

    members: Mapped[list["TeamMember"]] = relationship(cascade="all, delete-orphan", order_by="TeamMember.user_id")
    schedules: Mapped[list["Schedule"]] = relationship(back_populates="team", order_by="Schedule.name")
    policies: Mapped[list["EscalationPolicy"]] = relationship(back_populates="team", order_by="EscalationPolicy.name")

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

    members: Mapped[list["ScheduleMember"]] = relationship(order_by="ScheduleMember.position",
                                                           cascade="all, delete-orphan")
    overrides: Mapped[list["ScheduleOverride"]] = relationship(cascade="all, delete-orphan",
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

    levels: Mapped[list["PolicyLevel"]] = relationship(order_by="PolicyLevel.position",
                                                       cascade="all, delete-orphan")
    choices: Mapped[list["PolicyChoice"]] = relationship(order_by="PolicyChoice.position",
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


class Notification(db.Model):
    """A page to one person on one channel: the outbox the worker sends from.

    `key` is unique (escalation, step, person, channel and device), so running a step twice never
    pages twice. `page_key` is shared by the rows of one page to one person (their phones, and the
    email that falls back when no phone confirms it).
    """

    __table_args__ = (UniqueConstraint("key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(120))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incident.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    step: Mapped[int | None] = mapped_column(Integer)
    page_key: Mapped[str | None] = mapped_column(String(120), index=True)
    about: Mapped[str | None] = mapped_column(String(300))  # what the page is about, when not the incident itself
    channel: Mapped[str] = mapped_column(String(10))  # push or email
    subscription_id: Mapped[int | None] = mapped_column(
        ForeignKey("push_subscription.id", ondelete="SET NULL"), index=True)
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending sending sent delivered shown failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the phone's service worker got it
    shown_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # ... and showed it
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # its acknowledgement token was used
    fallback_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # email fallback decided (push only)

    user: Mapped[User] = relationship()


class WorkerHeartbeat(db.Model):
    """One row per worker process, updated every loop."""

    name: Mapped[str] = mapped_column(String(120), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
