"""Keeping Incident.clock_check_at honest: whatever moves an incident's SLA clocks asks the worker to
look at it again on its next pass.

The clocks depend on the incident's severity, report time, acknowledgement and resolution, its site's
time zone and jurisdiction (business days and holidays), and the organisation's targets. A change to
any of them, wherever it is made, clears clock_check_at at flush time, so no view has to remember to,
and counts clock_generation up: the worker records its next check only if the generation it read is
still the incident's, so a change made while it was working is never overwritten by a stale answer.
"""
from __future__ import annotations

from sqlalchemy import event, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident
from ..organisation.models import Organisation, Site

INCIDENT_FIELDS = ("severity", "reported_at", "acknowledged_at", "resolved_at", "status")
SITE_FIELDS = ("timezone", "jurisdiction")


def _changed(obj, fields) -> bool:
    return any(get_history(obj, field).has_changes() for field in fields)


@event.listens_for(Session, "before_flush")
def _clocks_moved(session: Session, _context, _instances) -> None:
    for obj in session.dirty:
        if isinstance(obj, Incident) and _changed(obj, INCIDENT_FIELDS):
            obj.clock_check_at = None
            obj.clock_generation = Incident.clock_generation + 1  # in SQL: a worker's stale answer is refused
        elif isinstance(obj, Organisation) and _changed(obj, ("sla_targets",)):
            session.info["recheck_clocks"] = True
        elif isinstance(obj, Site) and _changed(obj, SITE_FIELDS):
            session.info.setdefault("recheck_sites", set()).add(obj.id)


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
    session.connection().execute(statement.values(clock_check_at=None, clock_generation=table.c.clock_generation + 1))
