"""Corrective actions: created from the review or the incident, done by their owner with evidence,
verified by someone else (or returned to open with a reason). Every step goes on the incident's timeline."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import joinedload, selectinload

from ..auth.models import User
from ..common.errors import ActionRefused, Invalid, NotYours
from ..evidence.models import Evidence
from ..evidence.service import attach
from ..extensions import db
from ..incidents.models import Incident
from ..rules.learning import MAX_TEXT, validate_action
from .investigation import may_work_on
from .models import ActionPhoto, CorrectiveAction


def site_today(incident: Incident, now: datetime) -> date:
    return now.astimezone(ZoneInfo(incident.site.timezone)).date()


def end_of(day: date, incident: Incident) -> datetime:
    """The end of `day` at the incident's site (its local midnight), in UTC: when the action is overdue."""
    tz = ZoneInfo(incident.site.timezone)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(ZoneInfo("UTC"))


def _owner(owner_id: int) -> User:
    owner = db.session.get(User, owner_id)
    if owner is None or not owner.active:
        raise Invalid({"owner_id": "is not an active person in this organisation"}, status=422)
    return owner


def create(incident: Incident, raw: object, actor: User, now: datetime, from_review: bool = False) -> CorrectiveAction:
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders create its corrective actions")
    if incident.status == "cancelled":
        raise ActionRefused(f"{incident.reference} is cancelled: it needs no corrective actions")
    clean = validate_action(raw, site_today(incident, now))
    owner = _owner(clean.pop("owner_id"))
    action = CorrectiveAction(incident_id=incident.id, owner=owner, created_by=actor, created_at=now, status="open",
                              from_review=from_review, due_at=end_of(clean["due_date"], incident),
                              completion_criteria=clean.pop("completion_criteria", ""), **clean)
    db.session.add(action)
    db.session.flush()
    incident.record("action", f"Corrective action created by {actor.name}: “{action.title}” for {owner.name}, "
                    f"due {action.due_date:%d %b %Y} ({action.control})", actor, action=action.id)
    return action


def edit(action: CorrectiveAction, raw: object, actor: User, now: datetime) -> list[str]:
    """Change an open action's owner, due date, priority, control, criteria or ticket link."""
    incident = action.incident
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders change corrective actions")
    if action.status != "open":
        raise ActionRefused("Only an open action can be changed")
    if isinstance(raw, dict):  # what is unchanged is not checked again (the date may be past, the owner gone)
        raw = {k: v for k, v in raw.items()
               if not (k == "due_date" and v == action.due_date.isoformat())
               and not (k == "owner_id" and str(v) == str(action.owner_id))}
    clean = validate_action(raw, site_today(incident, now), partial=True)
    if "owner_id" in clean:
        clean["owner"] = _owner(clean.pop("owner_id"))
    changed = [k for k, v in clean.items() if getattr(action, k) != v]
    for key in changed:
        setattr(action, key, clean[key])
    if "due_date" in changed:
        action.due_at = end_of(action.due_date, incident)
    if {"due_date", "owner"} & set(changed):  # a new date or a new owner: reminders start afresh
        action.check_at = action.overdue_paged_for = action.escalated_for = None
        action.returned_at = now
    if changed:
        incident.record("action", f"Action “{action.title}” changed by {actor.name}: "
                        + ", ".join(k.replace("_", " ") for k in changed), actor, action=action.id, fields=changed)
    return changed


def visible_action(action_id: int, viewer: User) -> CorrectiveAction | None:
    """The action, if the viewer owns it or may see its incident."""
    action = db.session.get(CorrectiveAction, action_id)
    if action is None or not (action.owner_id == viewer.id or action.incident.can_view(viewer)):
        return None
    return action


def may_complete(action: CorrectiveAction, actor: User) -> None:
    """Refuse anyone but the owner, and an action that is not open (checked before photos are kept)."""
    if action.owner_id != actor.id:
        raise NotYours(f"Only the action's owner ({action.owner.name}) can mark it done")
    if action.status != "open":
        raise ActionRefused(f"The action is already {action.status}")


def complete(action: CorrectiveAction, evidence: str | None, photos: list[Evidence], actor: User,
             now: datetime) -> None:
    """The owner marks it done, saying (and showing) what was done."""
    may_complete(action, actor)
    text = (evidence or "").strip() if isinstance(evidence, str) or evidence is None else None
    if text is None:
        raise Invalid({"evidence": "must be text"})
    if not text and not photos:
        raise Invalid({"evidence": "say what was done (and add photos if you have them)"}, status=422)
    if len(text) > MAX_TEXT:
        raise Invalid({"evidence": f"must be at most {MAX_TEXT} characters"})
    incident = action.incident
    held = {p.evidence_id for p in action.photos}
    for item in photos:
        if item.id not in held:
            action.photos.append(ActionPhoto(evidence=item))
    if photos:
        attach(incident, photos, actor, now)
    action.status, action.done_at, action.evidence = "done", now, text
    incident.record("action", f"Action “{action.title}” done by {actor.name}" + (f": {text}" if text else "")
                    + (f" ({len(photos)} photo{'s' if len(photos) != 1 else ''})" if photos else ""),
                    actor, action=action.id, status="done")


def may_verify(action: CorrectiveAction, user: User) -> bool:
    return user.id != action.owner_id and may_work_on(user, action.incident)


def verify(action: CorrectiveAction, effective: object, note: object, actor: User, now: datetime) -> None:
    """Someone other than the owner confirms it works (verified), or returns it to open with the reason.
    A verified action questioned by a repeat is verified again the same way."""
    if actor.id == action.owner_id:
        raise NotYours("You own this action: someone else must verify it")
    if not may_work_on(actor, action.incident):
        raise NotYours("Only supervisors and the incident's role holders verify corrective actions")
    if not isinstance(effective, bool):
        raise Invalid({"effective": "must be true or false"})
    if note is not None and not isinstance(note, str):
        raise Invalid({"note": "must be text"})
    note = (note or "").strip()
    if len(note) > MAX_TEXT:
        raise Invalid({"note": f"must be at most {MAX_TEXT} characters"})
    questioned = action.status == "verified" and action.questioned_by_id is not None
    if action.status != "done" and not questioned:
        raise ActionRefused("Only an action marked done (or one a repeat questioned) can be verified"
                            if action.status == "open" else "The action is already verified")
    incident = action.incident
    if effective:
        action.status, action.verified_at, action.verified_by = "verified", now, actor
        action.verify_note, action.questioned_by_id = note or None, None
        incident.record("action", f"Action “{action.title}” verified by {actor.name}" + (f": {note}" if note else ""),
                        actor, action=action.id, status="verified")
        return
    if not note:
        raise Invalid({"note": "say why it is not effective, so the owner knows what to do"}, status=422)
    action.status, action.returned_reason, action.returned_at, action.done_at = "open", note, now, None
    action.verified_at, action.verified_by, action.questioned_by_id = None, None, None
    # Open again: chased again from its due date (its owner is paged afresh if that has passed).
    action.check_at = action.overdue_paged_for = action.escalated_for = None
    incident.record("action", f"Action “{action.title}” returned to {action.owner.name} by {actor.name}: {note}",
                    actor, action=action.id, status="open", reason=note)


def actions_for(viewer: User, owner: User | None, status: str | tuple[str, ...] | None, limit: int = 200,
                not_owned_by: User | None = None, newest_first: bool = False,
                questioned: bool = False) -> list[CorrectiveAction]:
    """Actions the viewer may see, optionally one owner's (or not theirs) and in given states; soonest due
    first (or most recently created first)."""
    query = db.select(CorrectiveAction).join(Incident, Incident.id == CorrectiveAction.incident_id)
    if owner is not None:
        query = query.where(CorrectiveAction.owner_id == owner.id)
    if not_owned_by is not None:
        query = query.where(CorrectiveAction.owner_id != not_owned_by.id)
    if questioned:
        query = query.where(CorrectiveAction.questioned_by_id.is_not(None))
    if status:
        query = query.where(CorrectiveAction.status.in_((status,) if isinstance(status, str) else status))
    query = query.where(db.or_(CorrectiveAction.owner_id == viewer.id, Incident.visible_to(viewer)))
    loaded = (joinedload(CorrectiveAction.owner), joinedload(CorrectiveAction.incident).joinedload(Incident.site),
              joinedload(CorrectiveAction.questioned_by), selectinload(CorrectiveAction.photos))
    order = (CorrectiveAction.id.desc(),) if newest_first else (CorrectiveAction.due_at, CorrectiveAction.id)
    return list(db.session.scalars(query.options(*loaded).order_by(*order).limit(limit)).unique())
