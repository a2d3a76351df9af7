"""Pushes that a push service written by others accepts: the web-push-libs project's `web-push-testing`
(npm, pinned in package.json) checks our VAPID JWT and key, needs `Content-Type:
application/octet-stream`, and decrypts what we send. A page and a test alert must reach it."""
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import requests
from helpers import T0, file_incident, unavailable

from webapp.database import utcnow
from webapp.extensions import db
from webapp.notify.models import Message, PushSubscription
from webapp.notify.vapid import application_server_key
from webapp.notify.worker import work_once

ROOT = Path(__file__).resolve().parent.parent
WRAPPER = ROOT / "tests" / "peers" / "web_push_testing.js"


@pytest.fixture
def web_push_testing():
    """The npm push service on a loopback port, for this test only."""
    node = shutil.which("node")
    if node is None or not (ROOT / "node_modules" / "web-push-testing").is_dir():
        unavailable("web-push-testing is not installed (make test runs npm install)")
    with subprocess.Popen([node, str(WRAPPER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as process:
        line = process.stdout.readline()
        if not line:
            raise AssertionError("web-push-testing did not start")
        yield f"http://127.0.0.1:{json.loads(line)['port']}"
        process.stdin.close()  # it stops when its stdin closes
        process.wait(timeout=10)


def subscribe(service: str, app) -> dict:
    """What a browser gets from the push service, made by the peer itself for our VAPID key."""
    answer = requests.post(f"{service}/subscribe", json={"userVisibleOnly": "true",
                                                         "applicationServerKey": application_server_key(app)},
                           timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def received(service: str, client_hash: str) -> list[dict]:
    answer = requests.post(f"{service}/get-notifications", json={"clientHash": client_hash}, timeout=10)
    assert answer.status_code == 200, answer.text
    return [json.loads(message) for message in answer.json()["data"]["messages"]]


def register(as_user, key: str, subscription: dict) -> int:
    response = as_user(key).post("/api/v1/push-subscriptions", json={
        "endpoint": subscription["endpoint"], "expirationTime": None, "keys": subscription["keys"]},
        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile"})
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def test_a_page_and_a_test_alert_reach_the_web_push_libs_push_service(app, as_user, demo, p1_policy,
                                                                     web_push_testing):
    phone = subscribe(web_push_testing, app)
    assert phone["endpoint"].startswith("http://localhost:")  # as the package hands it out
    register(as_user, "responder", phone)
    incident = file_incident(demo)
    work_once(T0)
    [page] = received(web_push_testing, phone["clientHash"])
    assert (page["kind"], page["reference"], page["severity"]) == ("page", incident.reference, "P1")
    assert page["ack"] and page["receipt"]
    [push] = db.session.scalars(db.select(Message).where(Message.channel == "push"))
    assert push.state == "sent" and push.last_error is None

    as_user("responder").post("/account/alerts/test")
    work_once(utcnow())
    alerts = received(web_push_testing, phone["clientHash"])
    assert [a["kind"] for a in alerts] == ["page", "test"]
    # The phone acknowledges with the token the peer decrypted for it.
    assert app.test_client().post("/api/v1/push/ack", json={"token": page["ack"]}).status_code == 200


def test_a_subscription_the_peer_expired_is_removed(app, as_user, demo, p1_policy, web_push_testing):
    phone = subscribe(web_push_testing, app)
    register(as_user, "responder", phone)
    requests.post(f"{web_push_testing}/expire-subscription/{phone['clientHash']}", timeout=10)
    file_incident(demo)
    work_once(T0)
    [push] = db.session.scalars(db.select(Message).where(Message.channel == "push"))
    assert push.state == "failed" and "subscription gone (410)" in push.last_error
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 0
