"""On-call pages: who is on call now and next (with "I'll cover"), and the admin pages for teams,
schedules and escalation policies. Forms build the same bodies the JSON API takes and are checked by
the same validators, so the two can never disagree."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.models import STAFF_ROLES, User
from ..auth.security import admin_required, staff_required
from ..common.errors import Invalid
from ..common.schemas import Form, declare
from ..common.timewords import read_local_datetime
from ..database import utcnow
from ..extensions import db
from ..incidents.models import INCIDENT_ROLES
from ..organisation.models import Site
from ..rules.classification import CATEGORIES, SEVERITIES
from . import manage
from .api import may_put_on_call, removable_override
from .models import EscalationPolicy, Schedule, Team
from .oncall import PERIOD_DAYS
from .schemas import LevelForm, NewPolicyForm, OverrideForm, PolicyForm, RuleForm, ScheduleForm, TeamForm
from .validation import validate_override, validate_policy, validate_schedule, validate_team

bp = Blueprint("oncall", __name__)


def _staff() -> list[User]:
    return list(db.session.scalars(db.select(User).where(User.active.is_(True), User.role.in_(STAFF_ROLES))
                                   .order_by(User.name)))


def _done(message: str, endpoint: str):
    db.session.commit()
    flash(message)
    return redirect(url_for(endpoint), code=303)


# ---- who is on call ----

def _oncall_page(errors: dict | None = None, failed: int | None = None, status: int = 200):
    now = utcnow()
    schedules = list(db.session.scalars(db.select(Schedule).order_by(Schedule.name)))
    people = {u.id: u for u in db.session.scalars(db.select(User))}
    gaps = manage.all_gaps(now) if current_user.is_supervisor else []
    return render_template("oncall/index.html", schedules=[(s, manage.schedule_json(s, now)) for s in schedules],
                           people=people, staff=_staff(), gaps=gaps, errors=errors or {}, failed=failed,
                           now=now), status


@bp.get("/oncall")
@staff_required
def index():
    return _oncall_page()


@bp.post("/oncall/<int:schedule_id>/overrides")
@staff_required
@declare(form=OverrideForm)
def add_override(schedule_id: int, form: OverrideForm):
    schedule = db.session.get(Schedule, schedule_id) or abort(404)
    zone = ZoneInfo(schedule.timezone)
    body = {"user_id": form.user_id or current_user.id}
    errors = {}
    for key in ("start", "end"):
        try:
            body[key] = read_local_datetime(getattr(form, key), zone).isoformat()
        except ValueError:
            errors[key] = "enter a date and time"
    try:
        if errors:
            raise Invalid(errors)
        clean = validate_override(body, users=manage.staff_ids(), now=utcnow())
        if not may_put_on_call(clean["user_id"]):
            raise Invalid({"user_id": "you can only put yourself on call; ask a supervisor to cover for others"})
    except Invalid as invalid:
        return _oncall_page(invalid.fields, schedule_id, 422)
    manage.add_override(schedule, clean)
    who = db.session.get(User, clean["user_id"]).name
    return _done(f"{who} is on call for {schedule.name} from {form.start.strip().replace('T', ' ')} "
                 f"to {form.end.strip().replace('T', ' ')}.", "oncall.index")


@bp.post("/oncall/<int:schedule_id>/overrides/<int:override_id>/remove")
@staff_required
@declare(form=Form)
def remove_override(schedule_id: int, override_id: int, form: Form):
    db.session.delete(removable_override(schedule_id, override_id))
    return _done("Override removed.", "oncall.index")


# ---- admin: teams ----

def _teams_page(errors=None, failed=None, status=200):
    teams = db.session.scalars(db.select(Team).order_by(Team.name))
    return render_template("admin/teams.html", teams=list(teams), staff=_staff(), errors=errors or {},
                           failed=failed), status


@bp.get("/admin/teams")
@admin_required
def teams():
    return _teams_page()


@bp.post("/admin/teams")
@bp.post("/admin/teams/<int:team_id>")
@admin_required
@declare(form=TeamForm)
def save_team(form: TeamForm, team_id: int | None = None):
    team = (db.session.get(Team, team_id) or abort(404)) if team_id else None
    body = {"name": form.name, "members": form.members}
    taken = set(db.session.scalars(db.select(Team.name).where(Team.id != (team_id or 0))))
    try:
        clean = validate_team(body, users=manage.staff_ids(), taken=taken)
    except Invalid as invalid:
        return _teams_page(invalid.fields, team_id or "new", 422)
    team = manage.save_team(team, clean)
    return _done(f"Saved team {team.name}.", "oncall.teams")


@bp.post("/admin/teams/<int:team_id>/delete")
@admin_required
@declare(form=Form)
def delete_team(team_id: int, form: Form):
    team = db.session.get(Team, team_id) or abort(404)
    db.session.delete(team)
    return _done(f"Deleted team {team.name}; its schedules and policies remain.", "oncall.teams")


# ---- admin: schedules ----

def _schedules_page(errors=None, failed=None, status=200):
    now = utcnow()
    schedules = list(db.session.scalars(db.select(Schedule).order_by(Schedule.name)))
    teams = db.session.scalars(db.select(Team).order_by(Team.name))
    sites_zones = sorted(set(db.session.scalars(db.select(Site.timezone))))
    return render_template("admin/schedules.html", schedules=[(s, manage.schedule_json(s, now)) for s in schedules],
                           teams=list(teams), staff=_staff(), periods=PERIOD_DAYS, zones=sites_zones,
                           errors=errors or {}, failed=failed, people={u.id: u for u in _staff()}), status


@bp.get("/admin/schedules")
@admin_required
def schedules():
    return _schedules_page()


@bp.post("/admin/schedules")
@bp.post("/admin/schedules/<int:schedule_id>")
@admin_required
@declare(form=ScheduleForm)
def save_schedule(form: ScheduleForm, schedule_id: int | None = None):
    schedule = (db.session.get(Schedule, schedule_id) or abort(404)) if schedule_id else None
    body = {"name": form.name, "timezone": form.timezone, "period": form.period or "", "handoff": form.handoff,
            "first_day": form.first_day, "team_id": form.team_id,
            "members": [member for member in form.members if member is not None]}
    known = manage.known()
    try:
        clean = validate_schedule(body, users=known["users"], teams=known["teams"])
    except Invalid as invalid:
        return _schedules_page(invalid.fields, schedule_id or "new", 422)
    schedule = manage.save_schedule(schedule, clean)
    return _done(f"Saved schedule {schedule.name}.", "oncall.schedules")


@bp.post("/admin/schedules/<int:schedule_id>/delete")
@admin_required
@declare(form=Form)
def delete_schedule(schedule_id: int, form: Form):
    schedule = db.session.get(Schedule, schedule_id) or abort(404)
    try:
        manage.delete_schedule(schedule)
    except Invalid as invalid:
        return _schedules_page(invalid.fields, schedule_id, 409)
    return _done(f"Deleted schedule {schedule.name}.", "oncall.schedules")


# ---- admin: escalation policies ----

def target_label(target: dict, people: dict, schedules: dict) -> str:
    if target["kind"] == "user":
        return people[target["ref"]].name if target["ref"] in people else "a removed user"
    if target["kind"] == "schedule":
        return f"on call: {schedules[target['ref']].name}" if target["ref"] in schedules else "a removed schedule"
    return f"the {INCIDENT_ROLES.get(target['ref'], target['ref']).lower()}"


def _policies_page(errors=None, failed=None, status=200):
    now = utcnow()
    policies = list(db.session.scalars(db.select(EscalationPolicy).order_by(EscalationPolicy.name)))
    schedules = {s.id: s for s in db.session.scalars(db.select(Schedule).order_by(Schedule.name))}
    people = {u.id: u for u in db.session.scalars(db.select(User))}
    sites = list(db.session.scalars(db.select(Site).order_by(Site.code)))
    teams = list(db.session.scalars(db.select(Team).order_by(Team.name)))
    return render_template("admin/policies.html", policies=[(p, manage.policy_json(p, now)) for p in policies],
                           schedules=schedules, people=people, staff=_staff(), sites=sites, teams=teams,
                           roles=INCIDENT_ROLES, categories=CATEGORIES, severities=SEVERITIES,
                           label=lambda t: target_label(t, people, schedules),
                           errors=errors or {}, failed=failed), status


@bp.get("/admin/policies")
@admin_required
def policies():
    return _policies_page()


def _form_level(form: LevelForm | NewPolicyForm) -> dict:
    """The level a form adds: its targets are `kind:ref` (schemas.TARGET), a user's or schedule's ref an id."""
    targets = []
    for value in form.targets:
        kind, _, ref = value.partition(":")
        targets.append({"kind": kind, "ref": ref if kind == "role" else int(ref)})
    return {"delay_minutes": form.delay_minutes, "targets": targets}


def _change_policy(policy: EscalationPolicy | None, body: dict, message: str, failed):
    known = manage.known()
    try:
        clean = validate_policy(body, users=known["users"], schedules=known["schedules"], teams=known["teams"],
                                sites=known["sites"], partial=policy is not None)
    except Invalid as invalid:
        return _policies_page(invalid.fields, failed, 422)
    policy = manage.save_policy(policy, clean)
    return _done(message.format(name=policy.name), "oncall.policies")


def _policy(policy_id: int) -> EscalationPolicy:
    return db.session.get(EscalationPolicy, policy_id) or abort(404)


def _policy_fields(form: PolicyForm) -> dict:
    return {"name": form.name, "repeats": form.repeats, "team_id": form.team_id}


@bp.post("/admin/policies")
@admin_required
@declare(form=NewPolicyForm)
def create_policy(form: NewPolicyForm):
    body = {**_policy_fields(form), "levels": [_form_level(form)], "rules": []}
    return _change_policy(None, body, "Added policy {name}. Add the rules that choose it, and more levels.", "new")


@bp.post("/admin/policies/<int:policy_id>")
@admin_required
@declare(form=PolicyForm)
def update_policy(policy_id: int, form: PolicyForm):
    return _change_policy(_policy(policy_id), _policy_fields(form), "Saved policy {name}.", policy_id)


def _levels(policy: EscalationPolicy) -> list[dict]:
    return [{"delay_minutes": lv.delay_minutes, "targets": lv.targets} for lv in policy.levels]


def _rules(policy: EscalationPolicy) -> list[dict]:
    return [{"priority": c.position, "sites": c.sites, "categories": c.categories, "severities": c.severities}
            for c in policy.choices]


@bp.post("/admin/policies/<int:policy_id>/levels")
@admin_required
@declare(form=LevelForm)
def add_level(policy_id: int, form: LevelForm):
    policy = _policy(policy_id)
    return _change_policy(policy, {"levels": _levels(policy) + [_form_level(form)]},
                          "Added a level to {name}.", policy_id)


@bp.post("/admin/policies/<int:policy_id>/levels/<int:index>/remove")
@admin_required
@declare(form=Form)
def remove_level(policy_id: int, index: int, form: Form):
    policy = _policy(policy_id)
    levels = _levels(policy)
    if not 0 <= index < len(levels):
        abort(404)
    del levels[index]
    return _change_policy(policy, {"levels": levels}, "Removed a level from {name}.", policy_id)


@bp.post("/admin/policies/<int:policy_id>/rules")
@admin_required
@declare(form=RuleForm)
def add_rule(policy_id: int, form: RuleForm):
    policy = _policy(policy_id)
    rule = {"priority": form.priority, "sites": form.sites or None, "categories": form.categories or None,
            "severities": form.severities or None}
    return _change_policy(policy, {"rules": _rules(policy) + [rule]}, "Added a rule that chooses {name}.", policy_id)


@bp.post("/admin/policies/<int:policy_id>/rules/<int:index>/remove")
@admin_required
@declare(form=Form)
def remove_rule(policy_id: int, index: int, form: Form):
    policy = _policy(policy_id)
    rules = _rules(policy)
    if not 0 <= index < len(rules):
        abort(404)
    del rules[index]
    return _change_policy(policy, {"rules": rules}, "Removed a rule from {name}.", policy_id)


@bp.post("/admin/policies/<int:policy_id>/delete")
@admin_required
@declare(form=Form)
def delete_policy(policy_id: int, form: Form):
    policy = _policy(policy_id)
    try:
        manage.delete_policy(policy)
    except Invalid as invalid:
        return _policies_page(invalid.fields, policy_id, 409)
    return _done(f"Deleted policy {policy.name}.", "oncall.policies")
