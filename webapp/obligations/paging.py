"""Deadlines that people must not miss: obligations nearly due and overdue are paged like incidents.

Nearly due (OBLIGATION_NEARLY_DUE_FRACTION of the window from becoming aware to the deadline left,
a quarter by default) pages the step's owner, else the incident commander, else the supervisors (the
first of them who can be alerted); overdue pages the owner, the commander and the supervisors. Each is
paged once per obligation, and the page goes on the timeline. A step marked done or not required is never paged.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from sqlalchemy import or_, update

from ..common.timewords import countdown
from ..database import claim_rows
from ..extensions import db
from ..incidents.models import Incident
from ..notify.leads import page_leads
from .models import Obligation


def _page(row: Obligation, incident: Incident, kind: str, now: datetime) -> None:
    # The deadline is in the occasion: a deadline moved by a correction is paged afresh, the same one never twice.
    page_leads(incident, [row.owner, incident.commander], "deadline",
               f"o{row.id}:{kind}:{int(row.deadline.timestamp())}",
               f"{row.regime}: {row.what}: {countdown(row.deadline, now)}", kind == "overdue", now, "obligation_page",
               obligation=row.id, kind=kind)


def _open_steps() -> tuple:
    """Steps with a deadline still to page: due, not waiting for an event, not yet paged as overdue."""
    return (Obligation.status == "due", Obligation.deadline.is_not(None), Obligation.waiting_for.is_(None),
            Obligation.overdue_paged_at.is_(None), Incident.status != "cancelled")


def page_deadlines(now: datetime, limit: int = 200) -> int:
    """Page nearly-due and overdue obligations; return how many were paged. Only steps whose check_at
    has come (or was cleared by a recomputation) are read; each is given its next moment."""
    fraction = current_app.config["OBLIGATION_NEARLY_DUE_FRACTION"]
    rows = db.session.scalars(claim_rows(
        db.select(Obligation).join(Incident, Incident.id == Obligation.incident_id)
        .where(*_open_steps(), or_(Obligation.check_at.is_(None), Obligation.check_at <= now))
        .order_by(Obligation.deadline).limit(limit))).all()
    paged = 0
    for row in rows:
        incident = db.session.get(Incident, row.incident_id)
        nearly_at = row.deadline - (row.deadline - incident.aware_at) * fraction
        if row.deadline <= now:
            _page(row, incident, "overdue", now)
            row.overdue_paged_at = now
            row.nearly_paged_at = row.nearly_paged_at or now
            paged += 1
        elif row.nearly_paged_at is None and nearly_at <= now:
            _page(row, incident, "nearly", now)
            row.nearly_paged_at = now
            paged += 1
        upcoming = min(nearly_at, row.deadline) if row.nearly_paged_at is None else row.deadline
        # Only if the deadline is still the one read: a recomputation meanwhile wins.
        db.session.execute(update(Obligation).where(Obligation.id == row.id, Obligation.deadline == row.deadline)
                           .values(check_at=upcoming).execution_options(synchronize_session=False))
    db.session.commit()
    return paged


def recheck_all_deadlines() -> None:
    """Have the next pass look at every open step (a starting worker may have another fraction)."""
    db.session.execute(update(Obligation).where(Obligation.status == "due").values(check_at=None)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def next_deadline_check(now: datetime) -> datetime | None:
    """When the worker next has an open step to look at (its nearly-due moment or its deadline)."""
    return db.session.scalar(
        db.select(db.func.min(Obligation.check_at)).join(Incident, Incident.id == Obligation.incident_id)
        .where(*_open_steps()))
