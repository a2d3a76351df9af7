"""The worker process: the jobs features register, run in a loop, each saying when it next has work.

A job is a function that does what is due at `now` (in short transactions of its own) and a function
that says when it next falls due. Features register theirs from their `init_app` (escalation steps,
deadlines, SLA clocks, update reminders); the notification core adds the email fallback and the
deliveries, which run last in each pass so a message queued by an earlier job goes out in the same
pass. The worker sleeps until the earliest job is due (never longer than the interval, which also
picks up work the web app adds), beats a heartbeat, and a job that raises costs that job's pass
only. Everything is in the database, so a worker killed at any point loses nothing.
"""
from __future__ import annotations

import os
import signal
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask, current_app

from ..database import utcnow
from ..extensions import db
from .models import WorkerHeartbeat


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], int]  # does what is due at `now`; returns how much it did
    next_due: Callable[[datetime], datetime | None] = lambda now: None  # None: nothing scheduled
    order: int = 50  # lower runs first in a pass
    on_start: Callable[[], None] | None = None  # a starting worker's look at everything again


def register(app: Flask, job: Job) -> None:
    jobs = app.extensions.setdefault("worker_jobs", [])
    if any(existing.name == job.name for existing in jobs):
        raise ValueError(f"a worker job named {job.name!r} is already registered")
    jobs.append(job)
    jobs.sort(key=lambda j: j.order)


def jobs(app: Flask | None = None) -> list[Job]:
    return list((app or current_app).extensions.get("worker_jobs", []))


def work_once(now: datetime, log=None) -> dict[str, int]:
    """One pass over every job, in order; returns what each did. A job that fails is rolled back and
    logged, and the others still run."""
    done = {}
    for job in jobs():
        try:
            done[job.name] = job.run(now)
        except Exception as exc:  # noqa: BLE001  one job's failure must not starve the others
            db.session.rollback()
            done[job.name] = 0
            if log:
                log(f"worker job {job.name} failed: {type(exc).__name__}: {exc}")
    return done


MIN_PAUSE = 0.05  # work that is due but held elsewhere (another worker's lock) must not spin the loop


def next_due(now: datetime, interval: float) -> float:
    """Seconds to sleep: the interval, or less when a job falls due sooner (a level-2 page goes out on
    its minute, not up to one interval late)."""
    waits = [interval]
    for job in jobs():
        moment = job.next_due(now)
        if moment is not None:
            waits.append((moment - now).total_seconds())
    return min(interval, max(MIN_PAUSE, min(waits)))


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(name: str, now: datetime, started: datetime) -> None:
    row = db.session.get(WorkerHeartbeat, name)
    if row is None:
        db.session.add(WorkerHeartbeat(name=name, started_at=started, beat_at=now))
    else:
        row.beat_at = now
    db.session.commit()


def last_beat() -> datetime | None:
    return db.session.scalar(db.select(db.func.max(WorkerHeartbeat.beat_at)))


def engine_status(now: datetime) -> dict:
    """What /healthz and the supervisors' banner say about the worker."""
    beat_at = last_beat()
    limit = timedelta(seconds=current_app.config["WORKER_STALE_SECONDS"])
    if beat_at is None:
        return {"last_beat": None, "age_seconds": None, "stale": True}
    age = max(0.0, (now - beat_at).total_seconds())  # a beat written a moment after `now` is not in the future
    return {"last_beat": beat_at.isoformat(), "age_seconds": round(age, 1), "stale": age > limit.total_seconds()}


def run_forever(app: Flask, interval: float, once: bool = False, log=print) -> None:
    """Loop until SIGTERM/SIGINT; each pass is short transactions, so a kill at any point loses nothing."""
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    name, started = worker_name(), utcnow()
    with app.app_context():
        log(f"worker {name} running every {interval:g}s: {', '.join(job.name for job in jobs())}")
        for job in jobs():  # e.g. a near-due fraction other than the one the last worker used
            if job.on_start:
                job.on_start()
    while not stopping:
        pause = interval
        with app.app_context():
            try:
                now = utcnow()
                done = work_once(now, log)
                beat(name, now, started)
                if any(done.values()):
                    log(f"{now:%H:%M:%S} " + ", ".join(f"{job} {count}" for job, count in done.items() if count))
                pause = next_due(utcnow(), interval)
            except Exception as exc:  # noqa: BLE001  a database hiccup must not kill the loop
                db.session.rollback()
                log(f"worker error: {type(exc).__name__}: {exc}")
            finally:
                db.session.remove()
        if once:
            return
        time.sleep(pause)
    log(f"worker {name} stopped")
