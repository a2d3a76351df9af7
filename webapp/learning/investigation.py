"""An incident's investigation: who may write it, reading it, and saving it (each save on the timeline)."""
from __future__ import annotations

from datetime import datetime

from ..auth.models import User
from ..common.errors import ActionRefused, NotYours
from ..extensions import db
from ..incidents.models import Incident
from ..rules.learning import CONTRIBUTING_FACTORS, ROOT_CAUSE_CATEGORIES, validate_investigation, validate_statement
from . import repeats
from .models import Investigation

FIELD_WORDS = {"whys": "5 Whys", "immediate_causes": "immediate causes", "underlying_causes": "underlying causes",
               "root_cause": "root cause", "root_cause_category": "root-cause category",
               "contributing_factors": "contributing factors", "witness_statements": "witness statements"}


def may_work_on(user: User, incident: Incident) -> bool:
    """Supervisors, and the people holding a role on the incident, investigate and review it."""
    if not incident.can_view(user) or not user.is_staff:
        return False
    return user.is_supervisor or user.id in {incident.commander_id, incident.comms_lead_id, incident.tech_lead_id}


def investigation_of(incident: Incident) -> Investigation | None:
    return db.session.get(Investigation, incident.id)


def empty_json() -> dict:
    return {"whys": [], "immediate_causes": [], "underlying_causes": [], "root_cause": "",
            "root_cause_category": None, "contributing_factors": [], "witness_statements": [],
            "updated_at": None, "updated_by": None}


def factor_words(factor: str) -> str:
    return CONTRIBUTING_FACTORS.get(factor, factor)


def category_words(category: str | None) -> str:
    return ROOT_CAUSE_CATEGORIES.get(category, "—") if category else "—"


def save(incident: Incident, raw: object, actor: User, now: datetime) -> list[str]:
    """Save what was sent (a field not sent stays as it was); returns the fields that changed, in
    words. A new root-cause category looks for repeats at the site (REFERENCE section 7)."""
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders write its investigation")
    changes = validate_investigation(raw, now)
    record = investigation_of(incident) or Investigation(
        incident_id=incident.id, whys=[], immediate_causes=[], underlying_causes=[], root_cause="",
        root_cause_category=None, contributing_factors=[], witness_statements=[])
    changed = [key for key, value in changes.items() if getattr(record, key) != value]
    if not changed:
        return []
    db.session.add(record)
    category_before = record.root_cause_category
    for key in changed:
        setattr(record, key, changes[key])
    record.updated_at, record.updated_by_id = now, actor.id
    incident.record("investigation", f"Investigation updated by {actor.name}: "
                    + ", ".join(FIELD_WORDS[k] for k in changed), actor, fields=changed)
    category = record.root_cause_category
    if "root_cause_category" in changed and category and category != category_before:
        db.session.flush()
        repeats.note_repeats(incident, category, actor, now)
    return changed


def add_statement(incident: Incident, raw: object, actor: User, now: datetime) -> dict:
    """Add one witness statement (the tablet on site, possibly sent later from the outbox)."""
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders take witness statements")
    errors: dict[str, str] = {}
    statement = validate_statement(raw, now, errors, "statement")
    if statement is None:
        raise ActionRefused(errors.get("statement", "A statement needs a name and what they saw"))
    # Locked while read and written back (PostgreSQL): two tablets' outboxes sending at once both land.
    record = db.session.get(Investigation, incident.id, with_for_update=True, populate_existing=True)
    existing = list(record.witness_statements) if record else []
    same = (statement["name"], statement["statement"])
    if any((s["name"], s["statement"]) == same for s in existing):  # sent twice (a retry): kept once
        return statement
    save(incident, {"witness_statements": existing + [statement]}, actor, now)
    return statement
