"""GET /api/v1/metrics: the figures of REFERENCE section 8 for a period and a site (supervisors, admins)."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..auth.security import supervisor_required
from ..common.http import json_api
from ..database import utcnow
from .service import metrics, period_from

bp = json_api(Blueprint("metrics_api", __name__, url_prefix="/api/v1"))
@bp.get("/metrics")
@supervisor_required
def get_metrics():
    return jsonify(metrics(period_from(request.args), utcnow()))
