"""Keeping an incident's SLA facts honest: whatever moves its clocks asks the worker to look at it again,
and its clocks' due times are kept on the incident for the metrics.

The clocks depend on the incident's severity, report time, acknowledgement and resolution, its site's
time zone and jurisdiction (business days and holidays), and the organisation's targets. A change to
any of them, wherever it is made, clears clock_check_at at flush time, so no view has to remember to,
and counts clock_generation up: the worker records its next check only if the generation it read is
still the incident's, so a change made while it was working is never overwritten by a stale answer.

The due times (response_due_at, resolution_due_at) are worked out at flush time for a new incident and
for one whose severity or report time changed. New targets, or a site's new zone or jurisdiction, clear
the due time of each clock still running (not yet met, on an incident not closed), and the worker's next
look at those clocks stores it again. A clock that has stopped keeps the due time it was judged by:
changing the targets does not rewrite last quarter's SLA figures.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, event, select, update
from sqlalchemy.orm import Session

from ..database import fields_changed
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from ..organisation.models import Organisation, Site
from .rules import clocks

INCIDENT_FIELDS = ("severity", "reported_at", "acknowledged_at", "resolved_at", "status")
DUE_FIELDS = ("severity", "reported_at")  # what moves a due time (being acknowledged or resolved meets it)
SITE_FIELDS = ("timezone", "jurisdiction")


def due_times(incident: Incident, site: Site, targets: dict | None) -> dict[str, datetime]:
    """The values of response_due_at and resolution_due_at for the incident as it is now."""
    return {f"{clock.name}_due_at": clock.due for clock in clocks(
        severity=incident.severity, reported_at=incident.reported_at, acknowledged_at=None, resolved_at=None,
        zone=site.timezone, jurisdiction=site.jurisdiction, overrides=targets)}


def _store_due_times(session: Session, incidents: list[Incident]) -> None:
    targets = session.scalar(select(Organisation.sla_targets).order_by(Organisation.id).limit(1))
    for incident in incidents:
        site = incident.site or session.get(Site, incident.site_id)
        if incident.reported_at is None or incident.severity is None or site is None:
            continue  # not enough to go on yet: the metrics and the worker work it out later
        for column, moment in due_times(incident, site, targets).items():
            setattr(incident, column, moment)


@event.listens_for(Session, "before_flush")
def _clocks_moved(session: Session, _context, _instances) -> None:
    moved = [obj for obj in session.new if isinstance(obj, Incident)]
    for obj in session.dirty:
        if isinstance(obj, Incident) and fields_changed(obj, INCIDENT_FIELDS):
            obj.clock_check_at = None
            obj.clock_generation = Incident.clock_generation + 1  # in SQL: a worker's stale answer is refused
            if fields_changed(obj, DUE_FIELDS):
                moved.append(obj)
        elif isinstance(obj, Organisation) and fields_changed(obj, ("sla_targets",)):
            session.info["recheck_clocks"] = True
        elif isinstance(obj, Site) and fields_changed(obj, SITE_FIELDS):
            session.info.setdefault("recheck_sites", set()).add(obj.id)
    if moved:
        with session.no_autoflush:
            _store_due_times(session, moved)


@event.listens_for(Session, "after_flush")
def _recheck(session: Session, _context) -> None:
    """New targets recheck every open incident; a site's new zone or jurisdiction, that site's."""
    everyone = session.info.pop("recheck_clocks", False)
    sites = session.info.pop("recheck_sites", set())
    if not everyone and not sites:
        return
    table = Incident.__table__
    statement = update(table).where(table.c.status.in_(OPEN_STATUSES))
    if not everyone:
        statement = statement.where(table.c.site_id.in_(sites))
    session.connection().execute(statement.values(
        clock_check_at=None, clock_generation=table.c.clock_generation + 1,
        response_due_at=case((table.c.acknowledged_at.is_(None), None), else_=table.c.response_due_at),
        resolution_due_at=case((table.c.resolved_at.is_(None), None), else_=table.c.resolution_due_at)))
