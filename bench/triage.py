"""How the triage queue and the worker's clock pass hold up as open incidents pile up.

    .venv/bin/python bench/triage.py [--sizes 100,500,1000] [--repeat 15]

For each size, files that many open incidents (a realistic mix: injuries of every severity at the
Sydney and Manchester sites, data breaches, outages; about a third with regulatory obligations) and
times, server side, with Flask's test client as the demo supervisor:
  1. the queue page (full) and its 10-second htmx poll (the list alone);
  2. one incident page (clocks, obligations, updates, timeline);
  3. the worker's look at SLA clocks (page_clocks) and at obligation deadlines (page_deadlines) once
     every near-breach and breach has been paged (the steady state: a pass finds nothing new).
Median and worst of --repeat runs. SQLite by default; set DATABASE_URL to measure on PostgreSQL (a
database of its own: the benchmark drops and recreates every table). It prints figures and asserts nothing.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from webapp import create_app  # noqa: E402
from webapp.auth.models import User  # noqa: E402
from webapp.cli import seed_demo  # noqa: E402
from webapp.database import utcnow  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.incidents.models import Incident  # noqa: E402
from webapp.obligations.paging import page_deadlines  # noqa: E402
from webapp.reporting.service import submit_report  # noqa: E402
from webapp.rules.answers import validate_report  # noqa: E402
from webapp.sla.service import page_clocks  # noqa: E402

MIX = [  # (weight, answers)
    (4, {"what_happened": ["injury"], "treatment": "first_aid", "injured_person": "worker"}),
    (2, {"what_happened": ["injury"], "treatment": "medical", "injured_person": "worker"}),
    (1, {"what_happened": ["injury"], "treatment": "hospital_admitted", "injured_person": "worker"}),
    (2, {"what_happened": ["data_breach"], "personal_data": "yes", "likely_serious_harm": "no"}),
    (2, {"what_happened": ["service_outage"], "service_impact": "site"}),
    (3, {"what_happened": ["near_miss"]}),
    (2, {"what_happened": ["hazard"]}),
]


def file_incidents(count: int, reporter: User, sites: list[str]) -> None:
    rng = random.Random(count)
    choices = [answers for weight, answers in MIX for _ in range(weight)]
    now = utcnow()
    for n in range(count):
        reported = now - timedelta(minutes=rng.randint(1, 60 * 24 * 5))
        body = {**rng.choice(choices), "client_id": str(uuid.uuid4()), "site": rng.choice(sites),
                "description": f"Bench incident {n}", "occurred_at": (reported - timedelta(minutes=5)).isoformat()}
        report = validate_report(body, now=reported, site_codes=set(sites), default_site=sites[0])
        submit_report(report, reporter, reported)
        if n % 100 == 99:
            db.session.commit()
    db.session.commit()


def timed(action, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


def measure(size: int, repeat: int, database_url: str, instance: Path) -> dict[str, tuple[float, float]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "VAPID_SUBJECT": "mailto:bench@field-incidents.example"},
                     instance_path=str(instance))
    with app.app_context():
        db.drop_all()
        db.create_all()
        logins = {role: (email, password) for email, password, role in seed_demo()}
        reporter = db.session.scalar(db.select(User).filter_by(role="reporter"))
        file_incidents(size, reporter, ["SYD-DEPOT", "MAN-PLANT"])
        reference = db.session.scalar(db.select(Incident).order_by(Incident.id.desc()).limit(1)).reference
        now = utcnow()
        page_clocks(now, limit=size)  # page what is near or breached, once, as the worker would have
        page_deadlines(now, limit=size)
        client = app.test_client()
        email, password = logins["supervisor"]
        client.post("/login", data={"email": email, "password": password})

        def get(url: str, **headers) -> None:
            response = client.get(url, headers=headers)
            assert response.status_code == 200, (url, response.status_code)

        figures = {
            "queue page": timed(lambda: get("/incidents"), repeat),
            "queue poll (htmx list)": timed(lambda: get("/incidents", **{"HX-Request": "true"}), repeat),
            "incident page": timed(lambda: get(f"/incidents/{reference}"), repeat),
            "worker: SLA clocks": timed(lambda: page_clocks(utcnow(), limit=size), repeat),
            "worker: obligation deadlines": timed(lambda: page_deadlines(utcnow(), limit=size), repeat),
        }
        shown = client.get("/incidents").get_data(as_text=True).count('class="card incident-row"')
        figures["rows in the queue"] = (shown, shown)
        db.session.remove()
        db.drop_all()
        db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,500,1000")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        instance = Path(tmp)
        database_url = os.environ.get("DATABASE_URL") or f"sqlite:///{instance / 'bench.sqlite3'}"
        backend = database_url.split(":")[0].split("+")[0]
        print(f"{backend}: server-side milliseconds, median / worst of {args.repeat}")
        results = {size: measure(size, args.repeat, database_url, instance) for size in sizes}
    names = list(next(iter(results.values())))
    print(f"{'open incidents':<26}" + "".join(f"{size:>18}" for size in sizes))
    for name in names:
        cells = []
        for size in sizes:
            median, worst = results[size][name]
            cells.append(f"{median:>10.0f} / {worst:<5.0f}" if name != "rows in the queue" else f"{median:>18.0f}")
        print(f"{name:<26}" + "".join(cells))


if __name__ == "__main__":
    main()
