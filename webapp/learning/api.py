"""JSON API v1 for the learning half: investigation, review, corrective actions, lessons.

Refusals answer as the rest of the API does: 400 with `fields` for bad input, 403 for the wrong person
(an author publishing, an owner verifying), 409 while something blocks the step, 422 otherwise.
"""
from __future__ import annotations

import re

from flask import Blueprint, abort, jsonify, request, url_for
from flask_login import current_user

from ..auth.models import User
from ..auth.security import any_user_required, staff_required
from ..common.errors import Invalid
from ..common.http import json_api, json_body
from ..database import utcnow
from ..evidence.service import held_evidence
from ..extensions import db
from ..incidents.views import visible_incident
from ..rules.classification import CATEGORIES
from ..rules.learning import ACTION_STATES
from . import corrective, investigation, lessons, repeats, reviews

bp = json_api(Blueprint("learning_api", __name__, url_prefix="/api/v1"))


def _investigation_json(incident) -> dict:
    body = investigation.to_json(incident)
    category = body["root_cause_category"]
    return {"incident": incident.reference, **body,
            "repeat_of": [i.reference for i in repeats.repeat_of(incident, category, current_user)],
            "may_edit": investigation.may_work_on(current_user, incident)}


@bp.get("/incidents/<reference>/investigation")
@staff_required
def get_investigation(reference: str):
    return jsonify(_investigation_json(visible_incident(reference)))


@bp.put("/incidents/<reference>/investigation")
@staff_required
def put_investigation(reference: str):
    incident = visible_incident(reference)
    investigation.save(incident, json_body(), current_user, utcnow())
    db.session.commit()
    return jsonify(_investigation_json(incident))


@bp.get("/incidents/<reference>/review")
@staff_required
def get_review(reference: str):
    return jsonify(reviews.to_json(visible_incident(reference), utcnow()))


@bp.put("/incidents/<reference>/review")
@staff_required
def put_review(reference: str):
    incident = visible_incident(reference)
    reviews.save(incident, json_body(), current_user, utcnow())
    db.session.commit()
    return jsonify(reviews.to_json(incident, utcnow()))


@bp.post("/incidents/<reference>/review/submit")
@staff_required
def submit_review(reference: str):
    incident = visible_incident(reference)
    reviews.submit(incident, current_user, utcnow())
    db.session.commit()
    return jsonify(reviews.to_json(incident, utcnow()))


@bp.post("/incidents/<reference>/review/publish")
@staff_required
def publish_review(reference: str):
    incident = visible_incident(reference)
    reviews.publish(incident, current_user, utcnow())
    db.session.commit()
    return jsonify(reviews.to_json(incident, utcnow()))


@bp.post("/incidents/<reference>/actions")
@staff_required
def create_action(reference: str):
    incident = visible_incident(reference)
    action = corrective.create(incident, json_body(), current_user, utcnow())
    db.session.commit()
    response = jsonify(action.to_json(current_user))
    response.status_code = 201
    response.headers["Location"] = url_for("learning_api.get_action", action_id=action.id)
    return response


@bp.get("/actions")
@any_user_required
def list_actions():
    """`owner=me` or a person's id; `status` one of open, done, verified."""
    args = request.args
    errors = {k: "is not a filter (use owner, status)" for k in args if k not in ("owner", "status")}
    owner = None
    if args.get("owner") == "me":
        owner = current_user
    elif args.get("owner"):
        digits = re.fullmatch(r"[0-9]{1,10}", args["owner"])
        owner = db.session.get(User, int(args["owner"])) if digits and int(args["owner"]) < 2**31 else None
        if owner is None:
            errors["owner"] = "must be me or a person's id"
    if args.get("status") and args["status"] not in ACTION_STATES:
        errors["status"] = f"must be one of: {', '.join(ACTION_STATES)}"
    if errors:
        raise Invalid(errors)
    found = corrective.actions_for(current_user, owner, args.get("status"))
    return jsonify(actions=[a.to_json(current_user) for a in found])


def _action(action_id: int):
    action = corrective.visible_action(action_id, current_user)
    if action is None:
        abort(404)
    return action


@bp.get("/actions/<int:action_id>")
@any_user_required
def get_action(action_id: int):
    return jsonify(_action(action_id).to_json(current_user))


@bp.post("/actions/<int:action_id>/done")
@any_user_required
def complete_action(action_id: int):
    """`{"evidence": "...", "photos": [sha256, ...]}`: photos uploaded first through /api/v1/photos."""
    action = _action(action_id)
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"evidence", "photos"}:
        raise Invalid({"": "send {evidence, photos}"})
    hashes = body.get("photos") or []
    if not isinstance(hashes, list) or not all(isinstance(h, str) for h in hashes):
        raise Invalid({"photos": "must be a list of SHA-256 hashes"})
    corrective.complete(action, body.get("evidence"), held_evidence(hashes, current_user), current_user, utcnow())
    db.session.commit()
    return jsonify(action.to_json(current_user))


@bp.post("/actions/<int:action_id>/verify")
@staff_required
def verify_action(action_id: int):
    action = _action(action_id)
    body = json_body()
    if not isinstance(body, dict) or set(body) - {"effective", "note"}:
        raise Invalid({"": "send {effective, note}"})
    if "effective" not in body:
        raise Invalid({"effective": "is required (true or false)"})
    corrective.verify(action, body["effective"], body.get("note"), current_user, utcnow())
    db.session.commit()
    return jsonify(action.to_json(current_user))


@bp.get("/lessons")
@any_user_required
def list_lessons():
    """The Lessons library: `q` searches, `site` and `category` filter."""
    args = request.args
    errors = {k: "is not a filter (use q, site, category)" for k in args if k not in ("q", "site", "category")}
    if args.get("category") and args["category"] not in CATEGORIES:
        errors["category"] = f"must be one of: {', '.join(CATEGORIES)}"
    if len(args.get("q", "")) > 200:
        errors["q"] = "must be at most 200 characters"
    if errors:
        raise Invalid(errors)
    found = lessons.library(current_user, args.get("q", ""), args.get("site") or None, args.get("category") or None)
    def shown(lesson) -> dict:
        readable = lesson.incident.can_view(current_user)  # a lesson sent to a site may come from one they cannot see
        return {"id": lesson.id, "text": lesson.text, "incident": lesson.incident.reference if readable else None,
                "site": lesson.incident.site.code if readable else None,
                "categories": lesson.incident.categories if readable else [],
                "published_at": lesson.published_at.isoformat()}
    return jsonify(lessons=[shown(lesson) for lesson in found])
