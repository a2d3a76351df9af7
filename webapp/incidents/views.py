"""Triage queue and incident pages (tablet first: list and detail side by side)."""
from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block
from sqlalchemy.orm.exc import StaleDataError

from ..auth.models import STAFF_ROLES, User
from ..auth.security import any_user_required, staff_required, supervisor_required
from ..common.errors import ActionRefused, Blocked, Conflict, Invalid
from ..common.http import check_csrf, is_htmx
from ..common.schemas import Form, declare
from ..common.timewords import read_local_datetime
from ..database import commit_retrying, utcnow
from ..extensions import csrf, db
from ..organisation.models import Site
from ..rules import answers as keys
from ..rules.classification import CATEGORIES, SEVERITIES
from ..rules.form import answers_from_form, form_values
from ..rules.guide import SHOW_WHEN, follow_up_keys, show_when_attribute
from . import actions, hooks, queries
from . import schemas as forms
from .lifecycle import ALL_STATUSES, STATUS_LABELS
from .models import INCIDENT_ROLES, Incident

bp = Blueprint("incidents", __name__, url_prefix="/incidents")
DETAIL = "incidents/detail.html"


def _day(text: str | None) -> date | None:
    if not text or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _filters() -> dict:
    """Queue filters from the query string; values outside their lists are ignored. `from` and `to` (days
    reported, UTC) come with the links from the metrics page."""
    args = request.args
    status = args.get("status", "open")
    return {
        "status": status if status in ALL_STATUSES + ("open", "all", queries.NOT_CANCELLED) else "open",
        "severity": args.get("severity") if args.get("severity") in SEVERITIES else None,
        "site": args.get("site") or None,
        "category": args.get("category") if args.get("category") in CATEGORIES else None,
        "reported_from": _day(args.get("from")),
        "reported_to": _day(args.get("to")),
    }


@bp.get("")
@staff_required
def queue():
    """The queue; an HTMX poll gets just the list so the filters and the open pane stay put."""
    filters = _filters()
    now = utcnow()
    incidents = queries.queue(current_user, limit=queries.QUEUE_LIMIT, now=now, **filters)
    total = queries.queue_size(current_user, **filters) if len(incidents) == queries.QUEUE_LIMIT else len(incidents)
    facts = hooks.queue_facts(incidents, current_user, now)  # SLA clocks, regulators' deadlines...
    # Nearest deadline first, an SLA target or a regulator's (one missed is in the past, so it leads);
    # then severity and age.
    far = now.replace(year=now.year + 100)
    incidents.sort(key=lambda i: (facts.deadlines.get(i.id, far) if i.is_open else far, i.severity, i.reported_at))
    context = dict(incidents=incidents, total=total, filters=filters, now=now,
                   poll_seconds=current_app.config["QUEUE_POLL_SECONDS"], **facts.context)
    if is_htmx():
        return render_block("incidents/queue.html", "queue_list", **context)
    sites = db.session.scalars(db.select(Site).order_by(Site.name))
    undated = {k: v for k, v in filters.items() if v and k in ("status", "severity", "site", "category")}
    return render_template("incidents/queue.html", sites=list(sites), statuses=STATUS_LABELS,
                           any_date_url=url_for("incidents.queue", **undated),
                           severities=SEVERITIES, categories=CATEGORIES, **context)


def visible_incident(reference: str) -> Incident:
    """The incident, or 404 for one that does not exist or that this user may not see."""
    incident = Incident.by_reference(reference)
    if incident is None or not incident.can_view(current_user):
        abort(404)
    return incident


def _detail_context(incident: Incident, error: str | None = None, failed_form: str = "") -> dict:
    staff = db.session.scalars(
        db.select(User).where(User.active.is_(True), User.role.in_(STAFF_ROLES)).order_by(User.name))
    now = utcnow()
    return dict(incident=incident, error=error, failed_form=failed_form, statuses=STATUS_LABELS,
                severities=SEVERITIES, roles=INCIDENT_ROLES, staff=list(staff), now=now,
                **hooks.detail_context(incident, current_user, now))  # obligations, clocks, updates, alerts


@bp.get("/<reference>")
@any_user_required
def detail(reference: str):
    return render_detail(visible_incident(reference))


def render_detail(incident: Incident, error: str | None = None, failed_form: str = "", status: int = 200):
    """The incident as a page, or as the `detail` fragment for htmx."""
    context = _detail_context(incident, error, failed_form)
    if is_htmx():
        return render_block(DETAIL, "detail", **context), status
    return render_template(DETAIL, **context), status


def act_on(reference: str, form: str, action) -> object:
    """Run `form`'s action on a visible incident, commit, and show the incident again (or the error)."""
    incident = visible_incident(reference)
    try:
        commit_retrying(lambda: action(incident))  # a form that carries what it saw checks it each time
    except StaleDataError:  # changed by other requests again and again between our reading and our writing
        db.session.rollback()
        return render_detail(incident, "Others changed this incident at the same moment, again and again. Nothing "
                                       "you sent was changed: here it is as it is now.", form, 409)
    except ActionRefused as refused:
        db.session.rollback()
        listed = (": " + "; ".join(refused.blocking)) if isinstance(refused, Blocked) else ""
        return render_detail(incident, str(refused) + listed, form, 409 if isinstance(refused, Conflict) else 422)
    if is_htmx():
        return render_detail(incident)
    return redirect(url_for("incidents.detail", reference=reference), code=303)


@bp.post("/<reference>/status")
@staff_required
@declare(form=forms.StatusForm)
def change_status(reference: str, form: forms.StatusForm):
    return act_on(reference, "status", lambda i: actions.change_status(
        i, form.status, form.reason, current_user, utcnow(), was=form.was))


@bp.post("/<reference>/severity")
@supervisor_required
@declare(form=forms.SeverityForm)
def override_severity(reference: str, form: forms.SeverityForm):
    return act_on(reference, "severity", lambda i: actions.override_severity(
        i, form.severity, form.reason, current_user, utcnow(), was=form.was))


@bp.post("/<reference>/roles")
@supervisor_required
@declare(form=forms.RoleForm)
def assign_role(reference: str, form: forms.RoleForm):
    return act_on(reference, "roles", lambda i: actions.assign_role(i, form.role, form.user_id, current_user,
                                                                      was=form.was))


@bp.post("/<reference>/notes")
@staff_required
@declare(form=forms.NoteForm)
def add_note(reference: str, form: forms.NoteForm):
    return act_on(reference, "note", lambda i: actions.add_note(i, form.note, current_user))


@bp.post("/<reference>/acknowledge")
@staff_required
@declare(form=Form)
def acknowledge(reference: str, form: Form):
    return act_on(reference, "acknowledge", lambda i: actions.acknowledge(i, current_user, utcnow()))


@bp.post("/<reference>/progress")
@staff_required
@declare(form=forms.ProgressForm)
def report_progress(reference: str, form: forms.ProgressForm):
    return act_on(reference, "progress", lambda i: actions.report_progress(i, form.progress, current_user))


@bp.post("/<reference>/aware-at")
@supervisor_required
@declare(form=forms.AwareAtForm)
def correct_aware_at(reference: str, form: forms.AwareAtForm):
    def correct(incident: Incident) -> None:
        try:
            moment = read_local_datetime(form.aware_at, ZoneInfo(incident.site.timezone))
        except ValueError:
            raise ActionRefused("Enter the date and time the organisation became aware") from None
        actions.correct_aware_at(incident, moment, form.reason, current_user, utcnow())

    return act_on(reference, "aware_at", correct)


@bp.route("/<reference>/answers", methods=["GET", "POST"])
@supervisor_required
@csrf.exempt  # checked below, so an expired form comes back with the corrections still in it
@declare(form=forms.AnswersForm)
def correct_answers(reference: str, form: forms.AnswersForm):
    """The report's guided questions, filled in, for a supervisor to correct with a reason. The incident
    is classified again and its obligations and clocks follow (see actions.correct_answers)."""
    incident = visible_incident(reference)
    zone = ZoneInfo(incident.site.timezone)
    errors: dict[str, str] = {}
    status = 422
    if request.method == "GET":
        answers, values = incident.answers, form_values(incident.answers, zone)
    else:
        values = form.model_dump()
        answers = answers_from_form(values, values.get, zone)
        changes = {k: answers.get(k) for k in keys.ANSWER_KEYS if k not in keys.ENVELOPE}
        try:
            check_csrf()
            words = actions.correct_answers(incident, changes, form.reason, current_user, utcnow(),
                                            was=form.answers_seen)
        except Conflict as conflict:  # the answers as they are now, to correct again
            db.session.rollback()
            errors, status = {"": str(conflict)}, 409
            answers, values = incident.answers, form_values(incident.answers, zone)
        except CSRFError:
            errors = {"": "This form had expired, so nothing was saved. Your corrections are still here: "
                          "check them and save again."}
        except Invalid as invalid:
            errors = invalid.fields
        except ActionRefused as refused:
            errors = {"reason" if "reason" in str(refused) else "": str(refused)}
        if errors:
            db.session.rollback()
        else:
            db.session.commit()
            flash("Answers corrected: " + "; ".join(words) + f". Now {incident.severity}.")
            return redirect(url_for("incidents.detail", reference=reference), code=303)
    return render_template("incidents/answers.html", incident=incident, values=values, errors=errors, keys=keys,
                           answers_seen=actions.answers_seen(incident),
                           follow_up=follow_up_keys(answers),
                           show_when={key: show_when_attribute(key) for key in SHOW_WHEN}), status if errors else 200
