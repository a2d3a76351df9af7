"""Regulatory obligations: which regulators must be told what by when, kept in step with the incident's
facts, shown on its page and in the queue, and paged when nearly due and overdue."""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import Flask

from ..extensions import db
from ..incidents import hooks
from ..incidents.models import Incident
from ..notify.worker import Job, register
from .models import Obligation
from .paging import next_deadline_check, page_deadlines, recheck_all_deadlines
from .service import nearest_open, obligations_of, preserve_site_pending, sync

REGULATOR_SOON = timedelta(hours=24)  # a queue never hides an incident whose regulator is due this soon


def _reported(incident: Incident, actor, now: datetime) -> None:
    sync(incident)  # in the same transaction: an incident never lacks its obligations


def _changed(incident: Incident, change: hooks.Change) -> None:
    sync(incident, change.why, change.actor)


def _detail(incident: Incident, viewer, now: datetime) -> dict:
    steps = obligations_of(incident)
    return {"obligations": steps if viewer.is_staff else [], "preserve": preserve_site_pending(incident, steps)}


def _queue(incidents: list[Incident], viewer, now: datetime) -> hooks.QueueFacts:
    regulatory = nearest_open([i.id for i in incidents if i.is_open])
    return hooks.QueueFacts(context={"regulatory": regulatory},
                            deadlines={incident_id: step.deadline for incident_id, step in regulatory.items()})


def _regulator_soon(now: datetime):
    return db.select(Obligation.id).where(
        Obligation.incident_id == Incident.id, Obligation.status == "due", Obligation.waiting_for.is_(None),
        Obligation.deadline <= now + REGULATOR_SOON).exists()


def init_app(app: Flask) -> None:
    registry = hooks.hooks(app)
    registry.reported.append(_reported)
    registry.changed.append(_changed)
    registry.detail.append(_detail)
    registry.queue.append(_queue)
    registry.queue_first.append(_regulator_soon)
    register(app, Job("deadlines", page_deadlines, next_deadline_check, order=30, on_start=recheck_all_deadlines))
