"""JSON API v1 for the learning half: investigation, review, corrective actions, lessons.

Refusals answer as the rest of the API does: 400 with `fields` for bad input, 403 for the wrong person
(an author publishing, an owner verifying), 409 while something blocks the step, 422 otherwise.
"""
from __future__ import annotations

from flask import Blueprint, abort, jsonify, url_for
from flask_login import current_user

from ..auth.models import User
from ..auth.security import any_user_required, staff_required
from ..common.errors import Invalid
from ..common.http import json_api
from ..common.schemas import Problem, declare
from ..database import utcnow
from ..evidence.service import held_evidence
from ..extensions import db
from ..incidents.views import visible_incident
from . import corrective, investigation, lessons, repeats, reviews
from .schemas import (
    ActionIn,
    ActionOut,
    ActionsOut,
    ActionsQuery,
    DoneIn,
    InvestigationIn,
    InvestigationOut,
    LessonsOut,
    LessonsQuery,
    ReviewIn,
    ReviewOut,
    VerifyIn,
)

bp = json_api(Blueprint("learning_api", __name__, url_prefix="/api/v1"))
TAGS = ("Learning",)


def _investigation_json(incident) -> dict:
    body = investigation.to_json(incident)
    category = body["root_cause_category"]
    return {"incident": incident.reference, **body,
            "repeat_of": [i.reference for i in repeats.repeat_of(incident, category, current_user)],
            "may_edit": investigation.may_work_on(current_user, incident)}


@bp.get("/incidents/<reference>/investigation")
@staff_required
@declare(answers={200: InvestigationOut}, tags=TAGS)
def get_investigation(reference: str):
    """The incident's investigation: causes, the 5 Whys, witness statements, and repeats of its cause."""
    return jsonify(_investigation_json(visible_incident(reference)))


@bp.put("/incidents/<reference>/investigation")
@staff_required
@declare(body=InvestigationIn, answers={200: InvestigationOut}, tags=TAGS)
def put_investigation(reference: str, body: InvestigationIn):
    """Change the investigation: the fields sent are changed, the rest stay as they are."""
    incident = visible_incident(reference)
    investigation.save(incident, body.given(), current_user, utcnow())
    db.session.commit()
    return jsonify(_investigation_json(incident))


@bp.get("/incidents/<reference>/review")
@staff_required
@declare(answers={200: ReviewOut}, tags=TAGS)
def get_review(reference: str):
    """The incident's post-incident review, whether it is required, and what it draws on."""
    return jsonify(reviews.to_json(visible_incident(reference), utcnow()))


@bp.put("/incidents/<reference>/review")
@staff_required
@declare(body=ReviewIn, answers={200: ReviewOut, 422: Problem}, tags=TAGS)
def put_review(reference: str, body: ReviewIn):
    """Write the review (the first to write it is its author): the fields sent are changed."""
    incident = visible_incident(reference)
    reviews.save(incident, body.given(), current_user, utcnow())
    db.session.commit()
    return jsonify(reviews.to_json(incident, utcnow()))


@bp.post("/incidents/<reference>/review/submit")
@staff_required
@declare(answers={200: ReviewOut, 422: Problem}, tags=TAGS)
def submit_review(reference: str):
    """Submit the review for approval (it needs its summary)."""
    incident = visible_incident(reference)
    reviews.submit(incident, current_user, utcnow())
    db.session.commit()
    return jsonify(reviews.to_json(incident, utcnow()))


@bp.post("/incidents/<reference>/review/publish")
@staff_required
@declare(answers={200: ReviewOut, 422: Problem}, tags=TAGS)
def publish_review(reference: str):
    """Publish the review: by a supervisor who did not write it; its lessons go to the Lessons library."""
    incident = visible_incident(reference)
    reviews.publish(incident, current_user, utcnow())
    db.session.commit()
    return jsonify(reviews.to_json(incident, utcnow()))


@bp.post("/incidents/<reference>/actions")
@staff_required
@declare(body=ActionIn, answers={201: ActionOut, 422: Problem}, tags=TAGS)
def create_action(reference: str, body: ActionIn):
    """A corrective action for the incident, owned by a person, due by a date at the site."""
    incident = visible_incident(reference)
    action = corrective.create(incident, body.given(), current_user, utcnow())
    db.session.commit()
    response = jsonify(action.to_json(current_user))
    response.status_code = 201
    response.headers["Location"] = url_for("learning_api.get_action", action_id=action.id)
    return response


@bp.get("/actions")
@any_user_required
@declare(query=ActionsQuery, answers={200: ActionsOut}, tags=TAGS)
def list_actions(query: ActionsQuery):
    """The corrective actions the caller may see: `owner=me` or a person's id; `status` open, done or verified."""
    owner = None
    if query.owner == "me":
        owner = current_user
    elif query.owner is not None:
        owner = db.session.get(User, int(query.owner)) if int(query.owner) < 2**31 else None
        if owner is None:
            raise Invalid({"owner": "must be me or a person's id"})
    found = corrective.actions_for(current_user, owner, query.status)
    return jsonify(actions=[a.to_json(current_user) for a in found])


def _action(action_id: int):
    action = corrective.visible_action(action_id, current_user)
    if action is None:
        abort(404)
    return action


@bp.get("/actions/<int:action_id>")
@any_user_required
@declare(answers={200: ActionOut}, tags=TAGS)
def get_action(action_id: int):
    """One corrective action (its owner may read it without seeing the incident)."""
    return jsonify(_action(action_id).to_json(current_user))


@bp.post("/actions/<int:action_id>/done")
@any_user_required
@declare(body=DoneIn, answers={200: ActionOut, 422: Problem}, tags=TAGS)
def complete_action(action_id: int, body: DoneIn):
    """The owner marks it done, saying what was done; photos are uploaded first through /api/v1/photos."""
    action = _action(action_id)
    photos = held_evidence(body.photos or [], current_user)
    corrective.complete(action, body.evidence, photos, current_user, utcnow())
    db.session.commit()
    return jsonify(action.to_json(current_user))


@bp.post("/actions/<int:action_id>/verify")
@staff_required
@declare(body=VerifyIn, answers={200: ActionOut, 422: Problem}, tags=TAGS)
def verify_action(action_id: int, body: VerifyIn):
    """Someone other than the owner verifies it works, or returns it to open saying why."""
    action = _action(action_id)
    corrective.verify(action, body.effective, body.note, current_user, utcnow())
    db.session.commit()
    return jsonify(action.to_json(current_user))


@bp.get("/lessons")
@any_user_required
@declare(query=LessonsQuery, answers={200: LessonsOut}, tags=TAGS)
def list_lessons(query: LessonsQuery):
    """The Lessons library: `q` searches, `site` and `category` filter."""
    found = lessons.library(current_user, query.q, query.site, query.category)

    def shown(lesson) -> dict:
        readable = lesson.incident.can_view(current_user)  # a lesson sent to a site may come from one they cannot see
        return {"id": lesson.id, "text": lesson.text, "incident": lesson.incident.reference if readable else None,
                "site": lesson.incident.site.code if readable else None,
                "categories": lesson.incident.categories if readable else [],
                "published_at": lesson.published_at.isoformat()}
    return jsonify(lessons=[shown(lesson) for lesson in found])
