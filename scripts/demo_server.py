"""Serve a throwaway demo (SQLite in a temporary folder) in a thread, for screenshots and benchmarks."""
from __future__ import annotations

import sys
import tempfile
import threading
import uuid
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import create_app  # noqa: E402
from webapp.auth.models import User  # noqa: E402
from webapp.cli import seed_demo  # noqa: E402
from webapp.database import utcnow  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.notify.worker import work_once  # noqa: E402
from webapp.reporting.service import submit_report  # noqa: E402
from webapp.rules.answers import validate_report  # noqa: E402

PASSWORD = "demo-only-password"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SAMPLES = (
    {"what_happened": ["injury"], "injured_person": "worker", "treatment": "hospital_admitted",
     "injuries": ["fracture"], "description": "Fell from the loading dock onto concrete."},
    {"what_happened": ["environmental"], "spill_litres": 300, "reached_drain_or_waterway": True,
     "description": "Diesel spill from a ruptured hose reached the stormwater drain."},
    {"what_happened": ["hazard"], "description": "Loose grating on the walkway by pump 3."},
    {"what_happened": ["service_outage"], "service_impact": "team",
     "description": "Radio repeater down: the night crew has no radio coverage in the pit."},
)


def _prepare(instance: Path):
    # As `make run` serves it: a development setup, whose emails land in the mailbox inside the app.
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'demo.sqlite3'}",
                      "SESSION_COOKIE_SECURE": False, "DEVELOPMENT": True, "DEV_MAILBOX": True},
                     instance_path=str(instance))
    with app.app_context():
        db.create_all()
        seed_demo()
        for user in db.session.scalars(db.select(User)):
            user.set_password(PASSWORD)
        reporter = User.by_email("reporter@demo.example")
        now = utcnow()
        for n, answers in enumerate(SAMPLES):
            moment = now - timedelta(minutes=15 * (n + 1))
            body = {"client_id": str(uuid.uuid4()), "occurred_at": moment.isoformat(), **answers}
            report = validate_report(body, now=now, site_codes={"SYD-DEPOT", "MAN-PLANT"}, default_site="SYD-DEPOT")
            submit_report(report, reporter, moment)
        db.session.commit()
        work_once(now)  # what the worker does next: pages in the alert lists and the development mailbox
    return app


@contextmanager
def demo_server():
    """Yield the base URL of a demo app with four incidents; every demo user has PASSWORD."""
    with tempfile.TemporaryDirectory() as tmp:
        app = _prepare(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()


def log_in(page, base: str, role: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#email", f"{role}@demo.example")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
