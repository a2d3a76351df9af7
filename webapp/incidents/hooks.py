"""What features plug into an incident, so that `incidents` never imports them.

Features below the views (obligations, SLA clocks, communications, alerts) follow an incident and add
to its pages. Each registers here from its own `init_app`, in the order the app factory calls them:

- `reported(incident, actor, now)`: a new incident, in the transaction that files it (its obligations,
  a P1 made a major incident);
- `changed(incident, change)`: its facts changed (severity, answers, the aware time), in the same
  transaction (obligations recomputed, clocks recounted, the update cadence followed);
- `moved(incident, move)`: its status changed (a review's due date follows the resolution time);
- `closing(incident, now) -> [str]`: what stops it being closed, in words (empty: nothing);
- `detail(incident, viewer, now) -> dict`: what the incident page shows of the feature;
- `queue(incidents, viewer, now) -> QueueFacts`: what the queue shows of it for each row, and each
  row's nearest deadline (the queue leads with the soonest);
- `queue_first(now) -> SQL condition`: rows a long queue must never hide (taken first).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from ..auth.models import User
from .models import Incident


@dataclass(frozen=True)
class Change:
    """A change to an incident's facts: why (in words, for the timeline), by whom, and whether the
    severity moved (clocks and the update cadence follow only that)."""

    why: str
    actor: User | None
    now: datetime
    severity_changed: bool = False


@dataclass(frozen=True)
class Move:
    """A status change: from, to, by whom and when."""

    source: str
    target: str
    actor: User | None
    now: datetime


@dataclass
class QueueFacts:
    context: dict[str, Any] = field(default_factory=dict)  # merged into the queue template's context
    deadlines: dict[int, datetime] = field(default_factory=dict)  # incident id -> nearest deadline


@dataclass
class Hooks:
    reported: list[Callable[[Incident, User | None, datetime], None]] = field(default_factory=list)
    changed: list[Callable[[Incident, Change], None]] = field(default_factory=list)
    moved: list[Callable[[Incident, Move], None]] = field(default_factory=list)
    closing: list[Callable[[Incident, datetime], list[str]]] = field(default_factory=list)
    detail: list[Callable[[Incident, User, datetime], dict]] = field(default_factory=list)
    queue: list[Callable[[list[Incident], User, datetime], QueueFacts]] = field(default_factory=list)
    queue_first: list[Callable[[datetime], Any]] = field(default_factory=list)


def hooks(app: Flask | None = None) -> Hooks:
    """This app's registry (each app has its own, so tests' apps never share registrations)."""
    return (app or current_app).extensions.setdefault("incident_hooks", Hooks())


def reported(incident: Incident, actor: User | None, now: datetime) -> None:
    for follow in hooks().reported:
        follow(incident, actor, now)


def changed(incident: Incident, change: Change) -> None:
    for follow in hooks().changed:
        follow(incident, change)


def moved(incident: Incident, move: Move) -> None:
    for follow in hooks().moved:
        follow(incident, move)


def closing_blockers(incident: Incident, now: datetime) -> list[str]:
    return [reason for check in hooks().closing for reason in check(incident, now)]


def detail_context(incident: Incident, viewer: User, now: datetime) -> dict:
    context: dict = {}
    for provide in hooks().detail:
        context.update(provide(incident, viewer, now))
    return context


def queue_facts(incidents: list[Incident], viewer: User, now: datetime) -> QueueFacts:
    merged = QueueFacts()
    for provide in hooks().queue:
        facts = provide(incidents, viewer, now)
        merged.context.update(facts.context)
        for incident_id, deadline in facts.deadlines.items():
            if incident_id not in merged.deadlines or deadline < merged.deadlines[incident_id]:
                merged.deadlines[incident_id] = deadline
    return merged


def queue_first(now: datetime) -> list:
    return [condition(now) for condition in hooks().queue_first]
