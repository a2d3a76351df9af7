"""The definitions of REFERENCE section 8 as pure functions: the one place each figure is defined.

The metrics API aggregates in the database for speed; these say what every figure means, and the tests
hold the database's answers to them.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

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


# Durations (seconds to acknowledge or to resolve) are kept per day as counts in buckets, so a median over
# a year adds up a few thousand counts instead of sorting a million times: the bucket holding the wanted
# rank is found from the counts, and only that bucket's durations are read to name the exact value.
# Bucket 0 holds durations under DURATION_BOUNDS[0] (negatives too), bucket k those from
# DURATION_BOUNDS[k-1] up to DURATION_BOUNDS[k], the last those from the last bound on: about 25% wide,
# from 10 s to over ten years.
DURATION_BOUNDS: tuple[int, ...] = tuple(sorted({round(10 * 1.25 ** i) for i in range(80)}))
QUANTILES = {"median": (1, 2), "p90": (9, 10)}  # exact fractions: the rank is ⌈q·n⌉ without float error


def duration_bucket(seconds: float) -> int:
    """The bucket a duration falls in (as the database's CASE over DURATION_BOUNDS puts it)."""
    for k, bound in enumerate(DURATION_BOUNDS):
        if seconds < bound:
            return k
    return len(DURATION_BOUNDS)


def bucket_range(bucket: int) -> tuple[int | None, int | None]:
    """The bucket's bounds: (from, inclusive; to, exclusive), None where it is open-ended."""
    low = DURATION_BOUNDS[bucket - 1] if bucket > 0 else None
    high = DURATION_BOUNDS[bucket] if bucket < len(DURATION_BOUNDS) else None
    return low, high


def rank(count: int, quantile: tuple[int, int]) -> int:
    """The nearest rank ⌈q·n⌉ (at least 1) of the quantile q = numerator/denominator among `count`."""
    numerator, denominator = quantile
    return max(1, -(-numerator * count // denominator))


def locate(histogram: dict[int, int], wanted: int) -> tuple[int, int] | None:
    """The bucket holding the `wanted`-th smallest duration (from 1), and how many of that bucket's own
    durations come before it; None when there are fewer durations than that."""
    below = 0
    for bucket in sorted(histogram):
        if below + histogram[bucket] >= wanted:
            return bucket, wanted - below - 1
        below += histogram[bucket]
    return None
