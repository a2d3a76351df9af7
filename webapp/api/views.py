"""JSON API v1: incidents, sites, organisation. Tokens act as their owner; cookie sessions need CSRF."""
from __future__ import annotations

import base64
import binascii
import re
from datetime import date

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
from ..common.http import json_api, json_body
from ..database import commit_retrying, utcnow
from ..extensions import db
from ..incidents import actions
from ..incidents.lifecycle import ALL_STATUSES
from ..incidents.models import Incident
from ..incidents.queries import NOT_CANCELLED, incident_query
from ..incidents.views import visible_incident
from ..learning import summary as learning_summary
from ..obligations.service import obligations_of
from ..organisation.hours import set_hours
from ..organisation.models import Organisation, Site, SiteHours
from ..organisation.rules import parse_month, validate_hours, validate_profile, validate_site
from ..reporting.service import ClientIdTaken, submit_report
from ..rules.answers import validate_report
from ..rules.classification import SEVERITIES
from ..rules.guide import unasked
from ..sla.service import clock_view
from .export import COLUMNS, incident_rows

bp = json_api(Blueprint("api", __name__, url_prefix="/api/v1"))


@bp.post("/incidents")
@any_user_required
def create_incident():
    """File a report; the same client_id again returns the first incident (200) and creates nothing."""
    sites = {code for code in db.session.scalars(db.select(Site.code))}
    home = current_user.home_site.code if current_user.home_site else None
    report = validate_report(json_body(), now=utcnow(), site_codes=sites, default_site=home)
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
def get_incident(reference: str):
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
def change_status(reference: str):
    """`{"status": "...", "reason": "..."}` by the lifecycle's rules, as on the page. Closing while a
    required review or its actions are unfinished: 409 with `blocking`; a supervisor's reason closes
    it anyway (logged)."""
    incident = visible_incident(reference)
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"status", "reason"}:
        raise Invalid({"": "send {status, reason}"})
    if body.get("status") not in ALL_STATUSES:
        raise Invalid({"status": f"must be one of: {', '.join(ALL_STATUSES)}"})
    if body.get("reason") is not None and not isinstance(body["reason"], str):
        raise Invalid({"reason": "must be text"})
    def move() -> None:
        _unless_changed(incident)  # on each attempt: with If-Match, a race lost is a Conflict, not a retry
        actions.change_status(incident, body["status"], body.get("reason"), current_user, utcnow())

    commit_retrying(move)
    return jsonify({**incident.to_json(), **learning_summary(incident, utcnow(), current_user)})


@bp.post("/incidents/<reference>/acknowledge")
@staff_required
def acknowledge(reference: str):
    """Acknowledge as the token's owner, the same as the page's button (the first stamps acknowledged_at,
    later ones go on the timeline)."""
    incident = visible_incident(reference)
    commit_retrying(lambda: actions.acknowledge(incident, current_user, utcnow()))
    return jsonify(incident.to_json())


@bp.patch("/incidents/<reference>")
@supervisor_required
def correct_answers(reference: str):
    """Supervisors correct a report's answers: `{"answers": {...changed keys...}, "reason": "..."}`; a key
    set to null removes that answer. The incident is classified again and its obligations recomputed."""
    incident = visible_incident(reference)
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"answers", "reason"}:
        raise Invalid({"": "send {answers, reason}"})
    if body.get("reason") is not None and not isinstance(body["reason"], str):
        raise Invalid({"reason": "must be text"})
    _unless_changed(incident)
    try:
        actions.correct_answers(incident, body.get("answers"), body.get("reason"), current_user, utcnow())
    except ActionRefused as refused:
        db.session.rollback()
        raise Invalid({"reason" if "reason" in str(refused) else "answers": str(refused)}, 422) from None
    except Invalid:
        db.session.rollback()
        raise
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


def _day(text: str) -> date | None:
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:  # 2026-02-30
        return None


def _list_filters(args, allowed: tuple[str, ...]) -> dict[str, str]:
    """The incident list's filters (`status`, `severity`, `site`, and what else `allowed` names); Invalid
    names each bad one."""
    errors = {k: f"is not a filter (use {', '.join(allowed)})" for k in args if k not in allowed}
    if args.get("status") and args["status"] not in ALL_STATUSES + ("open", NOT_CANCELLED):
        errors["status"] = f"must be one of: open, {NOT_CANCELLED}, {', '.join(ALL_STATUSES)}"
    if args.get("severity") and args["severity"] not in SEVERITIES:
        errors["severity"] = f"must be one of: {', '.join(SEVERITIES)}"
    if args.get("site") and db.session.scalar(db.select(Site.id).filter_by(code=args["site"])) is None:
        errors["site"] = f"unknown site {args['site']!r}"
    for key in ("from", "to"):
        if key in allowed and args.get(key) and _day(args[key]) is None:
            errors[key] = "must be a date: YYYY-MM-DD (UTC)"
    if errors:
        raise Invalid(errors)
    return {k: args[k] for k in ("status", "severity", "site") if args.get(k)}


@bp.get("/incidents")
@any_user_required
def list_incidents():
    """Newest first, with `status`, `severity` and `site` filters; follow `next_cursor` for more."""
    args = request.args
    limit = args.get("limit", str(current_app.config["API_PAGE_SIZE"]))
    if not re.fullmatch(r"[0-9]{1,3}", limit) or not 1 <= int(limit) <= 200:
        raise Invalid({"limit": "must be a whole number from 1 to 200"})
    query = incident_query(current_user, **_list_filters(args, ("status", "severity", "site", "cursor", "limit")))
    after = _cursor(args.get("cursor"))
    if after is not None:
        query = query.where(Incident.id < after)
    page = list(db.session.scalars(query.order_by(Incident.id.desc()).limit(int(limit) + 1)))
    more = len(page) > int(limit)
    page = page[: int(limit)]
    cursor = base64.urlsafe_b64encode(str(page[-1].id).encode()).decode().rstrip("=") if more else None
    return jsonify(incidents=[i.to_json() for i in page], next_cursor=cursor)


@bp.get("/incidents.csv")
@any_user_required
@not_from_other_sites
def export_incidents():
    """The incident list as CSV (UTF-8, RFC 4180, ISO 8601 times with offsets), with the list's filters
    and `from`/`to` (the dates reported, UTC, inclusive); streamed a row at a time, oldest first."""
    args = request.args
    filters = _list_filters(args, ("status", "severity", "site", "from", "to"))
    start, end = _day(args.get("from", "")), _day(args.get("to", ""))
    if start and end and start > end:
        raise Invalid({"from": "must not be after to"})
    query = incident_query(current_user, reported_from=start, reported_to=end, **filters)
    now, targets = utcnow(), Organisation.current().sla_targets
    actions.record_list_export(query, "csv", current_user, now)  # on each incident's timeline, then the rows
    db.session.commit()
    # Oldest first by the report time, which its index serves as a range (ordered by id instead, a
    # server-side cursor on PostgreSQL walks the whole primary key to find a recent month).
    query = query.options(selectinload(Incident.site), selectinload(Incident.category_rows),
                          selectinload(Incident.reporter)).order_by(Incident.reported_at, Incident.id)

    def rows():
        # A thousand rows at a time (a server-side cursor on PostgreSQL): memory stays flat however many
        # incidents there are. The cursor is closed even when the download is abandoned half way.
        result = db.session.scalars(query.execution_options(yield_per=1000))
        try:
            yield from csv_lines(COLUMNS, incident_rows(result, now, targets))
        finally:
            result.close()

    name = f"incidents-{now:%Y%m%d-%H%M}.csv"
    return Response(stream_with_context(rows()), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/organisation")
@admin_required
def get_organisation():
    return jsonify(Organisation.current().to_json())


@bp.patch("/organisation")
@admin_required
def patch_organisation():
    changes = validate_profile(json_body())
    org = Organisation.current()
    for key, value in changes.items():
        setattr(org, key, value)
    db.session.commit()
    return jsonify(org.to_json())


@bp.get("/sites")
@admin_required
def list_sites():
    sites = db.session.scalars(db.select(Site).order_by(Site.code))
    return jsonify(sites=[s.to_json() for s in sites])


@bp.post("/sites")
@admin_required
def create_site():
    taken = set(db.session.scalars(db.select(Site.code)))
    site = Site(**validate_site(json_body(), taken))
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
def put_hours(code: str, month: str):
    """`{"hours": 12345.5}`: the hours worked at the site in that calendar month (replacing any given)."""
    site = _site(code)
    body = json_body()
    if not isinstance(body, dict) or set(body) != {"hours"}:
        raise Invalid({"": 'send {"hours": number}'})
    errors = {}
    try:
        first = parse_month(month)
    except ValueError as problem:
        errors["month"] = str(problem)
    try:
        hours = validate_hours(body["hours"])
    except ValueError as problem:
        errors["hours"] = str(problem)
    if errors:
        raise Invalid(errors)
    row = set_hours(site, first, hours)
    db.session.commit()
    return jsonify(row.to_json(site.code))


@bp.get("/sites/<code>/hours")
@admin_required
def list_hours(code: str):
    site = _site(code)
    rows = db.session.scalars(db.select(SiteHours).filter_by(site_id=site.id).order_by(SiteHours.month.desc()))
    return jsonify(hours=[row.to_json(site.code) for row in rows])
