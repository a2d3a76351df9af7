"""The worker process: a heartbeat, /healthz, the supervisors' banner, and restarts that lose nothing."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import T0, VAPID_SUBJECT, file_incident, paged, subject

from webapp.database import utcnow
from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.notify.models import Message, WorkerHeartbeat
from webapp.notify.worker import MIN_PAUSE, beat, next_due, work_once

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "WORKER_STALE_SECONDS": 30}


def test_a_pass_starts_escalations_and_pages(demo, p1_policy):
    file_incident(demo)
    done = work_once(T0)
    assert done["escalations"] == 2  # started, and its first step run
    assert done["deliveries"] == 1  # the email, in the same pass (the in-app alert needs no sending)
    assert paged() == [("responder", 0)]
    assert work_once(T0)["escalations"] == 0


def test_the_worker_wakes_for_a_step_due_before_its_next_pass(demo, p1_policy):
    file_incident(demo)
    assert next_due(T0, interval=1.0) == 1.0  # nothing scheduled yet
    work_once(T0)  # level 1 now; level 2 due five minutes later
    assert next_due(T0 + timedelta(minutes=5) - timedelta(seconds=0.25), interval=1.0) == 0.25
    # Overdue: hardly any sleep (a short pause, so a step another worker holds cannot spin the loop).
    assert next_due(T0 + timedelta(minutes=6), interval=1.0) == MIN_PAUSE


def test_health_reports_the_worker_and_goes_stale(client, demo):
    assert client.get("/healthz").get_json()["worker"] == {"last_beat": None, "age_seconds": None, "stale": True}
    beat("w1", utcnow(), utcnow())
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["worker"]["stale"] is False
    db.session.get(WorkerHeartbeat, "w1").beat_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json()["status"] == "degraded"
    assert response.get_json()["worker"]["age_seconds"] >= 300


def test_supervisors_see_a_banner_when_the_engine_is_stale(as_user, demo):
    assert "Alerts are not being sent" in as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert "Alerts are not being sent" not in as_user("responder").get("/incidents").get_data(as_text=True)
    beat("w1", utcnow(), utcnow())
    assert "Alerts are not being sent" not in as_user("supervisor").get("/incidents").get_data(as_text=True)
    db.session.get(WorkerHeartbeat, "w1").beat_at = utcnow() - timedelta(minutes=3)
    db.session.commit()
    page = as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert "last reported 3 min ago" in page


def test_worker_command_runs_a_pass(runner, demo, p1_policy):
    file_incident(demo, at=utcnow())  # the command runs on the real clock
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert paged() == [("responder", 0)]
    assert db.session.scalar(db.select(WorkerHeartbeat)) is not None


def test_a_starting_worker_looks_at_every_open_incidents_clocks_and_deadlines_again(runner, demo):
    """A worker with another near-due fraction than the last one must not trust the checks it set."""
    from webapp.obligations.models import Obligation
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)  # P4
    incident.clock_check_at = T0 + timedelta(days=365)
    notifiable = file_incident(demo, site="SYD", treatment="hospital_admitted")  # WHS: notify at once
    step = db.session.scalar(db.select(Obligation).filter_by(incident_id=notifiable.id, step="notify"))
    step.check_at = T0 + timedelta(days=365)
    db.session.commit()
    assert runner.invoke(args=["worker", "--once"]).exit_code == 0
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).clock_check_at < T0 + timedelta(days=30)
    assert db.session.get(Obligation, step.id).overdue_paged_at is not None  # looked at, and paged


def start_worker(database_url: str, smtp_port: int, **settings: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", "MAIL_SERVER": "127.0.0.1",
           "VAPID_SUBJECT": VAPID_SUBJECT, "ALLOW_LOOPBACK_TARGETS": "1",
           "MAIL_PORT": str(smtp_port), "WORKER_INTERVAL_SECONDS": "0.2", **settings}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "webapp", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(predicate, seconds=20):
    deadline = time.time() + seconds
    while time.time() < deadline:
        db.session.commit()
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("the worker did not get there in time")


def test_a_killed_worker_loses_nothing_and_a_new_one_carries_on(database_url, smtp_server, demo, p1_policy):
    first = file_incident(demo, at=utcnow())
    db.session.commit()
    worker = start_worker(database_url, smtp_server.port)
    try:
        wait_for(lambda: len(smtp_server.messages) == 1)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    second = file_incident(demo, at=utcnow())
    db.session.commit()
    replacement = start_worker(database_url, smtp_server.port)
    try:
        wait_for(lambda: len(smtp_server.messages) == 2)
        time.sleep(1)  # a few more passes: nothing may be paged again
    finally:
        replacement.send_signal(signal.SIGTERM)
        replacement.wait(timeout=10)
    db.session.commit()
    by_incident = sorted((n.incident_id, n.step) for n in db.session.scalars(
        db.select(Message).where(Message.channel == "email")))
    assert by_incident == [(first.id, 0), (second.id, 0)]
    subjects = sorted(subject(m).split(" at ")[0] for m in smtp_server.messages)
    assert subjects == [f"[P1] {first.reference}", f"[P1] {second.reference}"]  # each emailed once
    assert replacement.returncode == 0  # SIGTERM: a clean stop


def test_a_worker_killed_in_the_middle_of_a_push_loses_nothing_and_sends_each_page_once(
        app, database_url, smtp_server, demo, p1_policy, phone, push_service):
    """SIGKILL while the push service is still receiving a page: the page stays claimed, its lease runs
    out, and the next worker sends it; the push service accepts each page exactly once."""
    phone("responder")
    incidents = [file_incident(demo, at=utcnow()) for _ in range(3)]
    db.session.commit()
    push_service.hold.clear()  # the push service holds the first request it gets
    settings = {"VAPID_PRIVATE_KEY": str(Path(app.instance_path) / "vapid_private.pem"),
                "PAGE_LEASE_SECONDS": "2", "PUSH_TIMEOUT_SECONDS": "30", "PUSH_FALLBACK_SECONDS": "600"}
    worker = start_worker(database_url, smtp_server.port, **settings)
    try:
        assert push_service.holding.wait(20), "the worker never started sending"
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    push_service.hold.set()  # too late: its sender is dead, so the message is not accepted
    replacement = start_worker(database_url, smtp_server.port, **settings)
    try:
        received = push_service.wait_for(3)
        time.sleep(3)  # more passes, past another lease: nothing may be sent again
    finally:
        replacement.send_signal(signal.SIGTERM)
        replacement.wait(timeout=10)
    assert 1 <= push_service.abandoned <= 3  # the first worker sends side by side: each held, none accepted
    assert len(push_service.received) == 3
    assert sorted(m.json()["reference"] for m in received) == sorted(i.reference for i in incidents)
    db.session.commit()
    rows = list(db.session.scalars(db.select(Message).where(Message.channel == "push").order_by(Message.id)))
    assert [(n.channel, n.state) for n in rows] == [("push", "sent")] * 3
    # The first worker claimed all three in one batch; each was sent once more, by the replacement.
    assert [n.attempts for n in rows] == [2, 2, 2]
    assert smtp_server.messages == []  # no page fell back to email: the confirmed pushes answered them
