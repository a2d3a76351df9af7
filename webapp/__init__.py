"""Field incident app: the application factory."""
from pathlib import Path

from flask import Flask

from . import cli, comms, errors, escalation, learning, metrics, notify, obligations, sla, templating
from .admin.views import bp as admin_bp
from .api.reference import bp as api_docs_bp
from .api.views import bp as api_bp
from .auth import security
from .auth.views import bp as auth_bp
from .comms.views import bp as comms_bp
from .config import configure
from .escalation.api import bp as oncall_api_bp
from .escalation.views import bp as oncall_bp
from .evidence import service as evidence_service
from .evidence.views import bp as evidence_bp
from .exports.views import bp as exports_bp
from .extensions import compress, csrf, db, limiter, login_manager, migrate
from .incidents.views import bp as incidents_bp
from .learning.api import bp as learning_api_bp
from .learning.views import bp as learning_bp
from .metrics.api import bp as metrics_api_bp
from .metrics.views import bp as metrics_bp
from .notify.views import bp as notify_bp
from .obligations.views import bp as obligations_bp
from .pwa.views import bp as pwa_bp
from .reporting.views import bp as reporting_bp
from .sla.views import bp as sla_bp
from .system.views import bp as system_bp

# Features that follow incidents and run worker jobs, in the order they act: on a new incident its
# obligations are made before its update cadence; in a worker pass escalations go first and the
# notification core's deliveries last (each job also has its own order).
FEATURES = (obligations, sla, comms, escalation, learning, notify, metrics)
BLUEPRINTS = (auth_bp, reporting_bp, incidents_bp, admin_bp, api_bp, evidence_bp, pwa_bp, notify_bp, oncall_api_bp,
              oncall_bp, obligations_bp, sla_bp, comms_bp, learning_api_bp, learning_bp,
              metrics_api_bp, metrics_bp, exports_bp, system_bp, api_docs_bp)


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Create and configure the app; no side effects beyond reading configuration."""
    root = Path(__file__).resolve().parent.parent
    app = Flask(
        __name__,
        instance_path=instance_path,
        instance_relative_config=True,
        static_folder=str(root / "static"),
        template_folder=str(root / "templates"),
    )
    configure(app, test_config)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(root / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    compress.init_app(app)
    limiter.init_app(app)
    login_manager.init_app(app)
    security.init_app(app)
    errors.init_app(app)
    evidence_service.init_app(app)
    templating.init_app(app)
    for feature in FEATURES:
        feature.init_app(app)

    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    csrf.exempt(api_bp)  # the API checks CSRF itself for cookie sessions; bearer tokens need none
    csrf.exempt(oncall_api_bp)
    csrf.exempt(learning_api_bp)
    csrf.exempt(metrics_api_bp)
    csrf.exempt(notify_bp)  # likewise, and the service worker's token-authorised reports need none

    cli.init_app(app)
    return app
