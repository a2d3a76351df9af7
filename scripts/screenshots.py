"""Screenshots of every page at phone (390x844) and tablet (1024x768) size, for people to look at.

    .venv/bin/python scripts/screenshots.py [OUTPUT_DIR]

Serves the app on a throwaway SQLite database with the demo organisation and a few incidents, then
drives Debian's Chromium. Writes PNG files (default: test-artifacts/screens/).
"""
from __future__ import annotations

import sys
import tempfile
import threading
import uuid
from datetime import timedelta
from pathlib import Path

from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from webapp import create_app  # noqa: E402
from webapp.auth.models import User  # noqa: E402
from webapp.cli import seed_demo  # noqa: E402
from webapp.database import utcnow  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.reporting.service import submit_report  # noqa: E402
from webapp.rules.answers import validate_report  # noqa: E402

PASSWORD = "screenshots-only"
SIZES = {"phone": {"width": 390, "height": 844}, "tablet": {"width": 1024, "height": 768}}
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
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


def prepare(instance: Path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'shots.sqlite3'}",
                      "SESSION_COOKIE_SECURE": False}, instance_path=str(instance))
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
    return app


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "test-artifacts" / "screens"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = prepare(Path(tmp))
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        pages = {
            "reporter": ["/login", "/report", "/reports/mine", "/incidents/INC-000001"],
            "supervisor": ["/incidents", "/incidents/INC-000001"],
            "admin": ["/admin/users", "/admin/sites", "/admin/organisation", "/admin/tokens"],
        }
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            for size, viewport in SIZES.items():
                for role, urls in pages.items():
                    context = browser.new_context(viewport=viewport, has_touch=True)
                    page = context.new_page()
                    page.goto(f"{base}/login")
                    page.fill("#email", f"{role}@demo.example")
                    page.fill("#password", PASSWORD)
                    page.click("button[type=submit]")
                    for url in urls:
                        page.goto(base + url)
                        name = f"{size}-{role}{url.replace('/', '-')}.png"
                        page.screenshot(path=str(out / name), full_page=True)
                        print(out / name)
                    context.close()
            browser.close()
        server.shutdown()


if __name__ == "__main__":
    main()
