"""JSON API for on-call: /api/v1/teams, /api/v1/schedules (with overrides), /api/v1/escalation-policies.

Staff read; admins change. Anyone on staff may add an override that puts themselves on call ("I cover
Tuesday night"); supervisors and admins may put anyone on call and remove any override.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, url_for
from flask_login import current_user

from ..auth.security import admin_required, staff_required
from ..common.errors import Invalid
from ..common.http import json_api
from ..common.schemas import Problem, declare
from ..database import utcnow
from ..extensions import db
from . import manage
from .models import EscalationPolicy, Schedule, ScheduleOverride, Team
from .schemas import (
    TAGS,
    OverrideIn,
    PolicyChange,
    PolicyIn,
    PolicyList,
    PolicyOut,
    ScheduleChange,
    ScheduleIn,
    ScheduleList,
    ScheduleOut,
    ScheduleWithOverride,
    TeamChange,
    TeamIn,
    TeamList,
    TeamOut,
)
from .validation import validate_override, validate_policy, validate_schedule, validate_team

bp = json_api(Blueprint("oncall_api", __name__, url_prefix="/api/v1"))


def _get(model, item_id: int):
    return db.session.get(model, item_id) or abort(404)


def _created(body: dict, endpoint: str, **ids):
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = url_for(endpoint, **ids)
    return response


# ---- teams ----

@bp.get("/teams")
@staff_required
@declare(answers={200: TeamList}, tags=TAGS)
def list_teams():
    """Every team, by name."""
    return jsonify(teams=[t.to_json() for t in db.session.scalars(db.select(Team).order_by(Team.name))])


@bp.post("/teams")
@admin_required
@declare(body=TeamIn, answers={201: TeamOut}, tags=TAGS)
def create_team(body: TeamIn):
    """Add a team."""
    taken = set(db.session.scalars(db.select(Team.name)))
    team = manage.save_team(None, validate_team(body.given(), users=manage.staff_ids(), taken=taken))
    db.session.commit()
    return _created(team.to_json(), "oncall_api.get_team", team_id=team.id)


@bp.get("/teams/<int:team_id>")
@staff_required
@declare(answers={200: TeamOut}, tags=TAGS)
def get_team(team_id: int):
    """One team."""
    return jsonify(_get(Team, team_id).to_json())


@bp.patch("/teams/<int:team_id>")
@admin_required
@declare(body=TeamChange, answers={200: TeamOut}, tags=TAGS)
def update_team(team_id: int, body: TeamChange):
    """Change a team's name or members."""
    team = _get(Team, team_id)
    taken = set(db.session.scalars(db.select(Team.name).where(Team.id != team_id)))
    manage.save_team(team, validate_team(body.given(), users=manage.staff_ids(), taken=taken, partial=True))
    db.session.commit()
    return jsonify(team.to_json())


@bp.delete("/teams/<int:team_id>")
@admin_required
@declare(answers={204: None}, tags=TAGS)
def delete_team(team_id: int):
    """Delete a team; its schedules and policies stay, without a team."""
    db.session.delete(_get(Team, team_id))  # its schedules and policies stay, without a team
    db.session.commit()
    return "", 204


# ---- schedules ----

@bp.get("/schedules")
@staff_required
@declare(answers={200: ScheduleList}, tags=TAGS)
def list_schedules():
    """Every on-call schedule, with who is on call now and next."""
    now = utcnow()
    schedules = db.session.scalars(db.select(Schedule).order_by(Schedule.name))
    return jsonify(schedules=[manage.schedule_json(s, now) for s in schedules])


@bp.post("/schedules")
@admin_required
@declare(body=ScheduleIn, answers={201: ScheduleOut}, tags=TAGS)
def create_schedule(body: ScheduleIn):
    """Add an on-call rotation."""
    known = manage.known()
    schedule = manage.save_schedule(None, validate_schedule(body.given(), users=known["users"],
                                                            teams=known["teams"]))
    db.session.commit()
    return _created(manage.schedule_json(schedule, utcnow()), "oncall_api.get_schedule", schedule_id=schedule.id)


@bp.get("/schedules/<int:schedule_id>")
@staff_required
@declare(answers={200: ScheduleOut}, tags=TAGS)
def get_schedule(schedule_id: int):
    """One schedule, with who is on call now and next."""
    return jsonify(manage.schedule_json(_get(Schedule, schedule_id), utcnow()))


@bp.patch("/schedules/<int:schedule_id>")
@admin_required
@declare(body=ScheduleChange, answers={200: ScheduleOut}, tags=TAGS)
def update_schedule(schedule_id: int, body: ScheduleChange):
    """Change a rotation."""
    schedule = _get(Schedule, schedule_id)
    known = manage.known()
    manage.save_schedule(schedule, validate_schedule(body.given(), users=known["users"], teams=known["teams"],
                                                     partial=True))
    db.session.commit()
    return jsonify(manage.schedule_json(schedule, utcnow()))


@bp.delete("/schedules/<int:schedule_id>")
@admin_required
@declare(answers={204: None, 409: Problem}, tags=TAGS)
def delete_schedule(schedule_id: int):
    """Delete a schedule that no escalation policy pages."""
    manage.delete_schedule(_get(Schedule, schedule_id))
    db.session.commit()
    return "", 204


def may_put_on_call(user_id: int) -> bool:
    return current_user.is_supervisor or user_id == current_user.id


@bp.post("/schedules/<int:schedule_id>/overrides")
@staff_required
@declare(body=OverrideIn, answers={201: ScheduleWithOverride}, tags=TAGS)
def add_override(schedule_id: int, body: OverrideIn):
    """Put someone on call for a stretch of time ("I cover Tuesday night")."""
    schedule = _get(Schedule, schedule_id)
    clean = validate_override(body.given(), users=manage.staff_ids(), now=utcnow())
    if not may_put_on_call(clean["user_id"]):
        raise Invalid({"user_id": "you can only put yourself on call; a supervisor can cover for others"}, 403)
    override = manage.add_override(schedule, clean)
    db.session.commit()
    body = manage.schedule_json(schedule, utcnow())
    return _created({**body, "override_id": override.id}, "oncall_api.get_schedule", schedule_id=schedule.id)


def removable_override(schedule_id: int, override_id: int) -> ScheduleOverride:
    """The override, if this user may remove it: their own, or anyone's for a supervisor."""
    override = db.session.get(ScheduleOverride, override_id)
    if override is None or override.schedule_id != schedule_id:
        abort(404)
    if not may_put_on_call(override.user_id):
        abort(403, "only a supervisor can remove someone else's override")
    return override


@bp.delete("/schedules/<int:schedule_id>/overrides/<int:override_id>")
@staff_required
@declare(answers={204: None}, tags=TAGS)
def remove_override(schedule_id: int, override_id: int):
    """Remove an override: your own, or anyone's for a supervisor."""
    db.session.delete(removable_override(schedule_id, override_id))
    db.session.commit()
    return "", 204


# ---- escalation policies ----

def _validate_policy(body: PolicyIn | PolicyChange, partial: bool) -> dict:
    known = manage.known()
    return validate_policy(body.given(), users=known["users"], schedules=known["schedules"], teams=known["teams"],
                           sites=known["sites"], partial=partial)


@bp.get("/escalation-policies")
@staff_required
@declare(answers={200: PolicyList}, tags=TAGS)
def list_policies():
    """Every escalation policy, with its coverage warnings."""
    now = utcnow()
    policies = db.session.scalars(db.select(EscalationPolicy).order_by(EscalationPolicy.name))
    return jsonify(escalation_policies=[manage.policy_json(p, now) for p in policies])


@bp.post("/escalation-policies")
@admin_required
@declare(body=PolicyIn, answers={201: PolicyOut}, tags=TAGS)
def create_policy(body: PolicyIn):
    """Add an escalation policy."""
    policy = manage.save_policy(None, _validate_policy(body, partial=False))
    db.session.commit()
    return _created(manage.policy_json(policy, utcnow()), "oncall_api.get_policy", policy_id=policy.id)


@bp.get("/escalation-policies/<int:policy_id>")
@staff_required
@declare(answers={200: PolicyOut}, tags=TAGS)
def get_policy(policy_id: int):
    """One escalation policy."""
    return jsonify(manage.policy_json(_get(EscalationPolicy, policy_id), utcnow()))


@bp.patch("/escalation-policies/<int:policy_id>")
@admin_required
@declare(body=PolicyChange, answers={200: PolicyOut}, tags=TAGS)
def update_policy(policy_id: int, body: PolicyChange):
    """Change a policy (levels and rules are replaced whole)."""
    policy = _get(EscalationPolicy, policy_id)
    manage.save_policy(policy, _validate_policy(body, partial=True))
    db.session.commit()
    return jsonify(manage.policy_json(policy, utcnow()))


@bp.delete("/escalation-policies/<int:policy_id>")
@admin_required
@declare(answers={204: None, 409: Problem}, tags=TAGS)
def delete_policy(policy_id: int):
    """Delete a policy no incident is escalating under now."""
    manage.delete_policy(_get(EscalationPolicy, policy_id))
    db.session.commit()
    return "", 204
