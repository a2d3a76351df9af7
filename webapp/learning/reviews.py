"""The post-incident review: created when required (or on demand), written blamelessly, submitted,
published by a supervisor who is not its author, and what it means for closing the incident."""
from __future__ import annotations

from datetime import datetime

from ..auth.models import User
from ..common.errors import ActionRefused, NotYours
from ..extensions import db
from ..incidents.lifecycle import STATUS_LABELS
from ..incidents.models import Incident, TimelineEntry
from ..rules import learning as rules
from .investigation import investigation_of, may_work_on, statements_of
from .models import CorrectiveAction, Lesson, Review

# The timeline entries a review's excerpt starts from: what happened, not the machinery around it.
EXCERPT_KINDS = ("reported", "acknowledged", "on_my_way", "on_scene", "status", "severity", "major", "role", "note",
                 "answers", "aware_at", "update", "repeat")
CAUSE_FIELDS = ("whys", "immediate_causes", "underlying_causes", "root_cause", "what_went_poorly")


def required_reason(incident: Incident, now: datetime) -> str | None:
    if incident.status == "cancelled":  # a cancelled incident needs no review
        return None
    return rules.review_required(incident.severity, incident.major_at is not None, incident.high_potential,
                                 incident.reported_at, incident.resolved_at, now)


def due_for(incident: Incident) -> datetime | None:
    return rules.review_due(incident.severity, incident.resolved_at, incident.site.timezone,
                            incident.site.jurisdiction)


def review_of(incident: Incident) -> Review | None:
    return db.session.scalar(db.select(Review).filter_by(incident_id=incident.id))


def actions_of(incident: Incident) -> list[CorrectiveAction]:
    return list(db.session.scalars(db.select(CorrectiveAction).filter_by(incident_id=incident.id)
                                   .order_by(CorrectiveAction.id)))


def _create(incident: Incident, reason: str | None, actor: User | None, now: datetime) -> Review:
    review = Review(incident_id=incident.id, status="draft", required_reason=reason, author=None, created_at=now,
                    lessons=[], editor_ids=[], due_at=due_for(incident))
    db.session.add(review)
    text = f"Post-incident review required: {reason}" if reason else f"Post-incident review started by {actor.name}"
    incident.record("review", text, actor, required=reason)
    return review


def sync(incident: Incident, now: datetime) -> None:
    """Keep the review in step with the incident: created once it is required (a P1, a major or
    high-potential incident, a P2 that lasted over 2 h), its due date following the resolution time."""
    if incident.status == "cancelled":
        return
    reason = required_reason(incident, now)
    review = review_of(incident)
    if review is None:
        if reason:
            _create(incident, reason, None, now)  # the rules made it, not whoever changed the incident
        return
    if review.required_reason != reason:  # required now, or no longer (a correction took it away)
        review.required_reason, review.check_at = reason, None
    due = due_for(incident)
    if review.status != "published" and due != review.due_at:
        review.due_at, review.check_at = due, None  # the worker looks again


def start(incident: Incident, actor: User, now: datetime) -> Review:
    """A review on demand (one that is not required still helps)."""
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders write its review")
    review = review_of(incident)
    if review is not None:
        return review
    review = _create(incident, required_reason(incident, now), actor, now)
    review.author = actor
    return review


def _editable(incident: Incident, actor: User, writing: bool = False) -> Review:
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders write its review")
    review = review_of(incident)
    if review is None:
        raise ActionRefused("There is no review yet: start one first")
    if review.status == "published":
        raise ActionRefused("The review is published and can no longer be changed")
    if writing and review.status == "in_review":
        raise ActionRefused("The review is waiting for approval: the approver publishes it or sends it back "
                            "with what to change, and it is edited then")
    return review


def save(incident: Incident, raw: object, actor: User, now: datetime) -> Review:
    """Save what was sent; the first person to write the review is its author (writing one that does
    not exist yet starts it)."""
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders write its review")
    changes = rules.validate_review(raw)
    if review_of(incident) is None:
        if not changes:
            raise ActionRefused("Send the review's text to start it")
        start(incident, actor, now)
    review = _editable(incident, actor, writing=True)
    changed = [k for k, v in changes.items() if getattr(review, k) != v]
    if review.author_id is None:
        review.author = actor
    for key in changed:
        setattr(review, key, changes[key])
    if changed and actor.id not in review.editor_ids:
        review.editor_ids = [*review.editor_ids, actor.id]  # a new list: the JSON column sees the change
    if changed:
        incident.record("review", f"Review edited by {actor.name}: {', '.join(k.replace('_', ' ') for k in changed)}",
                        actor, fields=changed)
    return review


def submit(incident: Incident, actor: User, now: datetime) -> Review:
    review = _editable(incident, actor)
    if review.status != "draft":
        raise ActionRefused("The review is already waiting for approval")
    if not review.summary.strip():
        raise ActionRefused("Write the summary before submitting the review")
    if review.author_id is None:
        review.author = actor
    review.status, review.submitted_at, review.sent_back_reason = "in_review", now, None
    incident.record("review", f"Review submitted for approval by {actor.name}", actor, status="in_review")
    return review


def send_back(incident: Incident, reason: str | None, actor: User, now: datetime) -> Review:
    """A reviewer returns it to the author with what to change."""
    review = _editable(incident, actor)
    reason = (reason or "").strip()
    if review.status != "in_review":
        raise ActionRefused("Only a review waiting for approval can be sent back")
    if not reason or len(reason) > 1000:
        raise ActionRefused("Say what to change (up to 1000 characters)")
    review.status, review.sent_back_reason = "draft", f"{actor.name}: {reason}"
    incident.record("review", f"Review sent back to draft by {actor.name}: {reason}", actor, status="draft",
                    reason=reason)
    return review


def publish(incident: Incident, actor: User, now: datetime) -> Review:
    """Published by a supervisor who is not the author; its lessons go to the Lessons library."""
    review = _editable(incident, actor)
    if review.status != "in_review":
        raise ActionRefused("Submit the review for approval before publishing it")
    if not actor.is_supervisor:
        raise NotYours("Only a supervisor can publish a review")
    if review.author_id == actor.id or actor.id in (review.editor_ids or []):
        raise NotYours("You wrote this review: another supervisor must approve and publish it")
    review.status, review.published_at, review.published_by = "published", now, actor
    review.check_at = None
    for text in review.lessons:
        db.session.add(Lesson(review_id=review.id, incident_id=incident.id, text=text, published_at=now))
    incident.record("review", f"Review published by {actor.name} (written by "
                    f"{review.author.name if review.author else 'nobody named'})", actor, status="published")
    return review


def excerpt(incident: Incident) -> list[dict]:
    """The review's timeline: the edited excerpt, else drawn from the incident's own timeline."""
    review = review_of(incident)
    if review is not None and review.timeline is not None:
        return list(review.timeline)
    entries: list[TimelineEntry] = [e for e in incident.timeline if e.what in EXCERPT_KINDS]
    return [{"at": e.at.isoformat(), "text": e.summary} for e in entries]


def people_named(incident: Incident) -> list[str]:
    """Names a blameless review's causes should not carry: the people on the incident and its witnesses."""
    people = [incident.reporter, incident.commander, incident.comms_lead, incident.tech_lead]
    names = [p.name for p in people if p is not None]
    names += [s.name for s in statements_of(incident)]
    names += [a.owner.name for a in actions_of(incident)]
    return names


def hints(incident: Incident, review: Review | None) -> list[rules.Hint]:
    investigation = investigation_of(incident)
    texts = {}
    if review is not None:
        texts.update({k: getattr(review, k) for k in rules.REVIEW_TEXTS})
        texts["lessons"] = "\n".join(review.lessons)
    if investigation is not None:
        texts.update({key: "\n".join(getattr(investigation, key))
                      for key in ("whys", "immediate_causes", "underlying_causes")})
        texts["root_cause"] = investigation.root_cause
    return rules.wording_hints(texts, people_named(incident), CAUSE_FIELDS)


def blockers(incident: Incident, now: datetime) -> list[str]:
    """What stops the incident closing. A cancelled one needs neither review nor actions."""
    if incident.status == "cancelled":
        return []
    review = review_of(incident)
    states = [rules.ActionState(a.title, a.status) for a in actions_of(incident)]
    return rules.closing_blockers(required_reason(incident, now), review.status if review else None, states)


def to_json(incident: Incident, now: datetime) -> dict:
    review = review_of(incident)
    reason = required_reason(incident, now)
    investigation = investigation_of(incident)
    actions = actions_of(incident)
    fields = {k: (getattr(review, k) if review else "") for k in rules.REVIEW_TEXTS}
    return {
        "incident": incident.reference, "status": review.status if review else None, "required": reason is not None,
        "required_reason": reason, "due": review.due_at.isoformat() if review and review.due_at else None,
        "author": review.author.email if review and review.author else None,
        **fields, "lessons": list(review.lessons) if review else [],
        "timeline": excerpt(incident),
        "causes": {k: v for k, v in (investigation.to_json() if investigation else {}).items()
                   if k in ("immediate_causes", "underlying_causes", "root_cause", "root_cause_category",
                            "contributing_factors")},
        "actions": [{"id": a.id, "title": a.title, "status": a.status, "control": a.control} for a in actions],
        "weak_controls": rules.relies_on_weak_controls(a.control for a in actions),
        "wording_hints": [h.to_json() for h in hints(incident, review)],
        "submitted_at": review.submitted_at.isoformat() if review and review.submitted_at else None,
        "published_at": review.published_at.isoformat() if review and review.published_at else None,
        "published_by": review.published_by.email if review and review.published_by else None,
        "incident_status": STATUS_LABELS[incident.status],
    }
