"""Keeping an incident's obligations in step with its facts, and what people record against them.

`sync` recomputes every step the rules decide (not those a person has marked done or not required),
so a corrected aware-at time, a changed answer or severity moves the deadlines, and the timeline says
what moved. Events that start a clock ("the regulator asked for written notice") are timeline entries,
so they are dated and attributed like everything else on the incident.
"""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..auth.models import STAFF_ROLES, User
from ..common.errors import ActionRefused
from ..extensions import db
from ..incidents.models import Incident
from ..organisation.models import Organisation
from .models import Obligation
from .regimes import BY_ID, EVENTS, Facts, Planned, plan

EVENT_STEPS = {"regulator_asked": ("AU-WHS", "written")}  # which step an event starts the clock of


def obligations_of(incident: Incident) -> list[Obligation]:
    return list(db.session.scalars(db.select(Obligation).where(Obligation.incident_id == incident.id)
                                   .order_by(Obligation.id)))


def nearest_open(incident_ids: list[int]) -> dict[int, Obligation]:
    """Each incident's open step with the soonest deadline (not one waiting for an event), for the queue."""
    rows = db.session.scalars(db.select(Obligation).where(
        Obligation.incident_id.in_(incident_ids), Obligation.status == "due", Obligation.waiting_for.is_(None),
        Obligation.deadline.is_not(None)).order_by(Obligation.deadline, Obligation.id))
    nearest: dict[int, Obligation] = {}
    for row in rows:
        nearest.setdefault(row.incident_id, row)
    return nearest


def events_of(incident: Incident) -> dict[str, datetime]:
    events = {}
    for entry in incident.timeline:
        if entry.what == "obligation_event" and entry.details:
            events[entry.details["event"]] = datetime.fromisoformat(entry.details["at"])
    for row in obligations_of(incident):
        if (row.regime, row.step) == ("EU-NIS2", "notification") and row.status == "done":
            events["notification"] = row.done_at
    return events


def facts_of(incident: Incident) -> Facts:
    return Facts(answers=dict(incident.answers), jurisdiction=incident.site.jurisdiction,
                 timezone=incident.site.timezone, profile=Organisation.current().profile(),
                 aware_at=incident.aware_at, occurred_at=incident.occurred_at, severity=incident.severity,
                 events=events_of(incident))


def _when(moment: datetime | None, zone: str) -> str:
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z") if moment else "no fixed time"


def _apply(row: Obligation, planned: Planned) -> None:
    row.what, row.rule, row.deadline, row.urgent = planned.what, planned.rule, planned.deadline, planned.urgent
    row.waiting_for, row.reasons, row.applies = planned.waiting_for, list(planned.reasons), True
    row.status = "not_required" if planned.not_required else "due"
    row.not_required_reason = planned.not_required
    row.check_at = None  # the worker looks again: the deadline or the window may have moved


def sync(incident: Incident, why: str | None = None, actor: User | None = None) -> list[str]:
    """Bring the obligations in line with the incident's facts; return what changed, in words (and,
    with `why`, put it on the timeline)."""
    db.session.flush()
    zone = incident.site.timezone
    existing = {(row.regime, row.step): row for row in obligations_of(incident)}
    changes = []
    for planned in plan(facts_of(incident)):
        row = existing.pop((planned.regime, planned.step), None)
        label = f"{planned.regime} {planned.what.lower()}"
        if row is None:
            row = Obligation(incident_id=incident.id, regime=planned.regime, step=planned.step)
            _apply(row, planned)
            db.session.add(row)
            changes.append(f"{label}: now required, due {_when(row.deadline, zone)}" if row.status == "due"
                           else f"{label}: applies, not required ({row.not_required_reason})")
        elif row.decided_by_rules and row.status != "done":
            before = (row.deadline, row.status, row.waiting_for)
            _apply(row, planned)
            if row.deadline != before[0]:  # a new deadline is paged afresh when it nears and if it is missed
                row.nearly_paged_at = row.overdue_paged_at = None
            if (row.deadline, row.status, row.waiting_for) != before:
                changes.append(f"{label}: due {_when(row.deadline, zone)} (was {_when(before[0], zone)})"
                               if row.status == "due" and before[1] == "due"
                               else f"{label}: {row.status.replace('_', ' ')} (was {before[1].replace('_', ' ')})")
    for row in existing.values():  # the rules no longer call for these
        if row.status == "due" and row.decided_by_rules and row.applies:
            row.status, row.applies = "not_required", False
            row.not_required_reason = f"no longer applies after {why or 'a change'}"
            changes.append(f"{row.regime} {row.what.lower()}: no longer applies")
    if why and changes:
        incident.record("obligations", f"Obligations recomputed after {why}: " + "; ".join(changes), actor,
                        changes=changes)
    return changes


def _open_row(incident: Incident, obligation_id: int) -> Obligation:
    row = db.session.get(Obligation, obligation_id)
    if row is None or row.incident_id != incident.id:
        raise ActionRefused("That obligation is not on this incident")
    return row


def mark_done(incident: Incident, obligation_id: int, done_at: datetime, reference: str | None, actor: User,
              now: datetime) -> Obligation:
    row = _open_row(incident, obligation_id)
    reference = (reference or "").strip()
    if row.status == "done":
        raise ActionRefused(f"“{row.what}” is already marked done")
    if len(reference) > 200:
        raise ActionRefused("The reference can be at most 200 characters")
    if done_at > now:
        raise ActionRefused("It cannot have been done in the future")
    if done_at < incident.occurred_at:
        raise ActionRefused("It cannot have been done before the incident happened")
    row.status, row.done_at, row.reference = "done", done_at, reference or None
    row.decided_by, row.decided_by_rules = actor, False
    late = row.deadline is not None and done_at > row.deadline
    text = f"{row.regime}: {row.what} done" + (f" (reference {reference})" if reference else "") + \
        (f", {_late(done_at - row.deadline)} after the deadline" if late else "")
    if (row.regime, row.step) == ("AU-WHS", "preserve"):
        text = f"Site released by the inspector{f' (reference {reference})' if reference else ''}: it may be disturbed"
    incident.record("obligation", text, actor, regime=row.regime, step=row.step, status="done",
                    reference=reference or None, done_at=done_at.isoformat(), late=late)
    if (row.regime, row.step) == ("EU-NIS2", "notification"):
        sync(incident, "the notification was made", actor)  # starts the final report's month
    return row


def _late(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"


def mark_not_required(incident: Incident, obligation_id: int, reason: str | None, actor: User) -> Obligation:
    row = _open_row(incident, obligation_id)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused("Say why it is not required")
    if len(reason) > 1000:
        raise ActionRefused("The reason can be at most 1000 characters")
    if row.status == "done":
        raise ActionRefused(f"“{row.what}” is already done")
    row.status, row.not_required_reason, row.decided_by, row.decided_by_rules = "not_required", reason, actor, False
    incident.record("obligation", f"{row.regime}: {row.what}: not required: {reason}", actor,
                    regime=row.regime, step=row.step, status="not_required", reason=reason)
    return row


def assign_owner(incident: Incident, obligation_id: int, user_id: int | None, actor: User) -> Obligation:
    """Name who makes this notification (None: back to the commander, else the supervisors). The owner
    is paged first when it is nearly due."""
    row = _open_row(incident, obligation_id)
    if row.status != "due":
        raise ActionRefused(f"“{row.what}” is already settled: it needs no owner")
    person = None
    if user_id is not None:
        person = db.session.get(User, user_id)
        if person is None or not person.active or person.role not in STAFF_ROLES:
            raise ActionRefused("Choose an active responder, supervisor or admin")
        if not incident.can_view(person):
            raise ActionRefused(f"{person.name} may not see this confidential incident: name them on it first")
    if row.owner_id == user_id:
        return row
    row.owner = person
    text = f"{row.regime}: {row.what}: owner {person.name}" if person else \
        f"{row.regime}: {row.what}: owner cleared (the incident commander, else the supervisors)"
    incident.record("obligation_owner", text, actor, regime=row.regime, step=row.step,
                    owner=person.email if person else None)
    return row


def record_event(incident: Incident, event: str, at: datetime, actor: User, now: datetime) -> None:
    """Something that starts a clock happened (the regulator asked for written notice)."""
    if event not in EVENT_STEPS:
        raise ActionRefused("Unknown event")
    if at > now or at < incident.occurred_at:
        raise ActionRefused("Give a time between the incident and now")
    incident.record("obligation_event", f"{BY_ID[EVENT_STEPS[event][0]].id}: {EVENTS[event].capitalize()}"
                    .replace("asks", "asked"), actor, event=event, at=at.isoformat())
    sync(incident, EVENTS[event].replace("asks", "asked").replace("is made", "was made"), actor)


def preserve_site_pending(incident: Incident, rows: list[Obligation] | None = None) -> Obligation | None:
    """The AU-WHS "preserve the site" step while no inspector has released the site (`rows`: the
    incident's obligations, when the caller has them)."""
    return next((row for row in (obligations_of(incident) if rows is None else rows)
                 if (row.regime, row.step) == ("AU-WHS", "preserve") and row.status == "due"), None)
