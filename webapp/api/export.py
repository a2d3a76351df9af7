"""The incident list as CSV rows: one row per incident with what a spreadsheet user needs."""
from __future__ import annotations

from datetime import datetime
from typing import Iterable, Iterator

from ..incidents.models import INCIDENT_ROLES, Incident
from ..rules.metrics import clock_outcome
from ..sla.service import incident_clocks

COLUMNS = ["reference", "status", "severity", "classified_severity", "high_potential", "confidential", "site",
           "site_name", "categories", "description", "occurred_at", "reported_at", "aware_at", "acknowledged_at",
           "resolved_at", "recovered_at", "closed_at", "reporter", *INCIDENT_ROLES, "response_sla",
           "response_due", "resolution_sla", "resolution_due"]


def _iso(moment: datetime | None) -> str:
    return moment.isoformat() if moment else ""  # ISO 8601 with its offset (+00:00)


def incident_rows(incidents: Iterable[Incident], now: datetime, targets: dict | None) -> Iterator[list[object]]:
    for incident in incidents:
        clocks = {c.name: c for c in incident_clocks(incident, targets)}
        sla = []
        for name in ("response", "resolution"):
            clock = clocks[name]
            outcome = "cancelled" if incident.status == "cancelled" else clock_outcome(clock.due, clock.met_at, now)
            sla += [outcome or "running", _iso(clock.due)]
        roles = [holder.email if holder else "" for holder in incident.role_holders().values()]
        yield [incident.reference, incident.status, incident.severity, incident.classified_severity,
               "yes" if incident.high_potential else "no", "yes" if incident.confidential else "no",
               incident.site.code, incident.site.name, ";".join(incident.categories), incident.description,
               *(_iso(getattr(incident, f)) for f in ("occurred_at", "reported_at", "aware_at", "acknowledged_at",
                                                      "resolved_at", "recovered_at", "closed_at")),
               incident.reporter.email, *roles, *sla]
