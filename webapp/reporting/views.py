"""The guided report form (phone first) and a reporter's own reports."""
from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from jinja2_fragments.flask import render_block

from ..database import utcnow
from ..extensions import csrf, db
from ..incidents.models import Incident
from ..organisation.models import Site
from ..rules import answers as keys
from ..rules.answers import ReportInvalid, validate_report
from ..security import any_user_required, check_csrf, is_htmx
from .form import answers_from_form, local_input_value
from .guide import GUIDING_KEYS, follow_up_keys, prune
from .service import ClientIdTaken, submit_report

bp = Blueprint("reporting", __name__)
TEMPLATE = "reporting/form.html"


def _sites() -> list[Site]:
    return list(db.session.scalars(db.select(Site).order_by(Site.name)))


def _site_zone(code: str | None, sites: list[Site]) -> ZoneInfo:
    by_code = {s.code: s for s in sites}
    site = by_code.get(code) or current_user.home_site or (sites[0] if sites else None)
    return ZoneInfo(site.timezone if site else "UTC")


def _form_context(values: dict, answers: dict, errors: dict, sites: list[Site]) -> dict:
    """`values` are the strings shown in the fields; `answers` the typed answers that guide the form."""
    return dict(values=values, errors=errors, sites=sites, keys=keys, follow_up=follow_up_keys(answers),
                guiding=GUIDING_KEYS)


def _read_form(sites: list[Site]) -> tuple[dict, dict]:
    """The typed answers from the posted form, and the strings to show back in the fields."""
    zone = _site_zone(request.values.get("site"), sites)
    answers = answers_from_form(request.values, request.values.getlist, zone)
    shown = request.values.to_dict()
    for key, spec in keys.ANSWER_KEYS.items():
        if spec.kind == "multi":
            shown[key] = request.values.getlist(key)
    return answers, shown


@bp.get("/report")
@any_user_required
def new():
    """A fresh report: occurred-at now, the user's home site, a new client_id."""
    sites = _sites()
    home = current_user.home_site or (sites[0] if sites else None)
    values = {
        "client_id": str(uuid.uuid4()),
        "site": home.code if home else "",
        "occurred_at": local_input_value(utcnow(), _site_zone(None, sites)),
        "what_happened": [],
    }
    return render_template(TEMPLATE, **_form_context(values, {}, {}, sites))


@bp.get("/report/questions")
@any_user_required
def questions():
    """The follow-up questions for the answers so far (an HTMX fragment)."""
    sites = _sites()
    answers, values = _read_form(sites)
    return render_block(TEMPLATE, "follow_up", **_form_context(values, answers, {}, sites))


@bp.post("/report")
@any_user_required
@csrf.exempt
def submit():
    """Validate and file the report; on any problem show the form again with every value kept."""
    sites = _sites()
    answers, values = _read_form(sites)
    try:
        check_csrf()
    except CSRFError:
        errors = {"": "This form had expired, so it was not sent. Your answers are still here: "
                      "check them and tap Submit again."}
        return render_template(TEMPLATE, **_form_context(values, answers, errors, sites)), 400
    home = current_user.home_site.code if current_user.home_site else None
    try:
        report = validate_report(prune(answers), now=utcnow(), site_codes={s.code for s in sites}, default_site=home)
        incident, _created = submit_report(report, current_user, utcnow())
    except ReportInvalid as invalid:
        return render_template(TEMPLATE, **_form_context(values, answers, invalid.fields, sites)), 422
    except ClientIdTaken:
        errors = {"": "This report's id is already in use. Reload the form to start a new report."}
        return render_template(TEMPLATE, **_form_context(values, answers, errors, sites)), 409
    return redirect(url_for("reporting.sent", reference=incident.reference), code=303)


@bp.get("/report/sent/<reference>")
@any_user_required
def sent(reference: str):
    incident = Incident.by_reference(reference)
    if incident is None or incident.reporter_id != current_user.id:
        abort(404)
    return render_template("reporting/sent.html", incident=incident)


@bp.get("/reports/mine")
@any_user_required
def mine():
    """Everything I reported, newest first, with its status."""
    incidents = db.session.scalars(
        db.select(Incident).filter_by(reporter_id=current_user.id).order_by(Incident.reported_at.desc()))
    if is_htmx():
        return render_block("reporting/mine.html", "rows", incidents=list(incidents))
    return render_template("reporting/mine.html", incidents=list(incidents))
