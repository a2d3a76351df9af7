"""Health check for load balancers and monitoring."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from ..extensions import db
from ..security import public

bp = Blueprint("system", __name__)


@bp.get("/healthz")
@public
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means unhealthy
        return jsonify(status="error", database=f"unreachable: {type(exc).__name__}"), 503
    return jsonify(status="ok", database="ok")
