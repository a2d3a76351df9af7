"""An incident's SLA clocks with the organisation's targets, and paging near-breaches and breaches."""
from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import or_, update
from sqlalchemy.orm import selectinload

from ..auth.models import User
from ..common.timewords import countdown
from ..database import claim_rows
from ..extensions import db
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from ..notify.leads import page_leads
from ..organisation.models import Organisation
from .models import ClockAlert
from .rules import CLOCKS, Clock, clocks, describe
from .tracking import due_times  # the module's flush listeners clear clock_check_at when the clocks move

QUIET = datetime(9999, 1, 1, tzinfo=UTC)  # no clock left to turn until something changes


CURRENT = object()  # "the organisation's targets": looked up (None means no changes to the defaults)


def incident_clocks(incident: Incident, overrides: dict | None | object = CURRENT) -> list[Clock]:
    """The incident's clocks. A running clock follows the current targets; one that has stopped (met, or
    the incident closed) keeps the due time it was judged by (kept on the incident, see tracking.py), as
    the metrics and the CSV count it."""
    if overrides is CURRENT:
        overrides = Organisation.current().sla_targets
    ticking = clocks(severity=incident.severity, reported_at=incident.reported_at,
                     acknowledged_at=incident.acknowledged_at, resolved_at=incident.resolved_at,
                     zone=incident.site.timezone, jurisdiction=incident.site.jurisdiction, overrides=overrides)
    finished = incident.status in ("closed", "cancelled")
    kept = {"response": incident.response_due_at, "resolution": incident.resolution_due_at}
    return [replace(clock, due=kept[clock.name]) if kept[clock.name] and (clock.met_at or finished) else clock
            for clock in ticking]


def clock_view(incident: Incident, now: datetime, overrides: dict | None | object = CURRENT) -> list[dict]:
    """The clocks as the pages and the API show them."""
    fraction = current_app.config["OBLIGATION_NEARLY_DUE_FRACTION"]
    return [{"clock": c.name, "label": CLOCKS[c.name], "target": c.target, "target_words": describe(c.target),
             "due": c.due, "met_at": c.met_at, "state": c.state(now, fraction, incident.reported_at)}
            for c in incident_clocks(incident, overrides)]


def nearest_deadline(view: list[dict]) -> datetime | None:
    """The soonest deadline of a clock still running (breached ones first, as they are in the past)."""
    running = [c["due"] for c in view if c["met_at"] is None]
    return min(running) if running else None


def record_severity_change(incident: Incident, actor: User) -> None:
    """Say on the timeline what the clocks became, counted from the original report."""
    zone = ZoneInfo(incident.site.timezone)
    parts = [f"{c['label'].lower()} by {c['due'].astimezone(zone):%a %d %b %H:%M %Z} ({c['target_words']})"
             for c in clock_view(incident, incident.reported_at)]
    incident.record("sla", f"Targets for {incident.severity}, counted from the original report: " + "; ".join(parts),
                    actor, severity=incident.severity)


def recheck_all_clocks() -> None:
    """Have the next pass look at every open incident's clocks (a worker starting may have another
    OBLIGATION_NEARLY_DUE_FRACTION than the one that set the checks)."""
    db.session.execute(update(Incident).where(Incident.status.in_(OPEN_STATUSES))
                       .values(clock_check_at=None, clock_generation=Incident.clock_generation + 1)
                       .execution_options(synchronize_session=False))
    db.session.commit()


def fill_due_times(batch: int = 1000) -> int:
    """Store the due times incidents lack (kept since migration 0016; older rows are filled here, once,
    when a worker starts). Found through a partial index of just those rows; a row whose clocks moved
    meanwhile (another generation) is left to that change."""
    targets = Organisation.current().sla_targets
    filled, after = 0, 0
    while rows := db.session.scalars(db.select(Incident).options(selectinload(Incident.site))
                                     .where(Incident.due_unknown(), Incident.id > after).order_by(Incident.id)
                                     .limit(batch)).all():
        for incident in rows:
            missing = {column: moment for column, moment in due_times(incident, incident.site, targets).items()
                       if getattr(incident, column) is None}
            db.session.execute(update(Incident).where(Incident.id == incident.id,
                                                      Incident.clock_generation == incident.clock_generation)
                               .values(**missing).execution_options(synchronize_session=False))
        db.session.commit()
        filled, after = filled + len(rows), rows[-1].id
    return filled


def start_clocks() -> None:
    """A worker starting: due times filled in where missing, and every open incident's clocks looked at."""
    fill_due_times()
    recheck_all_clocks()


def page_clocks(now: datetime, limit: int = 200) -> int:
    """Page each near-breach and breach of an open incident's clock once; return how many were paged.

    Only incidents whose clock_check_at has come (or was cleared by a change, see tracking.py) are
    looked at; each is given the next moment one of its clocks turns, so a pass over a thousand quiet
    incidents reads none of them."""
    fraction = current_app.config["OBLIGATION_NEARLY_DUE_FRACTION"]
    incidents = db.session.scalars(claim_rows(
        db.select(Incident).where(Incident.status.in_(OPEN_STATUSES),
                                  or_(Incident.clock_check_at.is_(None), Incident.clock_check_at <= now))
        .order_by(Incident.id).limit(limit))).all()
    # The targets are read after the incidents: new targets committed meanwhile have counted each one's
    # clock_generation up, so the stale answer below is refused rather than stored.
    overrides = Organisation.current().sla_targets
    alerted = {(a.incident_id, a.clock, a.kind, a.severity) for a in db.session.scalars(
        db.select(ClockAlert).where(ClockAlert.incident_id.in_([i.id for i in incidents])))}
    paged = 0
    for incident in incidents:
        ticking = incident_clocks(incident, overrides)
        for clock in ticking:
            kind = {"near": "near", "breached": "breached"}.get(clock.state(now, fraction, incident.reported_at))
            if kind is None or (incident.id, clock.name, kind, incident.severity) in alerted:
                continue
            label = CLOCKS[clock.name].lower()
            about = f"{incident.severity} {label} target ({describe(clock.target)}): {countdown(clock.due, now)}"
            db.session.add(ClockAlert(incident_id=incident.id, clock=clock.name, kind=kind,
                                      severity=incident.severity, at=now))
            page_leads(incident, [incident.commander], "clock",
                       f"sla{incident.id}:{incident.severity}:{clock.name}:{kind}", about, kind == "breached", now,
                       "sla_page", clock=clock.name, kind=kind)
            paged += 1
        upcoming = [m for m in (c.next_change(now, fraction, incident.reported_at) for c in ticking) if m]
        db.session.execute(update(Incident).where(Incident.id == incident.id,
                                                  Incident.clock_generation == incident.clock_generation)
                           .values(clock_check_at=min(upcoming, default=QUIET),
                                   **{f"{c.name}_due_at": c.due for c in ticking}))
    db.session.commit()
    return paged


def next_clock_check(now: datetime) -> datetime | None:
    """When an open incident's clock next turns (near or breached)."""
    return db.session.scalar(db.select(db.func.min(Incident.clock_check_at))
                             .where(Incident.status.in_(OPEN_STATUSES)))
