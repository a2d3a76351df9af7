"""Repeat causes: the same root-cause category at the same site within 90 days flags both incidents as a
structural issue, and a repeat after an action was verified questions whether that action works."""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from ..auth.models import User
from ..extensions import db
from ..incidents.models import Incident
from ..rules.learning import REPEAT_WINDOW, CauseAt, repeat_words, repeats_of
from .models import CorrectiveAction, Investigation


def _cause(incident: Incident, category: str | None) -> CauseAt:
    return CauseAt(incident.id, incident.site_id, category, incident.occurred_at)


def _candidates(site_id: int, category: str, around: datetime, excluding: int) -> list[tuple[Incident, CauseAt]]:
    rows = db.session.execute(
        db.select(Incident, Investigation.root_cause_category)
        .join(Investigation, Investigation.incident_id == Incident.id)
        .where(Incident.site_id == site_id, Investigation.root_cause_category == category, Incident.id != excluding,
               Incident.occurred_at >= around - REPEAT_WINDOW, Incident.occurred_at <= around + REPEAT_WINDOW,
               Incident.status != "cancelled"))
    return [(incident, CauseAt(incident.id, incident.site_id, cat, incident.occurred_at)) for incident, cat in rows]


def repeat_of(incident: Incident, category: str | None, viewer: User | None = None) -> list[Incident]:
    """Incidents with the same cause at the same site within 90 days, nearest first (with a viewer:
    only those they may see, so a confidential incident is not named to someone it is hidden from)."""
    if not category or incident.status == "cancelled":
        return []
    candidates = _candidates(incident.site_id, category, incident.occurred_at, incident.id)
    by_id = {cause.incident_id: other for other, cause in candidates}
    found = [by_id[c.incident_id] for c in repeats_of(_cause(incident, category), [c for _i, c in candidates])]
    return [other for other in found if viewer is None or other.can_view(viewer)]


def describe(incident: Incident, others: list[Incident]) -> list[str]:
    return [repeat_words(other.reference, incident.occurred_at, other.occurred_at) for other in others]


def _hidden(incident: Incident, other: Incident) -> bool:
    """A confidential incident is not named on an open one's timeline (its readers may not see it)."""
    return other.confidential and not incident.confidential


def _named(incident: Incident, other: Incident) -> str:
    if _hidden(incident, other):
        return repeat_words("a confidential incident", incident.occurred_at, other.occurred_at)
    return describe(incident, [other])[0]


def note_repeats(incident: Incident, category: str, actor: User | None, now: datetime) -> None:
    """A root-cause category was set: flag the repeat on both timelines, and question the actions of the
    earlier incident that were verified before the later one happened (they were meant to stop it)."""
    for other in repeat_of(incident, category):
        incident.record("repeat", _named(incident, other) + ": a structural issue", actor,
                        repeat_of=None if _hidden(incident, other) else other.reference, category=category)
        other.record("repeat", _named(other, incident) + ": a structural issue", actor,
                     repeat_of=None if _hidden(other, incident) else incident.reference, category=category)
        earlier, later = (other, incident) if other.occurred_at <= incident.occurred_at else (incident, other)
        verified = db.session.scalars(db.select(CorrectiveAction).where(
            CorrectiveAction.incident_id == earlier.id, CorrectiveAction.status == "verified",
            CorrectiveAction.verified_at <= later.occurred_at))
        for action in verified:
            action.questioned_by_id = later.id
            name = "a confidential incident" if _hidden(earlier, later) else later.reference
            earlier.record("action", f"Action “{action.title}” questioned: {name} had the same cause after it was "
                           "verified. Verify again whether it works.", actor, action=action.id)


def structural_issues(visible) -> list[dict]:
    """Groups of incidents that repeat a cause at a site, newest first: {site, category, incidents}.
    `visible` is the viewer's SQL condition on incidents."""
    rows = db.session.execute(
        db.select(Incident, Investigation.root_cause_category)
        .join(Investigation, Investigation.incident_id == Incident.id)
        .where(Investigation.root_cause_category.is_not(None), Incident.status != "cancelled", visible)
        .order_by(Incident.occurred_at))
    by_place: dict[tuple[int, str], list[Incident]] = defaultdict(list)
    for incident, category in rows:
        by_place[(incident.site_id, category)].append(incident)
    groups = []
    for (_site, category), incidents in by_place.items():
        run: list[Incident] = []
        for incident in incidents:  # chains of incidents each within 90 days of the one before
            if run and incident.occurred_at - run[-1].occurred_at > REPEAT_WINDOW:
                if len(run) > 1:
                    groups.append({"site": run[0].site, "category": category, "incidents": run})
                run = []
            run.append(incident)
        if len(run) > 1:
            groups.append({"site": run[0].site, "category": category, "incidents": run})
    return sorted(groups, key=lambda g: g["incidents"][-1].occurred_at, reverse=True)
