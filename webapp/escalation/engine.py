"""The escalation engine: start escalations for new incidents and run the steps that are due.

Each escalation step runs in its own short transaction, with the row locked (`FOR UPDATE SKIP LOCKED`
on PostgreSQL, so several workers share the work; SQLite lets one writer in at a time). A page is a
message queued in the notification core's outbox, whose key (escalation, step, person, route) makes
a repeated step harmless. Every function takes `now`, so tests drive the clock.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError

from ..auth.models import User
from ..database import claim_rows
from ..extensions import db
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import INCIDENT_ROLES, Incident, TimelineEntry
from ..notify.outbox import queue, queue_many
from ..notify.routes import Reach
from .models import Escalation, PolicyChoice, Schedule
from .oncall import on_call
from .policy import Position, Target, advance, choose_policy


def resolver(incident: Incident | None):
    """Targets to user ids: on an incident, or (None) outside one, where roles resolve to nobody."""
    def resolve(target: Target, at: datetime) -> list[int]:
        if target.kind == "user":
            return [int(target.ref)]
        if target.kind == "role":
            holder = getattr(incident, f"{target.ref}_id", None) if incident and target.ref in INCIDENT_ROLES else None
            return [holder] if holder else []
        schedule = db.session.get(Schedule, int(target.ref))
        if schedule is None or not schedule.members:
            return []
        user_id = on_call(schedule.rotation(), schedule.override_rules(), at)
        return [user_id] if user_id else []
    return resolve


def resolver_at():
    """Resolve targets outside any incident (coverage checks)."""
    return resolver(None)


def start_new(now: datetime, limit: int = 50) -> int:
    """Give each open, unacknowledged incident without an escalation the policy its rules choose."""
    incidents = db.session.scalars(
        db.select(Incident).outerjoin(Escalation, Escalation.incident_id == Incident.id)
        .where(Escalation.id.is_(None), Incident.status.in_(OPEN_STATUSES), Incident.acknowledged_at.is_(None))
        .order_by(Incident.id).limit(limit)).all()
    if not incidents:
        return 0
    choices = db.session.scalars(db.select(PolicyChoice).order_by(PolicyChoice.position, PolicyChoice.id))
    rules = [choice.rule() for choice in choices]
    started = 0
    for incident in incidents:
        policy_id = choose_policy(rules, incident.site.code, incident.categories, incident.severity)
        escalation = Escalation(incident_id=incident.id, policy_id=policy_id, started_at=now,
                                state="active" if policy_id else "exhausted",
                                next_due_at=now if policy_id else None, step=0,
                                warnings=[] if policy_id else ["no escalation policy matches this incident"])
        db.session.add(escalation)
        if policy_id is None:
            incident.record("escalation", "Nobody was paged: no escalation policy matches this incident", None)
        try:
            db.session.commit()
            started += 1
        except IntegrityError:  # another worker started it first
            db.session.rollback()
    return started


def run_due(now: datetime, limit: int = 50) -> int:
    """Run due escalation steps, one short transaction each; return how many ran."""
    ran, reach = 0, Reach()  # who can be alerted, read once for the pass
    while ran < limit:
        escalation = db.session.scalar(claim_rows(
            db.select(Escalation).where(Escalation.state == "active", Escalation.next_due_at <= now)
            .order_by(Escalation.next_due_at, Escalation.id).limit(1)))
        if escalation is None:
            break
        try:
            _run_step(escalation, now, reach)
            db.session.commit()
            ran += 1
        except IntegrityError:
            # Another worker ran this step at the same moment (SQLite has no row locks): its pages
            # stand, ours are dropped by the unique key, and nobody is paged twice.
            db.session.rollback()
    return ran


PROGRESS = ("status", "note")  # what counts as progress on an acknowledged incident


def _last_progress():
    return (db.select(db.func.max(TimelineEntry.at))
            .where(TimelineEntry.incident_id == Incident.id, TimelineEntry.what.in_(PROGRESS))
            .correlate(Incident).scalar_subquery())


def next_repage_due(now: datetime) -> datetime | None:
    """When an acknowledged incident next reaches REPAGE_AFTER_MINUTES without progress: that long after
    the latest of its acknowledgement, its last re-page and its last status change or note."""
    after = timedelta(minutes=current_app.config["REPAGE_AFTER_MINUTES"])
    rows = db.session.execute(
        db.select(Incident.acknowledged_at, Escalation.repaged_at, _last_progress())
        .join(Escalation, Escalation.incident_id == Incident.id)
        .where(Incident.status.in_(OPEN_STATUSES), Incident.acknowledged_at.is_not(None))).all()
    return min((max(moment for moment in row if moment is not None) + after for row in rows), default=None)


def repage_stalled(now: datetime, limit: int = 50) -> int:
    """Page the acknowledger again when an acknowledged incident has shown no progress for a while.

    The database picks only incidents that are due (acknowledged, not re-paged and without a status
    change or note since the cut-off), so every one it returns is paged.
    """
    cutoff = now - timedelta(minutes=current_app.config["REPAGE_AFTER_MINUTES"])
    last_progress = _last_progress()
    due = db.session.scalars(claim_rows(
        db.select(Escalation).join(Incident, Incident.id == Escalation.incident_id)
        .where(Incident.status.in_(OPEN_STATUSES), Incident.acknowledged_at <= cutoff,
               or_(Escalation.repaged_at.is_(None), Escalation.repaged_at <= cutoff),
               or_(last_progress.is_(None), last_progress <= cutoff))
        .order_by(Escalation.id).limit(limit))).all()
    for escalation in due:
        incident = db.session.get(Incident, escalation.incident_id)
        # Acknowledged: no more escalation steps, whether or not the next one has come due yet.
        escalation.state, escalation.next_due_at, escalation.repaged_at = "acknowledged", None, now
        acknowledger = db.session.scalar(
            db.select(TimelineEntry.actor_id).where(TimelineEntry.incident_id == incident.id,
                                                    TimelineEntry.what == "acknowledged")
            .order_by(TimelineEntry.id.desc()).limit(1))
        user = db.session.get(User, acknowledger) if acknowledger else None
        if user is None:
            continue
        queue("repage", f"e{escalation.id}:r{int(now.timestamp())}", now, user=user, incident_id=incident.id)
        incident.record("page", f"Paged {user.name} again: no progress since it was acknowledged", None,
                        users=[user.id], repage=True)
    db.session.commit()
    return len(due)


def _run_step(escalation: Escalation, now: datetime, reach: Reach) -> None:
    incident = db.session.get(Incident, escalation.incident_id)
    if incident.acknowledged_at is not None or not incident.is_open:
        escalation.state = "acknowledged" if incident.acknowledged_at else "stopped"
        escalation.next_due_at = None
        return
    outcome = advance(escalation.policy.rules(), Position(escalation.step, escalation.next_due_at), now,
                      resolver(incident), reach)
    users = {u.id: u for u in db.session.scalars(db.select(User).where(User.id.in_([u for u, _ in outcome.pages])))}
    paged = [users[user_id].name for user_id, _ in outcome.pages]
    if outcome.pages:  # every page of a level is the same step
        step = outcome.pages[0][1]
        queue_many("page", f"e{escalation.id}:s{step}", now,
                   [(users[user_id], None, reach.routes(user_id)) for user_id, _ in outcome.pages],
                   incident_id=incident.id, step=step)
    if paged:
        level = outcome.pages[0][1] % len(escalation.policy.levels) + 1
        incident.record("page", f"Paged {', '.join(paged)} (level {level})", None,
                        users=[u for u, _ in outcome.pages], step=outcome.pages[0][1])
    for warning in outcome.warnings:
        incident.record("escalation_warning", f"Escalation: {warning}", None)
    escalation.warnings = list(escalation.warnings) + outcome.warnings
    if outcome.next is None:
        escalation.state, escalation.next_due_at = "exhausted", None
    else:
        escalation.step, escalation.next_due_at = outcome.next.step, outcome.next.due


def next_step_due(now: datetime) -> datetime | None:
    """When the next escalation step falls due."""
    return db.session.scalar(db.select(db.func.min(Escalation.next_due_at)).where(Escalation.state == "active"))

