"""What people do to an incident. Each action checks itself, changes the incident and writes the timeline."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime

from flask import Response
from sqlalchemy import JSON, Select, exists, insert, literal, select
from sqlalchemy.orm import aliased

from ..auth.models import STAFF_ROLES, User
from ..common.errors import ActionRefused, Blocked, Conflict, Invalid
from ..common.pdf import html_to_pdf, pdf_response
from ..database import UTCDateTime, utcnow
from ..extensions import db
from ..rules.answers import ANSWER_KEYS, ENVELOPE, describe_answers, validate_report
from ..rules.classification import SEVERITIES
from ..rules.guide import prune
from . import hooks
from .facts import HIGH_POTENTIAL_AT_LEAST, apply_answers
from .lifecycle import STATUS_LABELS, TransitionRefused, cleared_timestamps, plan_transition
from .models import INCIDENT_ROLES, Incident, TimelineEntry


def _reason(reason: object, what: str) -> str:
    if reason is not None and not isinstance(reason, str):
        raise ActionRefused("The reason must be text")
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(f"{what} needs a reason")
    if len(reason) > 1000:
        raise ActionRefused("The reason must be at most 1000 characters")
    return reason


def changed_meanwhile(incident: Incident, what: str, now_is: str) -> Conflict:
    """The refusal of a change asked on a page (or request) made before someone else's: who, and what
    the incident is now."""
    entry = next((e for e in reversed(incident.timeline) if e.what == what), None)
    who = entry.actor.name if entry is not None and entry.actor is not None else "someone else"
    return Conflict(f"Changed by {who} meanwhile: {incident.reference} is now {now_is}. Nothing you sent was "
                    "changed; choose again if you still want to.")


def change_status(incident: Incident, target: str, reason: str | None, actor: User, now: datetime,
                  was: str | None = None) -> None:
    """Move an incident along its lifecycle. Closing waits on what the features say blocks it (a required
    review unpublished, an action not verified): refused with the list, unless a supervisor closes
    anyway with a reason, which goes on the timeline with what was still open. `was`: the status the
    asker saw; another status now is a Conflict (someone moved it meanwhile)."""
    if was is not None and was != incident.status:
        raise changed_meanwhile(incident, "status", STATUS_LABELS.get(incident.status, incident.status).lower())
    try:
        step = plan_transition(incident.status, target, reason)
    except TransitionRefused as refused:
        raise ActionRefused(str(refused)) from None
    blocking = hooks.closing_blockers(incident, now) if target == "closed" else []
    if blocking and not (actor.is_supervisor and step.reason):
        ask = ("or close it anyway with a reason (it is logged)" if actor.is_supervisor
               else "or ask a supervisor to close it anyway")
        raise Blocked(f"{incident.reference} cannot be closed yet: finish what is listed, {ask}", blocking)
    for field in cleared_timestamps(target) if step.kind == "reopen" else []:
        setattr(incident, field, None)
    stamp = {"resolved": "resolved_at", "recovered": "recovered_at", "closed": "closed_at"}.get(target)
    if stamp and getattr(incident, stamp) is None:
        setattr(incident, stamp, now)
    incident.status = target
    if blocking:
        incident.record("status", f"Closed anyway by {actor.name}: {step.reason}. Still open: " + "; ".join(blocking),
                        actor, source=step.source, target=target, kind="close_anyway", reason=step.reason,
                        blocking=blocking)
    else:
        incident.record("status", step.describe(), actor, source=step.source, target=target, kind=step.kind,
                        reason=step.reason)
    hooks.moved(incident, hooks.Move(step.source, target, actor, now))


def override_severity(incident: Incident, severity: str, reason: str | None, actor: User,
                      now: datetime | None = None, was: str | None = None) -> None:
    """`was`: the severity the asker saw; another now is a Conflict (someone changed it meanwhile)."""
    if was is not None and was != incident.severity:
        raise changed_meanwhile(incident, "severity", incident.severity)
    if severity not in SEVERITIES:
        raise ActionRefused(f"Severity must be one of {', '.join(SEVERITIES)}")
    if severity == incident.severity:
        raise ActionRefused(f"The severity is already {severity}")
    if incident.high_potential and severity > HIGH_POTENTIAL_AT_LEAST:
        raise ActionRefused("A high-potential incident is at least P2. If it could not realistically have caused a "
                            "serious injury, correct that answer instead")
    reason = _reason(reason, "Changing the severity")
    previous = incident.severity
    incident.severity = severity
    incident.record("severity", f"Severity changed {previous} → {severity}: {reason}", actor,
                    previous=previous, severity=severity, reason=reason,
                    classified=incident.classified_severity)
    hooks.changed(incident, hooks.Change(f"the severity changed to {severity}", actor, now or utcnow(),
                                         severity_changed=True))


def assign_role(incident: Incident, role: str, user_id: int | None, actor: User, was: str | None = None) -> None:
    """`was`: the holder the asker saw (a user id, or "" for nobody); another now is a Conflict."""
    if role not in INCIDENT_ROLES:
        raise ActionRefused("Unknown incident role")
    held = getattr(incident, f"{role}_id")
    if was is not None and was != ("" if held is None else str(held)):
        holder = getattr(incident, role)
        raise changed_meanwhile(incident, "role", f"{INCIDENT_ROLES[role].lower()}: "
                                                  f"{holder.name if holder else 'nobody'}")
    person = None
    if user_id is not None:
        person = db.session.get(User, user_id)
        if person is None or not person.active or person.role not in STAFF_ROLES:
            raise ActionRefused("Choose an active responder, supervisor or admin")
    if getattr(incident, f"{role}_id") == user_id:
        return
    setattr(incident, role, person)
    label = INCIDENT_ROLES[role]
    text = f"{label}: {person.name}" if person else f"{label} role cleared"
    incident.record("role", text, actor, role=role, user=person.email if person else None)


def add_note(incident: Incident, text: str | None, actor: User) -> None:
    text = (text or "").strip()
    if not text:
        raise ActionRefused("Write something in the note first")
    if len(text) > 5000:
        raise ActionRefused(f"A note can be at most 5000 characters (this one has {len(text)})")
    incident.record("note", text, actor)


def acknowledge(incident: Incident, actor: User, now: datetime, via: str | None = None) -> None:
    """The first acknowledgement stamps acknowledged_at; later ones are noted on the timeline."""
    if incident.acknowledged_at is None:
        incident.acknowledged_at = now
    incident.record("acknowledged", f"Acknowledged by {actor.name}" + (f" from {via}" if via else ""), actor,
                    **({"via": "push"} if via else {}))


RESPONDER_PROGRESS = {"on_my_way": "on the way", "on_scene": "on scene"}


def report_progress(incident: Incident, progress: str, actor: User) -> None:
    """A responder says they are on the way, or on scene."""
    if progress not in RESPONDER_PROGRESS:
        raise ActionRefused("Say whether you are on your way or on scene")
    incident.record(progress, f"{actor.name} is {RESPONDER_PROGRESS[progress]}", actor)


def correct_aware_at(incident: Incident, aware_at: datetime, reason: str | None, actor: User,
                     now: datetime) -> None:
    reason = _reason(reason, "Correcting when the organisation became aware")
    if aware_at > now:
        raise ActionRefused("The time the organisation became aware cannot be in the future")
    if aware_at < incident.occurred_at:
        raise ActionRefused("The organisation cannot have become aware before it happened")
    previous = incident.aware_at
    incident.aware_at = aware_at
    incident.record("aware_at", f"Aware-at corrected: {reason}", actor,
                    previous=previous.isoformat(), aware_at=aware_at.isoformat(), reason=reason)
    hooks.changed(incident, hooks.Change("the aware time was corrected", actor, now))

def answers_seen(incident: Incident) -> str:
    """A fingerprint of the answers as a form shows them, carried by the correction form: another
    supervisor's correction meanwhile changes it."""
    return hashlib.sha256(json.dumps(incident.answers, sort_keys=True, default=str).encode()).hexdigest()[:20]


def correct_answers(incident: Incident, changes: object, reason: str | None, actor: User, now: datetime,
                    was: str | None = None) -> list[str]:
    """A supervisor corrects the report's answers (not its description, site or times): the incident is
    classified again (an overridden severity stays as the supervisor set it), and its obligations,
    clocks and update cadence follow. Returns the changes in words. Invalid names each bad key. `was`:
    answers_seen() of the form the correction was made on; other answers now are a Conflict (the form
    holds every answer, so it would silently undo the other correction)."""
    if was is not None and was != answers_seen(incident):
        raise changed_meanwhile(incident, "answers", f"{incident.severity}, with answers corrected since your "
                                                     "form was opened: the form now shows them")
    if not isinstance(changes, dict) or not changes:
        raise Invalid({"answers": "give the answers to change, as an object"})
    fixed = sorted(k for k in changes if k in ENVELOPE)
    if fixed:
        raise Invalid({k: "is not an answer: it cannot be corrected here" for k in fixed})
    unknown = sorted(k for k in changes if k not in ANSWER_KEYS)
    if unknown:
        raise Invalid({k: "is not a known answer key" for k in unknown})
    reason = _reason(reason, "Correcting the answers")
    # Answers to questions the corrected answers no longer ask go (no longer an injury: no treatment).
    def given(value: object) -> bool:  # as the report form: null, "" and [] are "not given"
        return value is not None and value != "" and value != []
    merged = prune({k: v for k, v in {**incident.answers, **changes}.items() if given(v)})
    unasked = sorted(k for k in changes if given(changes[k]) and k not in merged)
    if unasked:
        raise Invalid({k: "is not asked with these answers" for k in unasked})
    body = {**merged, "description": incident.description, "site": incident.site.code,
            "occurred_at": incident.occurred_at.isoformat(), "client_id": incident.client_id}
    clean = validate_report(body, now=now, site_codes={incident.site.code}, default_site=incident.site.code).answers
    before = dict(describe_answers(incident.answers))
    after = dict(describe_answers(clean))
    words = [f"{q}: {before.get(q, '—')} → {after.get(q, '—')}" for q in dict.fromkeys([*before, *after])
             if before.get(q) != after.get(q)]
    if not words:
        raise ActionRefused("Those are the answers already")
    previous = incident.severity
    result = apply_answers(incident, clean)  # as a new report's: the same answers, the same incident
    incident.record("answers", f"Answers corrected by {actor.name}: {reason}. " + "; ".join(words), actor,
                    reason=reason, changes=words, classified=result.severity)
    hooks.changed(incident, hooks.Change("the answers were corrected", actor, now,
                                         severity_changed=incident.severity != previous))
    return words


# REFERENCE section 7: every view and export of an incident is logged, on its own timeline.
EXPORTS = {
    "report": "Formal report opened for printing",
    "report_pdf": "Formal report downloaded as a PDF",
    "review_print": "Post-incident review opened for printing",
    "review_pdf": "Post-incident review downloaded as a PDF",
    "packs": "Regulator packs opened",
    "csv": "Included in a CSV export",
}


def record_export(incident: Incident, form: str, actor: User) -> None:
    incident.record("export", f"{EXPORTS[form]} by {actor.name}", actor, form=form)


def export_pdf(incident: Incident, form: str, actor: User, html: str, filename: str) -> Response:
    """A printable page of the incident laid out as a PDF download, logged on its timeline once made."""
    pdf = html_to_pdf(html, "print.css")
    record_export(incident, form, actor)
    db.session.commit()
    return pdf_response(pdf, filename)


def record_list_export(incidents: Select, form: str, actor: User, now: datetime) -> int:
    """The same entry on every incident a list export holds, written by one INSERT … SELECT (a CSV of
    100,000 incidents adds its entries without loading one), at most once a day (UTC) per person and
    incident: a spreadsheet refreshing its export every hour does not bury the timelines."""
    ids = incidents.with_only_columns(Incident.id).order_by(None).subquery()
    summary = f"{EXPORTS[form]} by {actor.name}"
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    logged = aliased(TimelineEntry)
    rows = (select(ids.c.id, literal(now, UTCDateTime), literal(actor.id), literal("export"), literal(summary),
                   literal({"form": form}, JSON))
            .where(~exists().where(logged.incident_id == ids.c.id, logged.what == "export",
                                   logged.actor_id == actor.id, logged.summary == summary, logged.at >= today)))
    return db.session.execute(insert(TimelineEntry).from_select(
        ["incident_id", "at", "actor_id", "what", "summary", "details"], rows)).rowcount
