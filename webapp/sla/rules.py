"""Response and resolution targets per severity (REFERENCE section 3), and an incident's clocks. Pure.

A target is written as a number and a unit: "15m", "4h", "3bd" (business days in the site's time zone
and public holidays, ending at local midnight). The defaults below can be changed per organisation.
Clocks always run from the original `reported_at`, so a severity change recomputes them from there.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..common.calendar import add_business_days

CLOCKS = {"response": "Respond (acknowledge)", "resolution": "Resolve"}
DEFAULT_TARGETS = {
    "P1": {"response": "15m", "resolution": "4h"},
    "P2": {"response": "1h", "resolution": "8h"},
    "P3": {"response": "4h", "resolution": "3bd"},
    "P4": {"response": "1bd", "resolution": "5bd"},
}
TARGET = re.compile(r"^(\d{1,4})(m|h|bd)$")
UNIT_WORDS = {"m": "min", "h": "h", "bd": "business day"}


def check_target(text: object) -> str:
    """A clean target string, or ValueError saying how to write one."""
    if not isinstance(text, str) or not TARGET.match(text.strip()):
        raise ValueError("write a number and a unit: 15m, 4h or 3bd (business days)")
    value = text.strip()
    amount = int(TARGET.match(value).group(1))
    if amount == 0:
        raise ValueError("a target must be more than zero")
    return value


def describe(target: str) -> str:
    amount, unit = TARGET.match(target).groups()
    if unit == "bd":
        return "next business day" if amount == "1" else f"{amount} business days"
    return f"{amount} {UNIT_WORDS[unit]}"


def due(target: str, start: datetime, zone: str, jurisdiction: str) -> datetime:
    amount, unit = TARGET.match(target).groups()
    if unit == "bd":
        return add_business_days(start, int(amount), zone, jurisdiction)
    return start + timedelta(minutes=int(amount) * (60 if unit == "h" else 1))


def targets_for(severity: str, overrides: dict | None) -> dict[str, str]:
    merged = {**DEFAULT_TARGETS[severity], **((overrides or {}).get(severity) or {})}
    return {clock: merged[clock] for clock in CLOCKS}


@dataclass(frozen=True)
class Clock:
    name: str  # response or resolution
    target: str
    due: datetime
    met_at: datetime | None

    def state(self, now: datetime, near_fraction: float, started: datetime) -> str:
        """running, near (less than `near_fraction` of the window left), breached, met or met_late."""
        if self.met_at is not None:
            return "met" if self.met_at <= self.due else "met_late"
        if now >= self.due:
            return "breached"
        return "near" if self.due - now <= (self.due - started) * near_fraction else "running"

    def next_change(self, now: datetime, near_fraction: float, started: datetime) -> datetime | None:
        """The next moment after `now` this clock turns near or breached; None if it never will now."""
        if self.met_at is not None:
            return None
        near_at = self.due - (self.due - started) * near_fraction
        return next((moment for moment in (near_at, self.due) if moment > now), None)


def clocks(*, severity: str, reported_at: datetime, acknowledged_at: datetime | None,
           resolved_at: datetime | None, zone: str, jurisdiction: str, overrides: dict | None = None) -> list[Clock]:
    targets = targets_for(severity, overrides)
    met = {"response": acknowledged_at, "resolution": resolved_at}
    return [Clock(name, targets[name], due(targets[name], reported_at, zone, jurisdiction), met[name])
            for name in CLOCKS]
