"""The incident list as CSV rows: one row per incident with what a spreadsheet user needs."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime

from ..incidents.models import INCIDENT_ROLES, Incident
from ..rules.metrics import clock_outcome
from ..sla.service import incident_clocks

COLUMNS = ["reference", "status", "severity", "classified_severity", "high_potential", "confidential", "site",
           "site_name", "categories", "description", "occurred_at", "reported_at", "aware_at", "acknowledged_at",
           "resolved_at", "recovered_at", "closed_at", "reporter", *INCIDENT_ROLES, "response_sla",
           "response_due", "resolution_sla", "resolution_due"]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""  # ISO 8601 with its offset (+00:00)


def _dues(incident: Incident, targets: dict | None) -> dict[str, tuple[datetime, datetime | None]]:
    """Each clock's due time and when it was met: as kept on the incident (what the metrics count), or
    worked out when not kept yet."""
    if incident.response_due_at and incident.resolution_due_at:
        return {"response": (incident.response_due_at, incident.acknowledged_at),
                "resolution": (incident.resolution_due_at, incident.resolved_at)}
    return {c.name: (c.due, c.met_at) for c in incident_clocks(incident, targets)}


def incident_rows(incidents: Iterable[Incident], now: datetime, targets: dict | None) -> Iterator[list[object]]:
    for incident in incidents:
        dues = _dues(incident, targets)
        sla = []
        for name in ("response", "resolution"):
            due, met_at = dues[name]
            outcome = "cancelled" if incident.status == "cancelled" else clock_outcome(due, met_at, now)
            sla += [outcome or "running", _iso(due)]
        roles = [holder.email if holder else "" for holder in incident.role_holders().values()]
        yield [incident.reference, incident.status, incident.severity, incident.classified_severity,
               "yes" if incident.high_potential else "no", "yes" if incident.confidential else "no",
               incident.site.code, incident.site.name, ";".join(incident.categories), incident.description,
               *(_iso(getattr(incident, f)) for f in ("occurred_at", "reported_at", "aware_at", "acknowledged_at",
                                                      "resolved_at", "recovered_at", "closed_at")),
               incident.reporter.email, *roles, *sla]
