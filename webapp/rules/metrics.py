"""The definitions of REFERENCE section 8 as pure functions: the one place each figure is defined.

The metrics API aggregates in the database for speed; these say what every figure means, and the tests
hold the database's answers to them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterable

NOT_COUNTED = "public"  # members of the public never count; a worker or contractor does, as does an
# injury whose person was not said (the notifiable-injury rules read it as a worker's too)
RECORDABLE_TREATMENTS = ("medical", "emergency_discharged", "hospital_admitted")
MILLION_HOURS = 1_000_000  # Safe Work Australia's convention (OSHA's TRIR uses 200,000)


def nearest_rank(ordered: list[float], fraction: float) -> float | None:
    """The ⌈fraction·n⌉-th smallest of `ordered` (sorted ascending); None for none."""
    if not ordered:
        return None
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    count: int
    median: float | None
    p90: float | None
    mean: float | None

    def to_json(self) -> dict:
        return {"count": self.count, "median": self.median, "p90": self.p90, "mean": self.mean}


def summarise(durations: Iterable[float]) -> Summary:
    """Count, median and 90th percentile (both by nearest rank) and mean; None where there is nothing."""
    ordered = sorted(durations)
    if not ordered:
        return Summary(0, None, None, None)
    return Summary(len(ordered), nearest_rank(ordered, 0.5), nearest_rank(ordered, 0.9), sum(ordered) / len(ordered))


def clock_outcome(due: datetime, met_at: datetime | None, now: datetime) -> str | None:
    """An SLA clock: `met` (by its target), `breached` (not by it, and the target has passed), or None
    while it is still running."""
    if met_at is not None:
        return "met" if met_at <= due else "breached"
    return "breached" if now > due else None


def deadline_outcome(deadline: datetime | None, done_at: datetime | None, now: datetime) -> str | None:
    """A notification step: `on_time` (done by its deadline), `late` (done after it, or still open past
    it), or None (no deadline, or open and not yet due)."""
    if deadline is None:
        return None
    if done_at is not None:
        return "on_time" if done_at <= deadline else "late"
    return "late" if now > deadline else None


def action_outcome(due: datetime, done_at: datetime | None, now: datetime) -> str | None:
    """A corrective action: `on_time` (done by its due date), `late` (done after it), `open_overdue`
    (not done and past it), or None (open, not yet due)."""
    if done_at is not None:
        return "on_time" if done_at <= due else "late"
    return "open_overdue" if now > due else None


def injury_kind(answers: dict[str, Any]) -> str | None:
    """`lost_time`, `recordable` (which includes lost-time ones), or None: never a member of the public's."""
    if "injury" not in answers.get("what_happened", []) or answers.get("injured_person") == NOT_COUNTED:
        return None
    if (answers.get("days_unfit_for_work") or 0) >= 1 or answers.get("treatment") == "fatality":
        return "lost_time"
    if answers.get("treatment") in RECORDABLE_TREATMENTS:
        return "recordable"
    return None


def frequency_rate(injuries: int, hours: float | None) -> float | None:
    """Injuries per million hours worked; None when no hours are known (never infinite)."""
    if not hours:
        return None
    return injuries * MILLION_HOURS / hours


def months_overlapping(first: date, last: date) -> list[tuple[int, int]]:
    """Every calendar month (year, month) that the period first..last (inclusive) touches."""
    if last < first:
        return []
    months, year, month = [], first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append((year, month))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months
