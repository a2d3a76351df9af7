"""Saving teams, schedules, overrides and policies, for the admin pages and the JSON API alike.

The views validate with `validation.py` (pure) and call these; each function leaves the session dirty
for the view to commit, so a refused change saves nothing.
"""
from __future__ import annotations

from datetime import datetime

from ..auth.models import STAFF_ROLES, User
from ..common.errors import Invalid
from ..extensions import db
from ..notify.routes import Reach
from ..organisation.models import Site
from .engine import resolver_at
from .models import (
    Escalation,
    EscalationPolicy,
    PolicyChoice,
    PolicyLevel,
    Schedule,
    ScheduleMember,
    ScheduleOverride,
    Team,
    TeamMember,
)
from .oncall import upcoming
from .policy import coverage_gaps


def staff_ids() -> set[int]:
    return set(db.session.scalars(db.select(User.id).where(User.active.is_(True), User.role.in_(STAFF_ROLES))))


def known() -> dict:
    """What validation needs to know exists."""
    return {"users": staff_ids(), "teams": set(db.session.scalars(db.select(Team.id))),
            "schedules": set(db.session.scalars(db.select(Schedule.id))),
            "sites": set(db.session.scalars(db.select(Site.code)))}


def save_team(team: Team | None, clean: dict) -> Team:
    if team is None:
        team = Team()
        db.session.add(team)
    if "name" in clean:
        team.name = clean["name"]
    if "members" in clean:
        team.members = [TeamMember(user_id=u) for u in clean["members"]]
    return team


def save_schedule(schedule: Schedule | None, clean: dict) -> Schedule:
    if schedule is None:
        schedule = Schedule()
        db.session.add(schedule)
    for key in ("name", "team_id", "timezone", "period", "handoff", "first_day"):
        if key in clean:
            setattr(schedule, key, clean[key])
    if "members" in clean:
        schedule.members = []
        db.session.flush()  # the old rows go before the new ones take their positions
        schedule.members = [ScheduleMember(position=i, user_id=u) for i, u in enumerate(clean["members"])]
    return schedule


def add_override(schedule: Schedule, clean: dict) -> ScheduleOverride:
    override = ScheduleOverride(user_id=clean["user_id"], start=clean["start"], end=clean["end"])
    schedule.overrides.append(override)
    return override


def delete_schedule(schedule: Schedule) -> None:
    users = [p.name for p in db.session.scalars(db.select(EscalationPolicy))
             if any(t.get("kind") == "schedule" and t.get("ref") == schedule.id for lv in p.levels for t in lv.targets)]
    if users:
        raise Invalid({"": f"{schedule.name} is paged by {', '.join(users)}: change those policies first"}, 409)
    db.session.delete(schedule)


def save_policy(policy: EscalationPolicy | None, clean: dict) -> EscalationPolicy:
    if policy is None:
        policy = EscalationPolicy(repeats=0)
        db.session.add(policy)
    for key in ("name", "team_id", "repeats"):
        if key in clean:
            setattr(policy, key, clean[key])
    if "levels" in clean:
        policy.levels = []
        db.session.flush()
        policy.levels = [PolicyLevel(position=i, delay_minutes=lv["delay_minutes"], targets=lv["targets"])
                         for i, lv in enumerate(clean["levels"])]
    if "rules" in clean:
        policy.choices = [PolicyChoice(position=r["priority"], sites=r["sites"], categories=r["categories"],
                                       severities=r["severities"]) for r in clean["rules"]]
    return policy


def delete_policy(policy: EscalationPolicy) -> None:
    running = db.session.scalar(db.select(db.func.count(Escalation.id))
                                .where(Escalation.policy_id == policy.id, Escalation.state == "active"))
    if running:
        raise Invalid({"": f"{running} incident(s) are escalating under {policy.name} now: remove its rules "
                           "so no new incident uses it, and delete it when they are done"}, 409)
    db.session.execute(db.update(Escalation).where(Escalation.policy_id == policy.id).values(policy_id=None))
    db.session.delete(policy)


def schedule_json(schedule: Schedule, now: datetime) -> dict:
    shifts = upcoming(schedule.rotation(), schedule.override_rules(), now, 2) if schedule.members else []
    shift = [{"user_id": s.user_id, "start": s.start.isoformat(), "end": s.end.isoformat(), "override": s.override}
             for s in shifts]
    return {"id": schedule.id, "name": schedule.name, "team_id": schedule.team_id, "timezone": schedule.timezone,
            "period": schedule.period, "handoff": schedule.handoff.strftime("%H:%M"),
            "first_day": schedule.first_day.isoformat(), "members": [m.user_id for m in schedule.members],
            "overrides": [{"id": o.id, "user_id": o.user_id, "start": o.start.isoformat(), "end": o.end.isoformat()}
                          for o in schedule.overrides if o.end > now],
            "on_call_now": shift[0] if shift and shifts[0].start <= now else None,
            "next": shift[1] if len(shift) > 1 else (shift[0] if shift and shifts[0].start > now else None)}


def policy_gaps(policy: EscalationPolicy, now: datetime, reach: Reach | None = None) -> list[str]:
    if not policy.levels:
        return ["it has no levels: nobody is paged"]
    return coverage_gaps(policy.rules(), now, resolver_at(), reach or Reach())


def policy_json(policy: EscalationPolicy, now: datetime) -> dict:
    return {"id": policy.id, "name": policy.name, "team_id": policy.team_id, "repeats": policy.repeats,
            "levels": [{"delay_minutes": lv.delay_minutes, "targets": lv.targets} for lv in policy.levels],
            "rules": [{"priority": c.position, "sites": c.sites, "categories": c.categories,
                       "severities": c.severities} for c in policy.choices],
            "coverage_warnings": policy_gaps(policy, now)}


def all_gaps(now: datetime) -> list[tuple[EscalationPolicy, str]]:
    """Every policy level whose people (now) cannot be alerted: for the supervisors' warning."""
    reach = Reach()  # who can be alerted, read once for every policy
    return [(policy, gap) for policy in db.session.scalars(db.select(EscalationPolicy).order_by(EscalationPolicy.name))
            for gap in policy_gaps(policy, now, reach)]
