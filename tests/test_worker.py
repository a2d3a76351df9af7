"""The worker process: a heartbeat, /healthz, the supervisors' banner, and restarts that lose nothing."""
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from helpers import T0, file_incident, paged

from webapp.database import utcnow
from webapp.escalation.models import Notification, WorkerHeartbeat
from webapp.escalation.worker import beat, work_once
from webapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "WORKER_STALE_SECONDS": 30}


def test_a_pass_starts_escalations_and_pages(demo, p1_policy):
    file_incident(demo)
    assert work_once(T0)[:2] == (1, 1)
    assert paged() == [("responder", 0)]
    assert work_once(T0)[:2] == (0, 0)


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
    file_incident(demo)
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert paged() == [("responder", 0)]
    assert db.session.scalar(db.select(WorkerHeartbeat)) is not None


def start_worker(database_url: str, smtp_port: int) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test", "MAIL_SERVER": "127.0.0.1",
           "MAIL_PORT": str(smtp_port), "WORKER_INTERVAL_SECONDS": "0.2"}
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
    first = file_incident(demo)
    db.session.commit()
    worker = start_worker(database_url, smtp_server.port)
    try:
        wait_for(lambda: len(smtp_server.messages) == 1)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    second = file_incident(demo)
    db.session.commit()
    replacement = start_worker(database_url, smtp_server.port)
    try:
        wait_for(lambda: len(smtp_server.messages) == 2)
        time.sleep(1)  # a few more passes: nothing may be paged again
    finally:
        replacement.send_signal(signal.SIGTERM)
        replacement.wait(timeout=10)
    db.session.commit()
    by_incident = sorted((n.incident_id, n.step) for n in db.session.scalars(db.select(Notification)))
    assert by_incident == [(first.id, 0), (second.id, 0)]
    subjects = sorted(m["Subject"].split(" at ")[0] for m in smtp_server.messages)
    assert subjects == [f"[P1] {first.reference}", f"[P1] {second.reference}"]  # each emailed once
    assert replacement.returncode == 0  # SIGTERM: a clean stop
