"""The metrics page: the figures of REFERENCE section 8 for supervisors, tablet first, as tables."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from ..auth.security import supervisor_required
from ..common.errors import Invalid
from ..database import utcnow
from ..extensions import db
from ..organisation.models import Site
from ..rules.classification import CATEGORIES, SEVERITIES
from .behind import LIMIT, incidents_behind
from .charts import Bar, stacked_bars
from .rollup import read
from .service import injuries_by_site, metrics, missing_hours, over_time, per_day, period_from, times_by_severity

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@supervisor_required
def page():
    error = None
    try:
        period = period_from(request.args)
    except Invalid as bad:
        error = _words(bad)
        period = period_from({})
    now = utcnow()
    csv_args = {"status": "not_cancelled", "from": period.first.isoformat(), "to": period.last.isoformat(),
                **({"site": period.site.code} if period.site else {})}
    return render_template("metrics/index.html", csv_url=url_for("api.export_incidents", **csv_args),
                           **_figures(period, now, error)), 400 if error else 200


@bp.get("/metrics/incidents")
@supervisor_required
def incidents():
    """The incidents behind one figure of the metrics page, for the same period and site."""
    try:
        period = period_from(request.args, also=("figure", "severity", "clock", "outcome"))
        behind, error = incidents_behind(request.args.get("figure", ""), request.args, period, utcnow()), None
    except Invalid as bad:
        period, behind, error = period_from({}), None, _words(bad)
    scope = {"from": period.first.isoformat(), "to": period.last.isoformat(),
             **({"site": period.site.code} if period.site else {})}
    return render_template("metrics/incidents.html", behind=behind, period=period, limit=LIMIT, error=error,
                           back=url_for("metrics.page", **scope), now=utcnow()), 400 if error else 200


def _words(bad: Invalid) -> str:
    return "; ".join(f"{k} {v}" if k else v for k, v in bad.fields.items())


def _charts(period, sites: list[Site], now) -> dict:
    """Incidents per week or month split by severity, by category and (for every site) by site."""
    charts = []
    names = {"severity": {s: s for s in SEVERITIES}, "category": dict(CATEGORIES),
             "site": {s.code: s.name for s in sites}}
    days = per_day(period, now)
    for by in ("severity", "category") + (() if period.site else ("site",)):
        unit, buckets = over_time(period, by, now, days)
        present = {value for _, counts in buckets for value in counts}
        series = [value for value in names[by] if value in present] if by != "severity" else list(SEVERITIES)
        classes = ({s: f"sev-{s.lower()}" for s in SEVERITIES} if by == "severity"
                   else {value: f"s{n % 8}" for n, value in enumerate(series)})
        label = "%d %b" if unit == "week" else "%b %Y"
        title = f"Incidents per {unit} by {by}"
        bars = [Bar(start.strftime(label), counts) for start, counts in buckets]
        charts.append({"id": by, "title": title, "unit": unit, "buckets": buckets,
                       "series": [(value, names[by].get(value, value), classes[value]) for value in series],
                       "svg": stacked_bars(title, bars, series, classes, names[by])})
    return {"charts": charts}


def _figures(period, now, error) -> dict:
    sites = list(db.session.scalars(db.select(Site).order_by(Site.name)))
    totals = read(period.first, period.last, period.site, now)
    return dict(**_charts(period, sites, now), figures=metrics(period, now, totals),
                times=times_by_severity(period, now, totals), sites_injuries=injuries_by_site(period, now, totals),
                missing_hours=missing_hours(period), period=period,
                error=error, sites=sites,
                severities=SEVERITIES, categories=CATEGORIES)
