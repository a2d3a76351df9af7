"""The metrics page: the figures of REFERENCE section 8 for supervisors, tablet first, as tables."""
from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from ..auth.security import supervisor_required
from ..common.errors import Invalid
from ..database import utcnow
from ..extensions import db
from ..organisation.models import Site
from ..rules.classification import CATEGORIES, SEVERITIES
from .charts import Bar, stacked_bars
from .service import injuries_by_site, metrics, over_time, period_from, times_by_severity

bp = Blueprint("metrics", __name__)


@bp.get("/metrics")
@supervisor_required
def page():
    error = None
    try:
        period = period_from(request.args)
    except Invalid as bad:
        error = "; ".join(f"{k} {v}" if k else v for k, v in bad.fields.items())
        period = period_from({})
    now = utcnow()
    csv_args = {"from": period.first.isoformat(), "to": period.last.isoformat(),
                **({"site": period.site.code} if period.site else {})}
    return render_template("metrics/index.html", csv_url=url_for("api.export_incidents", **csv_args),
                           **_figures(period, now, error)), 400 if error else 200


def _chart(period) -> dict:
    unit, buckets = over_time(period)
    label = "%d %b" if unit == "week" else "%b %Y"
    bars = [Bar(start.strftime(label), counts) for start, counts in buckets]
    title = f"Incidents per {unit} by severity"
    return {"chart": stacked_bars(title, bars, list(SEVERITIES), {s: f"sev-{s.lower()}" for s in SEVERITIES}),
            "chart_title": title, "chart_unit": unit, "buckets": buckets}


def _figures(period, now, error) -> dict:
    return dict(**_chart(period), figures=metrics(period, now), times=times_by_severity(period), sites_injuries=injuries_by_site(period),
                period=period, error=error, sites=list(db.session.scalars(db.select(Site).order_by(Site.name))),
                severities=SEVERITIES, categories=CATEGORIES)
