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
from webapp.incidents.actions import change_status  # noqa: E402
from webapp.incidents.models import Incident  # noqa: E402
from webapp.learning import corrective, investigation, reviews  # noqa: E402
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
        _after_the_fall(now)
        work_once(now)  # what the worker does next: pages in the alert lists and the development mailbox
    return app


def _after_the_fall(now) -> None:
    """The first incident taken through its learning half: investigated, reviewed and published, with
    one action verified and one waiting for its owner."""
    fall = db.session.get(Incident, 1)
    supervisor, admin = User.by_email("supervisor@demo.example"), User.by_email("admin@demo.example")
    responder = User.by_email("responder@demo.example")
    change_status(fall, "resolved", None, supervisor, now)
    investigation.save(fall, {
        "whys": ["The worker stepped back off the dock edge", "The edge was not marked or guarded",
                 "The dock was built before edge protection was standard", "Nobody reviewed the old dock layout"],
        "immediate_causes": ["Unguarded dock edge", "Poor lighting at the dock"],
        "underlying_causes": ["No review of legacy layouts against current standards"],
        "root_cause": "Legacy dock layout never reviewed against current edge-protection standards",
        "root_cause_category": "plant", "contributing_factors": ["time_pressure", "equipment_design"],
        "witness_statements": [{"name": "Forklift driver",
                                "statement": "He stepped back to wave me in and went over."}],
    }, supervisor, now)
    reviews.save(fall, {"summary": "A worker fell 1.2 m from an unguarded loading dock and fractured a wrist.",
                        "impact": "One worker in hospital overnight; dock closed for 3 hours.",
                        "what_went_well": "First aid within two minutes; the ambulance arrived in 12.",
                        "what_went_poorly": "The dock edge had no barrier or marking, and the light was poor.",
                        "where_we_got_lucky": "The forklift was stopped; the fall was onto an empty bay.",
                        "lessons": ["Guard every dock edge that is not in use", "Review legacy layouts yearly"]},
                 supervisor, now)
    guard = corrective.create(fall, {"title": "Fit swing gates to dock 2", "owner_id": responder.id,
                                     "due_date": (now + timedelta(days=10)).date().isoformat(),
                                     "control": "engineering", "completion_criteria": "Gates fitted and self-closing"},
                              supervisor, now)
    light = corrective.create(fall, {"title": "Replace the dock lighting", "owner_id": supervisor.id,
                                     "due_date": (now + timedelta(days=20)).date().isoformat(),
                                     "control": "engineering"}, admin, now)
    corrective.complete(light, "LED floodlights fitted: 300 lux at the edge", [], supervisor, now)
    corrective.verify(light, True, "Measured 320 lux", admin, now)
    reviews.submit(fall, supervisor, now)
    reviews.publish(fall, admin, now)
    assert guard.status == "open"
    db.session.commit()


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
