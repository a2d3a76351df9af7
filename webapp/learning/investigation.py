"""An incident's investigation: who may write it, reading it, and saving it (each save on the timeline)."""
from __future__ import annotations

from datetime import datetime

from ..auth.models import User
from ..common.errors import ActionRefused, NotYours
from ..database import insert_once
from ..extensions import db
from ..incidents.models import Incident
from ..rules.learning import (
    MAX_STATEMENTS,
    validate_investigation,
    validate_statement,
)
from . import repeats
from .models import Investigation, WitnessStatement

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
            "root_cause_category": None, "contributing_factors": [],
            "updated_at": None, "updated_by": None}


def statements_of(incident: Incident) -> list[WitnessStatement]:
    return list(db.session.scalars(db.select(WitnessStatement).filter_by(incident_id=incident.id)
                                   .order_by(WitnessStatement.taken_at, WitnessStatement.id)))


def to_json(incident: Incident) -> dict:
    found = investigation_of(incident)
    body = found.to_json() if found else empty_json()
    return {**body, "witness_statements": [s.to_json() for s in statements_of(incident)]}


def _insert_statement(incident: Incident, statement: dict, actor: User, now: datetime) -> bool:
    """Keep one statement unless the same person's same words are already kept (a retry, or two tablets
    sending at once): INSERT ... ON CONFLICT DO NOTHING, on SQLite and PostgreSQL alike. True if kept."""
    values = dict(incident_id=incident.id, name=statement["name"], statement=statement["statement"],
                  taken_at=datetime.fromisoformat(statement["taken_at"]) if statement["taken_at"] else now,
                  digest=WitnessStatement.digest_of(statement["name"], statement["statement"]),
                  added_by_id=actor.id, added_at=now)
    return insert_once(WitnessStatement, values, ["incident_id", "digest"])


def _replace_statements(incident: Incident, wanted: list[dict], actor: User, now: datetime) -> bool:
    """The statements as sent (PUT): those not sent go, new ones are added, a known one keeps its time
    unless another is given; True if anything changed (the same list again, in any order, is no change)."""
    current = {row.digest: row for row in statements_of(incident)}
    sent = {WitnessStatement.digest_of(w["name"], w["statement"]): w for w in wanted}
    changed = False
    for digest, row in current.items():
        if digest not in sent:
            db.session.delete(row)
            changed = True
        elif sent[digest]["taken_at"] and datetime.fromisoformat(sent[digest]["taken_at"]) != row.taken_at:
            row.taken_at = datetime.fromisoformat(sent[digest]["taken_at"])
            changed = True
    db.session.flush()
    for digest, statement in sent.items():
        if digest not in current:
            changed = _insert_statement(incident, statement, actor, now) or changed
    return changed


def save(incident: Incident, raw: object, actor: User, now: datetime) -> list[str]:
    """Save what was sent (a field not sent stays as it was); returns the fields that changed, in
    words. A new root-cause category looks for repeats at the site (REFERENCE section 7)."""
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders write its investigation")
    changes = validate_investigation(raw, now)
    statements = changes.pop("witness_statements", None)
    record = investigation_of(incident) or Investigation(
        incident_id=incident.id, whys=[], immediate_causes=[], underlying_causes=[], root_cause="",
        root_cause_category=None, contributing_factors=[])
    changed = [key for key, value in changes.items() if getattr(record, key) != value]
    if statements is not None and _replace_statements(incident, statements, actor, now):
        changed.append("witness_statements")
    if not changed:
        return []
    category_before = record.root_cause_category
    if set(changed) - {"witness_statements"}:
        db.session.add(record)
        for key in changed:
            if key != "witness_statements":
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
    """Add one witness statement (the tablet on site, possibly sent later from the outbox). Its own row:
    two sent at once both land, and the same one again (a retry) is kept once."""
    if not may_work_on(actor, incident):
        raise NotYours("Only supervisors and the incident's role holders take witness statements")
    errors: dict[str, str] = {}
    statement = validate_statement(raw, now, errors, "statement")
    if statement is None:
        raise ActionRefused(errors.get("statement", "A statement needs a name and what they saw"))
    if db.session.scalar(db.select(db.func.count(WitnessStatement.id)).filter_by(incident_id=incident.id)) \
            >= MAX_STATEMENTS:
        raise ActionRefused(f"An investigation holds at most {MAX_STATEMENTS} witness statements")
    if not _insert_statement(incident, statement, actor, now):  # already kept
        return statement
    incident.record("investigation", f"Witness statement from {statement['name']} added by {actor.name}", actor,
                    fields=["witness_statements"])
    return statement
