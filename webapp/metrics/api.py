"""GET /api/v1/metrics: the figures of REFERENCE section 8 for a period and a site (supervisors, admins)."""
from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, jsonify, request

from ..auth.security import supervisor_required
from ..common.errors import Invalid
from ..common.http import json_api
from ..database import utcnow
from ..extensions import db
from ..organisation.models import Site
from .service import Period, metrics

bp = json_api(Blueprint("metrics_api", __name__, url_prefix="/api/v1"))
DEFAULT_DAYS = 30
LONGEST = timedelta(days=366 * 10)


def period_from(args) -> Period:
    """`from` and `to` (YYYY-MM-DD, UTC, `to` inclusive; the last 30 days by default) and `site`."""
    errors = {k: "is not a filter (use from, to, site)" for k in args if k not in ("from", "to", "site")}
    today = utcnow().date()
    days = {}
    for key, default in (("to", today), ("from", None)):
        text = args.get(key, "")
        if not text:
            days[key] = default
            continue
        try:
            days[key] = date.fromisoformat(text) if len(text) == 10 else None
        except ValueError:
            days[key] = None
        if days[key] is None:
            errors[key] = "must be a date: YYYY-MM-DD"
    site = None
    if args.get("site"):
        site = db.session.scalar(db.select(Site).filter_by(code=args["site"]))
        if site is None:
            errors["site"] = f"unknown site {args['site']!r}"
    if errors:
        raise Invalid(errors)
    last = days["to"]
    first = days["from"] or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid({"from": "must not be after to"})
    if last - first > LONGEST:
        raise Invalid({"from": "a period can be at most 10 years"})
    return Period(first, last, site)


@bp.get("/metrics")
@supervisor_required
def get_metrics():
    return jsonify(metrics(period_from(request.args), utcnow()))
