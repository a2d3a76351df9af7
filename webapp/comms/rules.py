"""Status-update cadence and post-incident review rules (REFERENCE sections 3 and 7). Pure."""
from __future__ import annotations

from datetime import datetime, timedelta

AUDIENCES = {"internal": "Internal", "customer": "Customers", "public": "Public"}
# (first update after the clock starts, then every)
CADENCE = {"P1": (timedelta(minutes=15), timedelta(hours=1)), "P2": (timedelta(hours=4), timedelta(hours=4)),
           "P3": (timedelta(days=1), timedelta(days=1))}
REMINDED = ("P1", "P2")  # severities whose missed updates are paged
REVIEW_P2_AFTER = timedelta(hours=2)
REVIEW_P1_WITHIN = timedelta(hours=48)


def next_update_due(severity: str, started: datetime, last_update: datetime | None) -> datetime | None:
    """When the next status update is due: the first after `started`, then one per interval after the last."""
    if severity not in CADENCE:
        return None
    first, every = CADENCE[severity]
    return last_update + every if last_update else started + first


def review_required(severity: str, major: bool, reported_at: datetime, resolved_at: datetime | None,
                    now: datetime) -> str | None:
    """Why a post-incident review is required, or None."""
    if severity == "P1":
        return "every P1 has a post-incident review"
    if major:
        return "it was declared a major incident"
    if severity == "P2" and (resolved_at or now) - reported_at > REVIEW_P2_AFTER:
        return "a P2 that lasted over 2 hours"
    return None


def review_due(severity: str, resolved_at: datetime | None) -> datetime | None:
    """For a P1, within 48 h of resolution."""
    return resolved_at + REVIEW_P1_WITHIN if severity == "P1" and resolved_at else None


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
