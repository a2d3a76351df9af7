"""GET /api/v1/metrics: the figures of REFERENCE section 8 for a period and a site (supervisors, admins)."""
from __future__ import annotations

from flask import Blueprint, jsonify

from ..auth.security import supervisor_required
from ..common.http import json_api
from ..common.schemas import declare
from ..database import utcnow
from .schemas import TAGS, MetricsOut, MetricsQuery
from .service import metrics, period_from

bp = json_api(Blueprint("metrics_api", __name__, url_prefix="/api/v1"))


@bp.get("/metrics")
@supervisor_required
@declare(query=MetricsQuery, answers={200: MetricsOut}, tags=TAGS)
def get_metrics(query: MetricsQuery):
    """The figures of the metrics page for a period (and a site)."""
    return jsonify(metrics(period_from(query.args()), utcnow()))
