"""Fixtures: an app on SQLite and on PostgreSQL for every test, a demo organisation, logged-in clients."""
from __future__ import annotations

import email
import email.policy
import hashlib
import io
import socket
import threading
from datetime import date, time

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from helpers import PASSWORD, VAPID_SUBJECT, make_app, png_bytes, postgres_database
from metrics_world import world  # noqa: F401  a fixture: the metrics tests' incidents
from werkzeug.security import generate_password_hash
from werkzeug.serving import make_server

from webapp import create_app
from webapp.auth.models import ApiToken, LoginSession, User
from webapp.auth.sessions import KEY as SESSION_KEY
from webapp.database import utcnow
from webapp.escalation.models import (
    EscalationPolicy,
    PolicyChoice,
    PolicyLevel,
    Schedule,
    ScheduleMember,
    Team,
)
from webapp.extensions import db
from webapp.organisation.models import Organisation, Site


@pytest.fixture(scope="session")
def password_hash() -> str:
    """One real hash for every test user: hashing per test would be slow."""
    return generate_password_hash(PASSWORD)


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory):
    """A database of its own for this test run, with the schema built by the migrations."""
    with postgres_database("fieldincident_test") as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "t", "VAPID_SUBJECT": VAPID_SUBJECT},
                         instance_path=str(tmp_path_factory.mktemp("pg-instance")))
        with app.app_context():
            upgrade()
            db.engine.dispose()
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'test.sqlite3'}"
    return request.getfixturevalue("postgres_url")


class FreshContextClient(FlaskClient):
    """Each request gets its own app context (and so its own `g` and session), as in production.

    The test itself holds an app context for its own queries; it ends its transaction before each
    request so that it sees what the request commits.
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture
def app_config() -> dict:
    """Tests override this to change configuration for their app."""
    return {}


@pytest.fixture
def app(database_url, tmp_path, app_config):
    app = make_app(database_url, str(tmp_path / "instance"), **app_config)
    app.test_client_class = FreshContextClient
    with app.app_context():
        if database_url.startswith("sqlite"):
            db.create_all()
        yield app
        db.session.remove()
        if not database_url.startswith("sqlite"):
            tables = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def demo(app, password_hash):
    """An organisation with an AU-NSW and a UK site and one user of each role (plus a second responder)."""
    org = Organisation.current()
    org.name = "Test Org"
    syd = Site(code="SYD", name="Sydney depot", jurisdiction="AU-NSW", timezone="Australia/Sydney")
    man = Site(code="MAN", name="Manchester plant", jurisdiction="UK", timezone="Europe/London")
    db.session.add_all([syd, man])
    people = {}
    for key, role, site in (("reporter", "reporter", syd), ("reporter2", "reporter", man),
                            ("responder", "responder", syd), ("responder2", "responder", man),
                            ("supervisor", "supervisor", syd), ("admin", "admin", man)):
        people[key] = User(email=f"{key}@test.example", name=key.title(), role=role, home_site=site,
                           password_hash=password_hash, active=True)
    db.session.add_all(people.values())
    db.session.commit()
    return {"sites": {"SYD": syd, "MAN": man}, **people}


@pytest.fixture
def client(app):
    return app.test_client()


def log_in(client, user: User) -> None:
    """Log in without the password form (which has tests of its own): a session the server knows."""
    _row, secret = LoginSession.open(user, utcnow())
    db.session.commit()
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
        session[SESSION_KEY] = secret


@pytest.fixture
def as_user(app, demo):
    """as_user('supervisor') -> a test client logged in as that demo user."""
    def make(key: str):
        client = app.test_client()
        log_in(client, demo[key])
        return client
    return make


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def live_server(app, demo):
    """The app on a random loopback port, in a thread; the demo users already exist."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def p1_policy(demo):
    """P1: the on-call responder at once, the site supervisor after 5 min, the admin (safety) after 15."""
    schedule = Schedule(name="Sydney responders", timezone="Australia/Sydney", period="weekly",
                        handoff=time(8, 0), first_day=date(2026, 1, 5))
    schedule.members = [ScheduleMember(position=0, user_id=demo["responder"].id)]
    policy = EscalationPolicy(name="P1 safety", repeats=0)
    policy.levels = [
        PolicyLevel(position=0, delay_minutes=5, targets=[{"kind": "schedule", "ref": None}]),
        PolicyLevel(position=1, delay_minutes=10, targets=[{"kind": "user", "ref": demo["supervisor"].id}]),
        PolicyLevel(position=2, delay_minutes=15, targets=[{"kind": "user", "ref": demo["admin"].id}]),
    ]
    db.session.add_all([schedule, policy])
    db.session.flush()
    policy.levels[0].targets = [{"kind": "schedule", "ref": schedule.id}]
    db.session.add(PolicyChoice(position=0, policy_id=policy.id, severities=["P1"]))
    db.session.commit()
    return policy


@pytest.fixture
def push_service(app):
    """A local push service that checks our VAPID signature and decrypts with each phone's keys."""
    from push_service import PushService

    from webapp.notify.vapid import application_server_key
    with PushService(application_server_key(app)) as service:
        yield service


@pytest.fixture
def phone(push_service, as_user):
    """phone('responder') -> a push subscription made for that user through the API, as a browser would."""
    def make(key: str):
        subscriber = push_service.subscribe()
        response = as_user(key).post("/api/v1/push-subscriptions", json=subscriber.subscription(),
                                     headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0"})
        assert response.status_code == 201, response.get_json()
        subscriber.server_id = response.get_json()["id"]
        return subscriber
    return make


@pytest.fixture
def smtp_server():
    """A real SMTP server on a loopback port (aiosmtpd) that keeps every message it receives, read back
    with Python's email package (the modern policy, so defects and headers are checked as a mail
    client would); each message also records whom the envelope was addressed to."""
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self):
            self.messages = []

        async def handle_DATA(self, server, session, envelope):
            message = email.message_from_bytes(envelope.original_content or envelope.content,
                                               policy=email.policy.default)
            message.envelope_to = list(envelope.rcpt_tos)
            self.messages.append(message)
            return "250 Message accepted for delivery"

    with socket.socket() as probe:  # the controller checks its own port, so it needs a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    inbox.port = port
    yield inbox
    controller.stop()


@pytest.fixture
def route_targets(demo, as_user, p1_policy) -> dict:
    """What the routes' URLs point at (tests_support.ROUTES: the access matrix, the fuzz test): an incident
    with a photo by the reporter, an API token, a team, a schedule and a policy."""
    photo = png_bytes()
    as_user("reporter").post("/report", data={"what_happened": "hazard", "description": "Loose grating",
                                              "site": "SYD", "photo_files": (io.BytesIO(photo), "grating.png")})
    token, _secret = ApiToken.issue(demo["responder"], "routes")
    team = Team(name="Responders")
    db.session.add(team)
    db.session.commit()
    return {"user_id": demo["reporter"].id, "site_id": demo["sites"]["SYD"].id, "token_id": token.id,
            "sha256": hashlib.sha256(photo).hexdigest(), "team_id": team.id, "policy_id": p1_policy.id,
            "schedule_id": db.session.scalar(db.select(Schedule.id))}


def pytest_terminal_summary(terminalreporter):
    """What the fuzz test and schemathesis sent over the whole run (each test records its counts), and how
    many of their runs failed (a server error, a partial write, an answer that breaks the document)."""
    totals: dict[str, int] = {}
    for reports in terminalreporter.stats.values():
        for report in reports:
            properties = dict(getattr(report, "user_properties", ()))
            if getattr(report, "when", None) != "call" or not properties:
                continue
            for name, value in properties.items():
                totals[name] = totals.get(name, 0) + int(value)
            kind = next(iter(properties)).split("_")[0]
            totals[f"{kind}_runs"] = totals.get(f"{kind}_runs", 0) + 1
            totals[f"{kind}_failed"] = totals.get(f"{kind}_failed", 0) + report.failed
    if not totals:
        return
    terminalreporter.section("generated requests")
    if "fuzz_runs" in totals:
        terminalreporter.write_line(
            f"fuzz (hypothesis): {totals['fuzz_requests']:,} made-up bodies to {totals['fuzz_runs']} route runs "
            f"(routes x databases), {totals['fuzz_refused']:,} refused; {totals['fuzz_failed']} runs failed "
            "(a server error or a refusal that changed rows)")
    if "schemathesis_runs" in totals:
        terminalreporter.write_line(
            f"schemathesis: {totals['schemathesis_requests']:,} generated requests to "
            f"{totals['schemathesis_operations'] // totals['schemathesis_runs']} operations on each of "
            f"{totals['schemathesis_runs']} databases; "
            f"{totals['schemathesis_failures']} operations failed a check")
