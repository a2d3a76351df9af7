"""SLA clocks: response and resolution targets per severity, shown on the incident and in the queue,
recounted when the severity changes, and paged when near and when breached."""
from __future__ import annotations

from datetime import datetime

from flask import Flask

from ..incidents import hooks
from ..incidents.models import Incident
from ..notify.worker import Job, register
from ..organisation.models import Organisation
from .service import (
    clock_view,
    nearest_deadline,
    next_clock_check,
    page_clocks,
    record_severity_change,
    start_clocks,
)


def _changed(incident: Incident, change: hooks.Change) -> None:
    if change.severity_changed:
        record_severity_change(incident, change.actor)


def _detail(incident: Incident, viewer, now: datetime) -> dict:
    return {"clocks": clock_view(incident, now) if viewer.is_staff else []}


def _queue(incidents: list[Incident], viewer, now: datetime) -> hooks.QueueFacts:
    overrides = Organisation.current().sla_targets  # read once for the whole list
    clocks = {i.id: clock_view(i, now, overrides) for i in incidents}
    deadlines = {i.id: nearest_deadline(clocks[i.id]) for i in incidents if i.is_open}
    return hooks.QueueFacts(context={"clocks": clocks},
                            deadlines={k: v for k, v in deadlines.items() if v is not None})


def init_app(app: Flask) -> None:
    registry = hooks.hooks(app)
    registry.changed.append(_changed)
    registry.detail.append(_detail)
    registry.queue.append(_queue)
    register(app, Job("clocks", page_clocks, next_clock_check, order=40, on_start=start_clocks))
