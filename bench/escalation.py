"""How fast pages reach phones: the escalation worker against a local push service.

    .venv/bin/python bench/escalation.py [--incidents N] [--pushes N]

Runs the app (in a thread), one escalation worker (a separate process, as in production, default
settings: a pass every second) and the tests' local push service, which checks each VAPID signature
and decrypts each payload. Prints:
  1. time from POST /api/v1/incidents to the first encrypted push received (median and worst of N);
  2. lateness of the level-2 pages against their due time (the same incidents, level 2 after 1 min);
  3. how long one worker takes to send 1,000 pushes;
  4. with 1,000 subscribed responders of whom 1% have a malformed subscription, one P1 that pages them
     all: the time from the report until every good phone has its page.
Aims (issues 4 and 10): first push under 2 s, lateness under 1 s, 1,000 pushes in under 30 s, every
good phone of the 1,000 under 5 s (one worker, PostgreSQL).
SQLite by default; set DATABASE_URL to measure on PostgreSQL (a database of its own: the benchmark
drops and recreates every table). It prints figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import requests
from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from push_service import PushService  # noqa: E402

from webapp import create_app  # noqa: E402
from webapp.auth.models import ApiToken, User  # noqa: E402
from webapp.cli import seed_demo  # noqa: E402
from webapp.database import utcnow  # noqa: E402
from webapp.escalation.models import Escalation, EscalationPolicy, PolicyChoice, PolicyLevel, Schedule  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.notify.models import PushSubscription, endpoint_hash  # noqa: E402
from webapp.notify.outbox import queue  # noqa: E402
from webapp.notify.vapid import application_server_key  # noqa: E402
from webapp.organisation.models import Site  # noqa: E402

SUBJECT = "mailto:bench@field-incidents.example"
# 65 bytes that start 0x04 like a P-256 key but are no point on the curve: what encryption refuses.
MALFORMED_KEY = "BAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE"


def prepare(instance: Path, database_url: str, service: PushService):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "VAPID_SUBJECT": SUBJECT,
                      "ALLOW_LOOPBACK_TARGETS": True}, instance_path=str(instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        people = {u.role: u for u in db.session.scalars(db.select(User))}
        for role in ("responder", "supervisor"):  # each has one phone
            phone = service.subscribe()
            sub = phone.subscription()
            db.session.add(PushSubscription(user_id=people[role].id, endpoint=sub["endpoint"],
                                            endpoint_hash=endpoint_hash(sub["endpoint"]), p256dh=sub["keys"]["p256dh"],
                                            auth=sub["keys"]["auth"], label=f"bench {role}"))
            phone.role = role
            service.roles = {**getattr(service, "roles", {}), phone.id: role}
        schedule = db.session.scalar(db.select(Schedule))
        policy = EscalationPolicy(name="Bench: level 2 after one minute", repeats=0)
        policy.levels = [PolicyLevel(position=0, delay_minutes=1, targets=[{"kind": "schedule", "ref": schedule.id}]),
                         PolicyLevel(position=1, delay_minutes=10,
                                     targets=[{"kind": "user", "ref": people["supervisor"].id}])]
        db.session.add(policy)
        db.session.flush()
        db.session.add(PolicyChoice(position=-1, policy_id=policy.id, severities=["P1"]))
        _token, secret = ApiToken.issue(people["reporter"], "bench")
        db.session.commit()
    return app, secret


def start_worker(database_url: str, instance: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench", "VAPID_SUBJECT": SUBJECT,
           "ALLOW_LOOPBACK_TARGETS": "1", "VAPID_PRIVATE_KEY": str(instance / "vapid_private.pem")}
    return subprocess.Popen([sys.executable, "-m", "flask", "--app", "webapp", "worker"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def wait_for(predicate, timeout: float):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.005)
    raise RuntimeError("timed out")


def arrivals(service: PushService, role: str) -> dict[str, float]:
    """reference -> when the first page about it reached this role's phone."""
    seen: dict[str, float] = {}
    with service.lock:
        for message in service.received:
            body = message.json()
            if service.roles[message.subscriber] == role and body.get("kind") == "page":  # not a deadline reminder
                seen.setdefault(body["reference"], message.at)
    return seen


def summary(values: list[float]) -> str:
    return f"median {statistics.median(values):.3f} s, worst {max(values):.3f} s (n={len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--pushes", type=int, default=1000)
    parser.add_argument("--crowd", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, PushService() as service:
        instance = Path(tmp)
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'bench.sqlite3'}"
        app, token = prepare(instance, database_url, service)
        with app.app_context():
            service.application_server_key = application_server_key(app)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{server.server_port}"
        print(f"database: {database_url.split(':')[0]}; worker: one process, default pass interval")
        worker = start_worker(database_url, instance)
        try:
            time.sleep(2)  # the worker is up
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            posted: dict[str, float] = {}
            for n in range(args.incidents):
                started = time.time()
                body = {"client_id": str(uuid.uuid4()), "what_happened": ["injury"], "treatment": "hospital_admitted",
                        "description": f"Bench incident {n}: fell from a ladder", "site": "SYD-DEPOT"}
                response = session.post(f"{base}/api/v1/incidents", json=body, timeout=10)
                response.raise_for_status()
                reference = response.json()["reference"]
                posted[reference] = started
                wait_for(lambda r=reference: arrivals(service, "responder").get(r), 30)
                time.sleep(random.uniform(0, 1))  # no lock-step with the worker's pass interval
            first = arrivals(service, "responder")
            print("1. POST /api/v1/incidents -> first push received:",
                  summary([first[r] - posted[r] for r in posted]))

            with app.app_context():
                due = {f"INC-{e.incident_id:06d}": e.next_due_at.timestamp() for e in db.session.scalars(
                    db.select(Escalation).where(Escalation.next_due_at.is_not(None)))}
            last_due = max(due.values())
            print(f"   waiting {max(0.0, last_due - time.time()):.0f} s for the level-2 pages...")
            wait_for(lambda: len(arrivals(service, "supervisor")) >= len(due), last_due - time.time() + 30)
            second = arrivals(service, "supervisor")
            print("2. level-2 page lateness against its due time:", summary([second[r] - due[r] for r in due]))
        finally:
            worker.terminate()
            worker.wait(timeout=10)

        with app.app_context():  # 3. a flood: pages waiting for one fresh worker
            responder = db.session.scalar(db.select(User).filter_by(role="responder"))
            incident_id = db.session.scalar(db.select(Escalation.incident_id).limit(1))
            now = utcnow()
            for n in range(args.pushes):
                queue("page", f"bench:{n}", now, user=responder, incident_id=incident_id, step=n)
            db.session.commit()
        before = len(service.received)
        started = time.time()
        worker = start_worker(database_url, instance)
        try:
            wait_for(lambda: len(service.received) - before >= args.pushes, 300)
            ended = time.time()
        finally:
            worker.terminate()
            worker.wait(timeout=10)
        flood = service.received[before:]
        print(f"3. {args.pushes} pushes by one worker: {ended - started:.1f} s from worker start "
              f"({flood[-1].at - flood[0].at:.1f} s first to last), {args.pushes / (ended - started):.0f} pushes/s; "
              f"refused by the push service: {len(service.refused)}")
        crowd(app, service, base, token, database_url, instance, args.crowd)
        server.shutdown()


def crowd(app, service: PushService, base: str, token: str, database_url: str, instance: Path, size: int) -> None:
    """4. One P1 pages `size` responders at once, 1% of whose subscriptions are malformed."""
    bad = len(range(0, size, 100))
    good: set[str] = set()
    with app.app_context():
        site = Site(code="BENCH", name="Bench site", jurisdiction="UK", timezone="Europe/London")
        db.session.add(site)
        people = [User(email=f"crowd{n}@bench.example", name=f"Crowd {n}", role="responder", home_site=site,
                       password_hash="x", active=True) for n in range(size)]
        db.session.add_all(people)
        db.session.flush()
        for n, person in enumerate(people):
            phone = service.subscribe()
            service.roles[phone.id] = "crowd"
            keys = phone.subscription()["keys"]
            if n % 100 == 0:  # 1%, spread through the list (the first one leads it)
                keys = {**keys, "p256dh": MALFORMED_KEY}  # stored before keys were checked
            else:
                good.add(phone.id)
            db.session.add(PushSubscription(user_id=person.id, endpoint=phone.endpoint,
                                            endpoint_hash=endpoint_hash(phone.endpoint), p256dh=keys["p256dh"],
                                            auth=keys["auth"], label="crowd"))
        policy = EscalationPolicy(name="Bench: everyone at once", repeats=0)
        policy.levels = [PolicyLevel(position=0, delay_minutes=30,
                                     targets=[{"kind": "user", "ref": p.id} for p in people])]
        db.session.add(policy)
        db.session.flush()
        db.session.add(PolicyChoice(position=-2, policy_id=policy.id, sites=["BENCH"]))
        db.session.commit()
    worker = start_worker(database_url, instance)
    try:
        time.sleep(2)  # the worker is up
        before = len(service.received)
        started = time.time()
        body = {"client_id": str(uuid.uuid4()), "what_happened": ["injury"], "treatment": "hospital_admitted",
                "description": "Bench: a crowd is paged", "site": "BENCH"}
        response = requests.post(f"{base}/api/v1/incidents", json=body, timeout=10,
                                 headers={"Authorization": f"Bearer {token}"})
        response.raise_for_status()
        reference = response.json()["reference"]

        def reached() -> set[str]:
            with service.lock:
                return {m.subscriber for m in service.received[before:] if m.json().get("reference") == reference}
        wait_for(lambda: reached() >= good, 300)
        elapsed = time.time() - started
    finally:
        worker.terminate()
        worker.wait(timeout=10)
    with app.app_context():
        disabled = db.session.scalar(db.select(db.func.count(PushSubscription.id))
                                     .where(PushSubscription.disabled_at.is_not(None)))
    print(f"4. {size} responders, {bad} malformed: every one of the {len(good)} good phones had its page "
          f"{elapsed:.1f} s after the report; malformed subscriptions turned off: {disabled}")


if __name__ == "__main__":
    main()
