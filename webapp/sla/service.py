"""An incident's SLA clocks with the organisation's targets, and paging near-breaches and breaches."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from ..auth.models import User
from ..extensions import db
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from ..obligations.paging import page_leads
from ..organisation.models import Organisation
from ..templating import countdown
from .models import ClockAlert
from .rules import CLOCKS, Clock, clocks, describe


def incident_clocks(incident: Incident, overrides: dict | None = None) -> list[Clock]:
    if overrides is None:
        overrides = Organisation.current().sla_targets
    return clocks(severity=incident.severity, reported_at=incident.reported_at,
                  acknowledged_at=incident.acknowledged_at, resolved_at=incident.resolved_at,
                  zone=incident.site.timezone, jurisdiction=incident.site.jurisdiction, overrides=overrides)


def clock_view(incident: Incident, now: datetime, overrides: dict | None = None) -> list[dict]:
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


def page_clocks(now: datetime, limit: int = 1000) -> int:
    """Page each near-breach and breach of an open incident's clock once; return how many were paged."""
    overrides = Organisation.current().sla_targets
    incidents = db.session.scalars(db.select(Incident).where(Incident.status.in_(OPEN_STATUSES))
                                   .order_by(Incident.id).limit(limit)).all()
    alerted = {(a.incident_id, a.clock, a.kind, a.severity) for a in db.session.scalars(
        db.select(ClockAlert).where(ClockAlert.incident_id.in_([i.id for i in incidents])))}
    paged = 0
    for incident in incidents:
        for clock in clock_view(incident, now, overrides):
            kind = {"near": "near", "breached": "breached"}.get(clock["state"])
            if kind is None or (incident.id, clock["clock"], kind, incident.severity) in alerted:
                continue
            about = f"{incident.severity} {clock['label'].lower()} target ({clock['target_words']}): " \
                    f"{countdown(clock['due'], now)}"
            db.session.add(ClockAlert(incident_id=incident.id, clock=clock["clock"], kind=kind,
                                      severity=incident.severity, at=now))
            page_leads(incident, f"sla{incident.id}:{incident.severity}:{clock['clock']}:{kind}", about,
                       kind == "breached", now, "sla_page", clock=clock["clock"], kind=kind)
            paged += 1
    db.session.commit()
    return paged
