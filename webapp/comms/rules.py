"""Status-update cadence (REFERENCE section 3) and stakeholder addresses. Pure."""
from __future__ import annotations

from datetime import datetime, timedelta

AUDIENCES = {"internal": "Internal", "customer": "Customers", "public": "Public"}
# (first update after the clock starts, then every)
CADENCE = {"P1": (timedelta(minutes=15), timedelta(hours=1)), "P2": (timedelta(hours=4), timedelta(hours=4)),
           "P3": (timedelta(days=1), timedelta(days=1))}
REMINDED = ("P1", "P2")  # severities whose missed updates are paged


def next_update_due(severity: str, started: datetime, last_update: datetime | None) -> datetime | None:
    """When the next status update is due: the first after `started`, then one per interval after the last."""
    if severity not in CADENCE:
        return None
    first, every = CADENCE[severity]
    return last_update + every if last_update else started + first


def parse_emails(text: str) -> list[str]:
    """Stakeholder addresses, one per line or separated by commas; ValueError naming a bad one."""
    addresses = [part.strip().lower() for part in text.replace(",", "\n").splitlines() if part.strip()]
    for address in addresses:
        local, _, domain = address.partition("@")
        if not local or "." not in domain or " " in address or len(address) > 254:
            raise ValueError(f"{address!r} is not an email address")
    if len(addresses) > 50:
        raise ValueError("at most 50 stakeholders per site")
    return list(dict.fromkeys(addresses))
