"""Health check for load balancers and monitoring: the database and the escalation worker."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from ..auth.security import public
from ..database import utcnow
from ..extensions import db
from ..notify.worker import engine_status

bp = Blueprint("system", __name__)


@bp.get("/healthz")
@public
def healthz():
    """200 when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception as exc:  # any database failure means unhealthy
        return jsonify(status="error", database=f"unreachable: {type(exc).__name__}"), 503
    worker = engine_status(utcnow())
    # The web app still serves with a stale worker, so this stays 200; monitoring reads "worker".
    return jsonify(status="degraded" if worker["stale"] else "ok", database="ok", worker=worker)
