"""The learning half of the lifecycle (REFERENCE section 7): investigation, the blameless post-incident
review, corrective actions verified to closure, repeat causes, and lessons shared with a site.

It follows incidents through their hooks: a review is created once one is required and its due date
follows the resolution time; closing waits for it; the incident page shows it all; and the worker
pages reviews nearly due or missed and actions overdue.
"""
from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_login import current_user

from ..incidents import hooks
from ..incidents.models import Incident
from ..notify.worker import Job, register
from . import investigation, lessons, repeats, reviews
from .paging import next_check, page_due, recheck_all


def _reported(incident: Incident, actor, now: datetime) -> None:
    reviews.sync(incident, now)


def _changed(incident: Incident, change: hooks.Change) -> None:
    reviews.sync(incident, change.now)


def _moved(incident: Incident, move: hooks.Move) -> None:
    reviews.sync(incident, move.now)


def _detail(incident: Incident, viewer, now: datetime) -> dict:
    if not viewer.is_staff:
        return {"learning": None}
    found = investigation.investigation_of(incident)
    category = found.root_cause_category if found else None
    review = reviews.review_of(incident)
    actions = reviews.actions_of(incident)
    required = reviews.required_reason(incident, now)
    return {"learning": {
        "may_work_on": investigation.may_work_on(viewer, incident),
        "investigation": found,
        "review": review,
        "required": required,
        "due": review.due_at if review else reviews.due_for(incident),
        "actions": actions,
        "weak_controls": reviews.rules.relies_on_weak_controls(a.control for a in actions),
        "repeats": repeats.describe(incident, repeats.repeat_of(incident, category, viewer)),
        # what reviews.blockers would read again, from what is read above
        "blocking": reviews.rules.closing_blockers(required, review.status if review else None,
                                                   [reviews.rules.ActionState(a.title, a.status) for a in actions])
        if incident.is_open else [],
    }}


def summary(incident: Incident, now: datetime, viewer) -> dict:
    """What the incident's API answer says of its learning half (to staff: a reporter reads the report)."""
    if not viewer.is_staff:
        return {"review": None, "actions": [], "repeat_of": [], "high_potential": incident.high_potential}
    review = reviews.review_of(incident)
    found = investigation.investigation_of(incident)
    return {
        "review": {"status": review.status if review else None,
                   "required": reviews.required_reason(incident, now) is not None,
                   "due": review.due_at.isoformat() if review and review.due_at else None},
        "actions": [{"id": a.id, "title": a.title, "status": a.status, "due": a.due_date.isoformat()}
                    for a in reviews.actions_of(incident)],
        "repeat_of": [i.reference for i in repeats.repeat_of(incident, found.root_cause_category if found else None,
                                                             viewer)],
        "high_potential": incident.high_potential,
    }


def _unread_lessons() -> dict:
    """Every page shows the lessons sent to the person's site that they have not read yet."""
    if not current_user or not current_user.is_authenticated:
        return {"unread_lessons": []}
    return {"unread_lessons": lessons.unread_for(current_user)}


def init_app(app: Flask) -> None:
    registry = hooks.hooks(app)
    registry.reported.append(_reported)
    registry.changed.append(_changed)
    registry.moved.append(_moved)
    registry.closing.append(reviews.blockers)
    registry.detail.append(_detail)
    app.context_processor(_unread_lessons)
    register(app, Job("reviews and actions", page_due, next_check, order=40, on_start=recheck_all))

