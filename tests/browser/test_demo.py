"""The demo `make run` serves pages somebody: a P1 reported by the demo reporter reaches the on-call
responder in the app's alert list and in the development mailbox within seconds, with a real worker
process beside the web server, and no coverage warning for the supervisor."""
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from helpers import PASSWORD
from playwright.sync_api import expect
from werkzeug.serving import make_server

from webapp.auth.models import User
from webapp.cli import seed_demo
from webapp.extensions import db
from webapp.notify.vapid import application_server_key

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[2]
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


@pytest.fixture
def app_config():
    """What `make run` sets: a development machine, whose email lands in the mailbox inside the app."""
    return {"WTF_CSRF_ENABLED": True, "DEVELOPMENT": True, "DEV_MAILBOX": True, "MAIL_SERVER": ""}


@pytest.fixture
def demo_app(app, database_url):
    """The seeded demo organisation, served on a loopback port, with a worker process as `make run` starts."""
    assert seed_demo()  # the demo's people, sites, rota and policies
    for user in db.session.scalars(db.select(User)):
        user.set_password(PASSWORD)
    db.session.commit()
    application_server_key(app)  # the VAPID key exists before the worker reads it
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": app.config["SECRET_KEY"], "DEVELOPMENT": "1",
           "VAPID_PRIVATE_KEY": str(Path(app.instance_path) / "vapid_private.pem"), "WORKER_INTERVAL_SECONDS": "0.5"}
    env.pop("MAIL_SERVER", None)
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "webapp", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=10)
        server.shutdown()


def log_in(browser, base: str, email: str):
    page = browser.new_context(**PHONE).new_page()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    return page


def test_a_p1_in_the_demo_reaches_the_on_call_responder_in_the_app_and_the_mailbox(browser, demo_app, screenshot):
    supervisor = log_in(browser, demo_app, "supervisor@demo.example")
    expect(supervisor.get_by_role("heading", name="Queue")).to_be_visible()
    expect(supervisor.get_by_text("Coverage:")).to_have_count(0)  # every level pages someone who can be alerted

    reporter = log_in(browser, demo_app, "reporter@demo.example")
    reporter.get_by_text("Someone was hurt or fell ill").tap()
    reporter.get_by_text("A worker").tap()
    reporter.get_by_text("Admitted to hospital").tap()
    reporter.get_by_label("Describe what happened").fill("Fell from the loading dock onto concrete.")
    reporter.get_by_role("button", name="Submit report").tap()
    expect(reporter.get_by_role("heading", name="Report sent")).to_be_visible()
    reference = reporter.locator(".reference").inner_text()
    filed = time.monotonic()

    responder = log_in(browser, demo_app, "responder@demo.example")
    alert = responder.locator(".alert-item", has_text=reference)
    while not alert.count() and time.monotonic() - filed < 15:
        responder.goto(f"{demo_app}/alerts")
    expect(alert).to_contain_text(f"P1 Critical · {reference}")
    print(f"\nin the responder's alert list {time.monotonic() - filed:.1f} s after the report")
    expect(responder.locator("[data-alerts-badge]")).to_contain_text("1")
    expect(alert.get_by_role("button", name=f"Acknowledge {reference}")).to_be_visible()
    screenshot(responder, "phone-demo-alerts")

    responder.goto(f"{demo_app}/dev/mailbox")
    mail = responder.locator(".card", has_text=f"[P1] {reference} at Sydney depot")
    expect(mail).to_contain_text("To responder@demo.example")
    screenshot(responder, "phone-demo-mailbox")
    mail.click()
    expect(responder.locator(".mail-text")).to_contain_text("Acknowledge: http")
    screenshot(responder, "phone-demo-mail")

    # The email's Acknowledge link (it names the app's PUBLIC_URL; here the app is on a test port).
    link = re.search(r"Acknowledge: https?://[^/]+(/ack/\S+)", responder.locator(".mail-text").inner_text()).group(1)
    responder.goto(demo_app + link)
    expect(responder.get_by_role("heading", name=f"Acknowledge {reference}?")).to_be_visible()
    screenshot(responder, "phone-demo-ack")
    responder.get_by_role("button", name=f"Acknowledge {reference}").tap()
    expect(responder.get_by_role("heading", name="Acknowledged")).to_be_visible()
    responder.goto(f"{demo_app}/alerts")
    expect(responder.locator(".alert-item", has_text=reference)).to_contain_text("acknowledged")
    expect(responder.locator("[data-alerts-badge]")).to_be_hidden()
