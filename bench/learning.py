"""How the pages after the incident hold up as reviews, actions and lessons pile up.

    .venv/bin/python bench/learning.py [--sizes 50,200] [--repeat 10]

For each size, takes that many P1 incidents through their learning half (an investigation with a
root-cause category, a published review with two lessons, two corrective actions: one verified, one
open and overdue) and measures, server side with Flask's test client as the demo supervisor:
  1. the Actions page (my actions, waiting for me to verify, every open action), the Lessons library,
     the published reviews, Structural issues, and one incident page;
  2. the worker's look at reviews and actions once everything due has been paged (the steady state).
For each: median and worst milliseconds of --repeat runs, and how many SQL statements one request
makes (a count that grows with the rows shown means a query per row). SQLite by default; set
DATABASE_URL for PostgreSQL (a database of its own: every table is dropped and recreated). It prints
figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from webapp import create_app  # noqa: E402
from webapp.auth.models import User  # noqa: E402
from webapp.cli import seed_demo  # noqa: E402
from webapp.database import utcnow  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.incidents.actions import change_status  # noqa: E402
from webapp.learning import corrective, investigation, reviews  # noqa: E402
from webapp.learning.paging import page_due  # noqa: E402
from webapp.reporting.service import submit_report  # noqa: E402
from webapp.rules.answers import validate_report  # noqa: E402

CATEGORIES = ("people", "process", "plant", "environment", "organisation", "technology")


def build(count: int) -> str:
    people = {u.role: u for u in db.session.scalars(db.select(User))}
    reporter, supervisor, admin, responder = (people[r] for r in ("reporter", "supervisor", "admin", "responder"))
    now = utcnow()
    reference = ""
    for n in range(count):
        at = now - timedelta(days=n % 120, hours=1)
        body = {"client_id": str(uuid.uuid4()), "what_happened": ["injury"], "treatment": "hospital_admitted",
                "injured_person": "worker", "description": f"Bench incident {n}", "occurred_at": at.isoformat(),
                "site": "SYD-DEPOT" if n % 2 else "MAN-PLANT"}
        incident = submit_report(validate_report(body, now=at, site_codes={"SYD-DEPOT", "MAN-PLANT"},
                                                 default_site="SYD-DEPOT"), reporter, at)[0]
        change_status(incident, "resolved", None, supervisor, at)
        investigation.save(incident, {"whys": ["a", "b", "c"], "root_cause": "r",
                                      "root_cause_category": CATEGORIES[n % len(CATEGORIES)]}, supervisor, at)
        reviews.save(incident, {"summary": f"Review {n}", "lessons": [f"Lesson {n} a", f"Lesson {n} b"]},
                     supervisor, at)
        done = corrective.create(incident, {"title": f"Guard {n}", "owner_id": responder.id, "control": "engineering",
                                            "due_date": (now + timedelta(days=30)).date().isoformat()}, supervisor, now)
        late = corrective.create(incident, {"title": f"Check {n}", "owner_id": responder.id,
                                            "control": "administrative",
                                            "due_date": (now + timedelta(days=1)).date().isoformat()}, supervisor, now)
        late.due_at = at  # overdue
        corrective.complete(done, "Fitted", [], responder, now)
        corrective.verify(done, True, None, admin, now)
        reviews.submit(incident, supervisor, now)
        reviews.publish(incident, admin, now)
        reference = incident.reference
        if n % 25 == 24:
            db.session.commit()
    db.session.commit()
    return reference


def timed(action, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def measure(size: int, repeat: int, database_url: str, instance: Path) -> dict[str, tuple[float, float, int]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "VAPID_SUBJECT": "mailto:bench@field-incidents.example"}, instance_path=str(instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        logins = {role: (email, password) for email, password, role in seed_demo()}
        reference = build(size)
        page_due(utcnow())  # what is due has been paged, as the worker would have
        db.session.commit()
        client = app.test_client()
        email, password = logins["supervisor"]
        client.post("/login", data={"email": email, "password": password})
        statements = []
        event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(1))

        def get(url: str) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        figures = {}
        for name, url in (("actions page", "/actions"), ("lessons library", "/lessons"),
                          ("published reviews", "/reviews"), ("structural issues", "/structural-issues"),
                          ("incident page", f"/incidents/{reference}"),
                          ("review page", f"/incidents/{reference}/review")):
            statements.clear()
            get(url)
            count = len(statements)
            median, worst = timed(lambda u=url: get(u), repeat)
            figures[name] = (median, worst, count)
        statements.clear()
        page_due(utcnow())
        count = len(statements)
        median, worst = timed(lambda: page_due(utcnow()), repeat)
        figures["worker: reviews and actions"] = (median, worst, count)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'bench.sqlite3'}"
        backend = database_url.split(":")[0].split("+")[0]
        print(f"{backend}: server-side milliseconds (median / worst of {args.repeat}) and SQL statements per request")
        results = {size: measure(size, args.repeat, database_url, instance) for size in sizes}
    names = list(next(iter(results.values())))
    print(f"{'incidents reviewed':<28}" + "".join(f"{size:>24}" for size in sizes))
    for name in names:
        cells = [f"{results[s][name][0]:>8.0f} / {results[s][name][1]:<5.0f}{results[s][name][2]:>5} sql"
                 for s in sizes]
        print(f"{name:<28}" + "".join(f"{c:>24}" for c in cells))


if __name__ == "__main__":
    main()
