"""Helpers shared by the tests: skipping rules, the test password, report builders, HTML checks."""
from __future__ import annotations

import os
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from webapp import create_app

CI = os.environ.get("CI", "").lower() == "true"
PASSWORD = "correct horse battery staple"
VAPID_SUBJECT = "mailto:alerts@field-incidents.example"
POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
POSTGRES_ON = CI or os.environ.get("TEST_POSTGRES", "1") != "0"


def unavailable(reason: str):
    """Skip locally; under CI a missing database or browser is a failure, never a skip."""
    if CI:
        pytest.fail(f"{reason} (CI=true: this must not be skipped)", pytrace=False)
    pytest.skip(reason)


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """An empty PostgreSQL database of its own, dropped afterwards (skipped, or failed under CI, when
    PostgreSQL is off or out of reach)."""
    if not POSTGRES_ON:
        unavailable("PostgreSQL tests are off (TEST_POSTGRES=0)")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        unavailable(f"PostgreSQL is not reachable at {POSTGRES_ADMIN_URL}: {exc.orig}")
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def make_app(database_url: str, instance_path: str, **overrides):
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "VAPID_SUBJECT": VAPID_SUBJECT,
        "ALLOW_LOOPBACK_TARGETS": True,  # the tests' push services and mail server listen on loopback
        **overrides,
    }
    return create_app(config, instance_path=instance_path)


def report(**answers: Any) -> dict[str, Any]:
    """A valid JSON report with a fresh client_id; keyword answers override or add keys."""
    body = {"client_id": str(uuid.uuid4()), "description": "Forklift clipped a racking upright",
            "what_happened": ["property_damage"]}
    body.update(answers)
    return body


def form_report(**fields: Any) -> dict[str, Any]:
    """A valid HTML form post for the report form."""
    data = {"client_id": str(uuid.uuid4()), "description": "Slipped on wet floor in the wash bay",
            "what_happened": ["injury"], "injured_person": "worker", "treatment": "first_aid",
            "site": "SYD", "occurred_at": "2026-01-10T09:30"}
    data.update(fields)
    return data


def input_tag(html: str, name: str, value: str | None = None) -> str:
    """The <input> tag with this name (and value); fails the test if there is none."""
    value_part = rf'[^>]*value="{re.escape(value)}"' if value is not None else ""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"{value_part}[^>]*>', html, re.S)
    assert match, f"no input {name}={value} in the page"
    return match.group(0)


def is_checked(html: str, name: str, value: str) -> bool:
    return bool(re.search(r"\schecked\b", input_tag(html, name, value)))


def png_bytes(width: int = 64, height: int = 48, colour=(200, 40, 40), **save) -> bytes:
    """A real PNG (or other format via save=...), made fresh, for upload tests."""
    import io

    from PIL import Image
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, save.pop("format", "PNG"), **save)
    return out.getvalue()


T0 = datetime.now(UTC).replace(microsecond=0)  # the tests' fixed "now" for the escalation clock


def file_incident(demo, at: datetime | None = None, **answers):
    """A P1 report (a hospital admission) by the demo reporter, received at T0 (or `at`: a test that runs
    a real worker on the real clock files at the real time, not at the suite's T0). At the Manchester site
    unless `site` says otherwise: there it is not RIDDOR-reportable (no specified injury), so it brings
    no regulatory obligations (and no deadline pages) into tests about escalation; give site="SYD" for
    a notifiable WHS incident."""
    from webapp.reporting.service import submit_report
    from webapp.rules.answers import validate_report
    body = report(**{"what_happened": ["injury"], "treatment": "hospital_admitted", "site": "MAN", **answers})
    moment = at or T0
    body["occurred_at"] = (moment - timedelta(minutes=2)).isoformat()
    checked = validate_report(body, now=moment, site_codes={"SYD", "MAN"}, default_site="SYD")
    return submit_report(checked, demo["reporter"], moment)[0]


def browser_log_in(page, base: str, email: str) -> None:
    """Log in through the login page of the live server, as a person would."""
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def paged(incident_id=None):
    """The pages in the outbox as (user name, step), oldest first (one per route that reaches someone:
    the in-app copies are left out)."""
    from webapp.extensions import db
    from webapp.notify.models import Message
    query = db.select(Message).where(Message.channel != "app", Message.user_id.is_not(None)).order_by(Message.id)
    if incident_id:
        query = query.where(Message.incident_id == incident_id)
    return [(n.user.email.split("@")[0], n.step) for n in db.session.scalars(query)]


def subject(message) -> str:
    """An email's Subject as a reader sees it: a long one arrives folded over lines."""
    return " ".join(str(message["Subject"]).split())


def text_of(message) -> str:
    """The plain-text part of an email, as a mail client shows it."""
    return message.get_body(preferencelist=("plain",)).get_content()


def eventually(page, script: str, timeout: float = 15) -> None:
    """Poll a script in the page until it is true. (wait_for_function compiles code in the page, which
    the app's content security policy forbids.)"""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            if page.evaluate(script):
                return
        except Exception:  # the page is navigating; try again
            pass
        time.sleep(0.2)
    raise AssertionError(f"never true: {script}")


def wait_until_controlled(page, timeout: float = 20) -> None:
    """Wait for the service worker to control the page, reloading now and then as a person would.

    A page that navigated while the first worker was still activating can miss its clients.claim();
    it is controlled from its next load on."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            eventually(page, "navigator.serviceWorker.controller !== null", timeout=3)
            return
        except AssertionError:
            page.reload()
    raise AssertionError("the service worker never took control of the page")
