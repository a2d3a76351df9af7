"""The guided report form (phone first) and a reporter's own reports."""
from __future__ import annotations

import uuid
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..auth.security import any_user_required
from ..common.http import check_csrf, wants_json
from ..common.schemas import declare, limit_body
from ..common.timewords import local_input_value
from ..database import utcnow
from ..evidence.service import PHOTOS_FORM_LIMIT, photos_from_request
from ..extensions import csrf, db
from ..incidents.models import Incident
from ..organisation.models import Site
from ..rules import answers as keys
from ..rules.answers import ReportInvalid, validate_report
from ..rules.form import answers_from_form
from ..rules.guide import SHOW_WHEN, follow_up_keys, prune, show_when_attribute
from .schemas import ReportForm
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
                show_when={key: show_when_attribute(key) for key in SHOW_WHEN})


def _read_form(form: ReportForm, sites: list[Site]) -> tuple[dict, dict]:
    """The typed answers from the posted form, and the strings to show back in the fields."""
    shown = form.model_dump()
    answers = answers_from_form(shown, shown.get, _site_zone(form.site, sites))
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


def _refused(values: dict, answers: dict, sites: list[Site], errors: dict, status: int):
    """The form again with every value kept (or, for the outbox, the same errors as JSON)."""
    if wants_json():
        message = errors.get("") or "the report has errors: " + ", ".join(k for k in errors if k)
        return jsonify(error=message, fields=errors), status
    return render_template(TEMPLATE, **_form_context(values, answers, errors, sites)), status


@bp.post("/report")
@any_user_required
@csrf.exempt
@limit_body(PHOTOS_FORM_LIMIT)  # a plain form's photos: before the declared form reads the body
@declare(form=ReportForm)
def submit(form: ReportForm):
    """Validate and file the report with its photos; on any problem nothing is stored and all is kept.

    Browsers without JavaScript post the form with the photo files; the app's outbox uploads each
    photo first and posts the same fields with the photos' SHA-256s, asking for JSON.
    """
    sites = _sites()
    answers, values = _read_form(form, sites)
    try:
        check_csrf()
    except CSRFError:
        errors = {"": "This form had expired, so it was not sent. Your answers are still here: "
                      "check them and tap Submit again."}
        return _refused(values, answers, sites, errors, 400)
    home = current_user.home_site.code if current_user.home_site else None
    now = utcnow()
    try:
        report = validate_report(prune(answers), now=now, site_codes={s.code for s in sites}, default_site=home)
        photos = photos_from_request(form.photos, request.files.getlist("photo_files"), current_user)
        incident, created = submit_report(report, current_user, now, photos)
    except ReportInvalid as invalid:
        db.session.rollback()
        # A page with errors is a 422 (what htmx swaps); JSON keeps the API's 400/422 distinction.
        return _refused(values, answers, sites, invalid.fields, invalid.status if wants_json() else 422)
    except ClientIdTaken:
        errors = {"": "This report's id is already in use. Reload the form to start a new report."}
        return _refused(values, answers, sites, errors, 409)
    if wants_json():
        body = {"reference": incident.reference, "severity": incident.severity,
                "url": url_for("incidents.detail", reference=incident.reference),
                "photos": [p.evidence.sha256 for p in incident.photos]}
        return jsonify(body), 201 if created else 200
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
    return render_template("reporting/mine.html", incidents=list(incidents))
