"""The worker process: runs the escalation engine in a loop and says it is alive (a heartbeat row)."""
from __future__ import annotations

import os
import signal
import socket
import time
from datetime import datetime, timedelta

from flask import Flask, current_app

from ..comms.service import remind_updates, send_update_emails
from ..database import utcnow
from ..extensions import db
from ..obligations.models import Obligation
from ..obligations.paging import page_deadlines, recheck_all_deadlines
from ..push.fallback import fall_back
from ..sla.service import page_clocks, recheck_all_clocks
from .delivery import deliver_due
from .engine import repage_stalled, run_due, start_new
from .models import Escalation, Notification, WorkerHeartbeat


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(name: str, now: datetime, started: datetime) -> None:
    row = db.session.get(WorkerHeartbeat, name)
    if row is None:
        db.session.add(WorkerHeartbeat(name=name, started_at=started, beat_at=now))
    else:
        row.beat_at = now
    db.session.commit()


def work_once(now: datetime) -> tuple[int, int, int]:
    """One pass: start escalations for new incidents, run due steps, page obligations and SLA clocks
    nearly due or missed, fall back to email for pushes nobody confirmed, send due pages.

    Returns (escalations started, steps run, pages attempted)."""
    started = start_new(now)  # first, so a new incident's first page goes out in this same pass
    steps = run_due(now) + repage_stalled(now) + page_deadlines(now) + page_clocks(now) + remind_updates(now)
    send_update_emails(now)
    fall_back(now)
    return started, steps, deliver_due(now)


def next_due(now: datetime, interval: float) -> float:
    """Seconds to sleep: the pass interval, or less when an escalation step or a page retry falls due
    sooner, so a level-2 page goes out on time rather than up to one interval late."""
    soonest = [db.session.scalar(db.select(db.func.min(Escalation.next_due_at)).where(Escalation.state == "active")),
               db.session.scalar(db.select(db.func.min(Notification.next_attempt_at))
                                 .where(Notification.state == "pending")),
               db.session.scalar(db.select(db.func.min(Obligation.deadline))
                                 .where(Obligation.status == "due", Obligation.overdue_paged_at.is_(None),
                                        Obligation.deadline > now))]
    waits = [(moment - now).total_seconds() for moment in soonest if moment is not None]
    return max(0.0, min([interval, *waits]))


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
    log(f"worker {name} running every {interval:g}s")
    with app.app_context():  # its near-due fraction may not be the one the last worker used
        recheck_all_clocks()
        recheck_all_deadlines()
    while not stopping:
        pause = interval
        with app.app_context():
            try:
                now = utcnow()
                began, steps, sent = work_once(now)
                beat(name, now, started)
                if began or steps or sent:
                    log(f"{now:%H:%M:%S} started {began} escalation(s), ran {steps} step(s), sent {sent} page(s)")
                pause = next_due(utcnow(), interval)
            except Exception as exc:  # a database hiccup must not kill the loop; log it and try again
                db.session.rollback()
                log(f"worker error: {type(exc).__name__}: {exc}")
            finally:
                db.session.remove()
        if once:
            return
        time.sleep(pause)
    log(f"worker {name} stopped")
