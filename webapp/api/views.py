"""JSON API v1: incidents, sites, organisation. Tokens act as their owner; cookie sessions need CSRF."""
from __future__ import annotations

import base64
import binascii

from flask import Blueprint, Response, abort, current_app, jsonify, request, stream_with_context, url_for
from flask_login import current_user
from sqlalchemy.orm import selectinload

from ..auth.security import (
    admin_required,
    any_user_required,
    not_from_other_sites,
    staff_required,
    supervisor_required,
)
from ..common.csvtext import csv_lines
from ..common.errors import ActionRefused, Conflict, Invalid
from ..common.http import json_api
from ..common.schemas import Problem, declare
from ..database import commit_retrying, utcnow
from ..extensions import db
from ..incidents import actions
from ..incidents.models import Incident
from ..incidents.queries import AS_JSON, incident_query
from ..incidents.views import visible_incident
from ..learning import summary as learning_summary
from ..obligations.service import obligations_of
from ..organisation.hours import set_hours
from ..organisation.models import Organisation, Site, SiteHours
from ..organisation.rules import parse_month, validate_profile, validate_site
from ..reporting.service import ClientIdTaken, submit_report
from ..rules.answers import validate_report
from ..rules.guide import unasked
from ..sla.service import clock_view
from . import schemas as s
from .export import COLUMNS, incident_rows

bp = json_api(Blueprint("api", __name__, url_prefix="/api/v1"))


INCIDENTS = ("Incidents",)
PLACES = ("Organisation and sites",)


@bp.post("/incidents")
@any_user_required
@declare(body=s.ReportIn, answers={201: s.IncidentOut, 200: s.IncidentOut, 409: Problem, 422: Problem}, tags=INCIDENTS)
def create_incident(body: s.ReportIn):
    """File a report; the same client_id again returns the first incident (200) and creates nothing.

    Answers to follow-up questions the other answers do not ask are refused (the form drops them)."""
    sites = {code for code in db.session.scalars(db.select(Site.code))}
    home = current_user.home_site.code if current_user.home_site else None
    report = validate_report(body.given(), now=utcnow(), site_codes=sites, default_site=home)
    if problems := unasked(report.answers):  # the form would drop them: refused, so nothing is lost unseen
        raise Invalid(problems)
    try:
        incident, created = submit_report(report, current_user, utcnow())
    except ClientIdTaken:
        raise Invalid({"client_id": "is already used by another user's report"}, status=409) from None
    response = jsonify(incident.to_json())
    response.status_code = 201 if created else 200
    response.headers["Location"] = url_for("api.get_incident", reference=incident.reference)
    return response


def _etag(incident: Incident) -> str:
    return f'"{incident.version}"'


def _unless_changed(incident: Incident) -> None:
    """`If-Match` (the ETag a GET gave): a change asked on a version someone else has changed since is a
    409 with the incident as it is now, and changes nothing."""
    asked = request.headers.get("If-Match")
    if asked is not None and asked.strip() not in ("*", _etag(incident), f"W/{_etag(incident)}"):
        raise Conflict(f"{incident.reference} was changed meanwhile (it is at version {incident.version}); "
                       "nothing you sent was changed", current={**incident.to_json(), "version": incident.version})


@bp.get("/incidents/<reference>")
@any_user_required
@declare(answers={200: s.IncidentDetail}, tags=INCIDENTS)
def get_incident(reference: str):
    """An incident with its timeline, obligations and SLA clocks; its `ETag` is what `If-Match` takes."""
    incident = visible_incident(reference)
    now = utcnow()
    response = jsonify({**incident.to_json(), **learning_summary(incident, now, current_user),
                        "timeline": [e.to_json() for e in incident.timeline],
                        "obligations": [o.to_json(now) for o in obligations_of(incident)],
                        "sla": [{"clock": c["clock"], "target": c["target"], "due": c["due"].isoformat(),
                                 "met_at": c["met_at"].isoformat() if c["met_at"] else None, "state": c["state"]}
                                for c in clock_view(incident, now)]})
    response.headers["ETag"] = _etag(incident)
    return response


@bp.post("/incidents/<reference>/status")
@staff_required
@declare(body=s.StatusIn, answers={200: s.IncidentWithLearning, 409: s.Conflicted, 422: Problem}, tags=INCIDENTS)
def change_status(reference: str, body: s.StatusIn):
    """Move the incident along its lifecycle, by the same rules as the page.

    A reason is needed to move back or to cancel. Closing while a required review or its actions are
    unfinished is a 409 with `blocking`; a supervisor's reason closes it anyway (logged). With `If-Match`
    (the ETag of a GET), a change made meanwhile is a 409 with `current`."""
    incident = visible_incident(reference)

    def move() -> None:
        _unless_changed(incident)  # on each attempt: with If-Match, a race lost is a Conflict, not a retry
        actions.change_status(incident, body.status, body.reason, current_user, utcnow())

    commit_retrying(move)
    return jsonify({**incident.to_json(), **learning_summary(incident, utcnow(), current_user)})


@bp.post("/incidents/<reference>/acknowledge")
@staff_required
@declare(answers={200: s.IncidentOut}, tags=INCIDENTS)
def acknowledge(reference: str):
    """Acknowledge as the token's owner, the same as the page's button (the first stamps acknowledged_at,
    later ones go on the timeline)."""
    incident = visible_incident(reference)
    commit_retrying(lambda: actions.acknowledge(incident, current_user, utcnow()))
    return jsonify(incident.to_json())


@bp.patch("/incidents/<reference>")
@supervisor_required
@declare(body=s.CorrectionIn, answers={200: s.CorrectedIncident, 409: s.Conflicted, 422: Problem}, tags=INCIDENTS)
def correct_answers(reference: str, body: s.CorrectionIn):
    """Supervisors correct a report's answers: `{"answers": {...changed keys...}, "reason": "..."}`; a key
    set to null removes that answer. The incident is classified again and its obligations recomputed."""
    incident = visible_incident(reference)
    _unless_changed(incident)
    try:
        actions.correct_answers(incident, body.answers.given(), body.reason, current_user, utcnow())
    except ActionRefused as refused:
        db.session.rollback()
        raise Invalid({"reason" if "reason" in str(refused) else "answers": str(refused)}, 422) from None
    except Invalid as invalid:  # the service names answers by their keys: here they are inside `answers`
        db.session.rollback()
        raise Invalid({k if k in ("", "answers", "reason") else f"answers.{k}": v for k, v in invalid.fields.items()},
                      invalid.status) from None
    db.session.commit()
    now = utcnow()
    return jsonify({**incident.to_json(), **learning_summary(incident, now, current_user),
                    "obligations": [o.to_json(now) for o in obligations_of(incident)]})


def _cursor(raw: str | None) -> int | None:
    if not raw:
        return None
    try:
        return int(base64.urlsafe_b64decode(raw.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise Invalid({"cursor": "is not a cursor this API gave out"}) from None


def _list_filters(query: s.IncidentFilters) -> dict[str, str]:
    """The incident list's filters (`status`, `severity`, `site`); an unknown site is named."""
    if query.site and db.session.scalar(db.select(Site.id).filter_by(code=query.site)) is None:
        raise Invalid({"site": f"unknown site {query.site!r}"})
    return {k: v for k, v in query.model_dump(include={"status", "severity", "site"}).items() if v}


@bp.get("/incidents")
@any_user_required
@declare(query=s.IncidentListQuery, answers={200: s.IncidentPage}, tags=INCIDENTS)
def list_incidents(query: s.IncidentListQuery):
    """Newest first, with `status`, `severity` and `site` filters; follow `next_cursor` for more."""
    limit = query.limit if "limit" in query.model_fields_set else current_app.config["API_PAGE_SIZE"]
    found = incident_query(current_user, **_list_filters(query))
    after = _cursor(query.cursor)
    if after is not None:
        found = found.where(Incident.id < after)
    page = list(db.session.scalars(found.options(*AS_JSON).order_by(Incident.id.desc()).limit(limit + 1)))
    more = len(page) > limit
    page = page[:limit]
    cursor = base64.urlsafe_b64encode(str(page[-1].id).encode()).decode().rstrip("=") if more else None
    return jsonify(incidents=[i.to_json() for i in page], next_cursor=cursor)


@bp.get("/incidents.csv")
@any_user_required
@not_from_other_sites
@declare(query=s.ExportQuery, answers={200: "text/csv"}, tags=INCIDENTS)
def export_incidents(query: s.ExportQuery):
    """The incident list as CSV (UTF-8, RFC 4180, ISO 8601 times with offsets), with the list's filters
    and `from`/`to` (the dates reported, UTC, inclusive); streamed a row at a time, oldest first."""
    filters = _list_filters(query)
    start, end = query.from_, query.to
    if start and end and start > end:
        raise Invalid({"from": "must not be after to"})
    found = incident_query(current_user, reported_from=start, reported_to=end, **filters)
    now, targets = utcnow(), Organisation.current().sla_targets
    actions.record_list_export(found, "csv", current_user, now)  # on each incident's timeline, then the rows
    db.session.commit()
    # Oldest first by the report time, which its index serves as a range (ordered by id instead, a
    # server-side cursor on PostgreSQL walks the whole primary key to find a recent month).
    found = found.options(selectinload(Incident.site), selectinload(Incident.category_rows),
                          selectinload(Incident.reporter)).order_by(Incident.reported_at, Incident.id)

    def rows():
        # A thousand rows at a time (a server-side cursor on PostgreSQL): memory stays flat however many
        # incidents there are. The cursor is closed even when the download is abandoned half way.
        result = db.session.scalars(found.execution_options(yield_per=1000))
        try:
            yield from csv_lines(COLUMNS, incident_rows(result, now, targets))
        finally:
            result.close()

    name = f"incidents-{now:%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(rows()), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/organisation")
@admin_required
@declare(answers={200: s.OrganisationOut}, tags=PLACES)
def get_organisation():
    """The organisation's name and profile flags."""
    return jsonify(Organisation.current().to_json())


@bp.patch("/organisation")
@admin_required
@declare(body=s.ProfileIn, answers={200: s.OrganisationOut}, tags=PLACES)
def patch_organisation(body: s.ProfileIn):
    """Change the organisation's name or profile flags (null leaves one as it is)."""
    changes = validate_profile({k: v for k, v in body.given().items() if v is not None})
    org = Organisation.current()
    for key, value in changes.items():
        setattr(org, key, value)
    db.session.commit()
    return jsonify(org.to_json())


@bp.get("/sites")
@admin_required
@declare(answers={200: s.SiteList}, tags=PLACES)
def list_sites():
    """Every site, by code."""
    sites = db.session.scalars(db.select(Site).order_by(Site.code))
    return jsonify(sites=[s.to_json() for s in sites])


@bp.post("/sites")
@admin_required
@declare(body=s.SiteIn, answers={201: s.SiteOut, 409: Problem}, tags=PLACES)
def create_site(body: s.SiteIn):
    """Add a site; its code is upper-cased, and a code already in use is a 409."""
    taken = set(db.session.scalars(db.select(Site.code)))
    site = Site(**validate_site(body.given(), taken))
    db.session.add(site)
    db.session.commit()
    return jsonify(site.to_json()), 201


def _site(code: str) -> Site:
    site = db.session.scalar(db.select(Site).filter_by(code=code))
    if site is None:
        abort(404, description=f"no site {code!r}")
    return site


@bp.put("/sites/<code>/hours/<month>")
@admin_required
@declare(body=s.HoursIn, answers={200: s.HoursOut}, tags=PLACES)
def put_hours(code: str, month: str, body: s.HoursIn):
    """`{"hours": 12345.5}`: the hours worked at the site in that calendar month (`YYYY-MM`), replacing
    any given."""
    site = _site(code)
    try:
        first = parse_month(month)
    except ValueError as problem:
        raise Invalid({"month": str(problem)}) from None
    row = set_hours(site, first, body.hours)
    db.session.commit()
    return jsonify(row.to_json(site.code))


@bp.get("/sites/<code>/hours")
@admin_required
@declare(answers={200: s.HoursList}, tags=PLACES)
def list_hours(code: str):
    """The hours worked at the site, newest month first."""
    site = _site(code)
    rows = db.session.scalars(db.select(SiteHours).filter_by(site_id=site.id).order_by(SiteHours.month.desc()))
    return jsonify(hours=[row.to_json(site.code) for row in rows])
