"""The incident lifecycle (REFERENCE section 1) as pure functions."""
from __future__ import annotations

from dataclasses import dataclass

STATUSES = ("reported", "triaged", "investigating", "contained", "resolved", "recovered", "in_review",
            "closed")
CANCELLED = "cancelled"
ALL_STATUSES = STATUSES + (CANCELLED,)
OPEN_STATUSES = STATUSES[:-1]
STATUS_LABELS = {
    "reported": "Reported", "triaged": "Triaged", "investigating": "Investigating",
    "contained": "Contained", "resolved": "Resolved", "recovered": "Recovered",
    "in_review": "In review", "closed": "Closed", "cancelled": "Cancelled",
}
# The timestamp each status sets when reached; moving back before it clears it.
STATUS_TIMESTAMPS = {"resolved": "resolved_at", "recovered": "recovered_at", "closed": "closed_at"}


class TransitionRefused(ValueError):
    """A status change that the lifecycle does not allow as asked."""


@dataclass(frozen=True)
class Transition:
    source: str
    target: str
    kind: str  # forward, reopen or cancel
    reason: str | None

    def describe(self) -> str:
        """The change in words, for the timeline."""
        verb = {"forward": "Status changed", "reopen": "Reopened", "cancel": "Cancelled"}[self.kind]
        text = f"{verb}: {STATUS_LABELS[self.source]} → {STATUS_LABELS[self.target]}"
        return f"{text} ({self.reason})" if self.reason else text


def plan_transition(source: str, target: str, reason: str | None = None) -> Transition:
    """Check a status change: forward steps may skip; going back (a reopen) and cancelling need a reason."""
    reason = (reason or "").strip() or None
    if target not in ALL_STATUSES:
        raise TransitionRefused(f"unknown status {target!r}")
    if target == source:
        raise TransitionRefused(f"the incident is already {STATUS_LABELS[source].lower()}")
    if target == CANCELLED:
        kind = "cancel"
    elif source == CANCELLED or STATUSES.index(target) < STATUSES.index(source):
        kind = "reopen"
    else:
        kind = "forward"
    if kind != "forward" and not reason:
        what = "Cancelling" if kind == "cancel" else "Moving an incident back (reopening)"
        raise TransitionRefused(f"{what} needs a reason")
    return Transition(source, target, kind, reason)


def cleared_timestamps(target: str) -> list[str]:
    """Timestamps to clear when an incident moves back to `target`."""
    if target == CANCELLED:
        return []
    position = STATUSES.index(target)
    return [field for status, field in STATUS_TIMESTAMPS.items() if STATUSES.index(status) > position]


def allowed_targets(source: str) -> list[str]:
    """Every status an incident may be moved to from `source` (some need a reason)."""
    return [s for s in ALL_STATUSES if s != source]
