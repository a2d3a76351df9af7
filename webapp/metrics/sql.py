"""The figures of REFERENCE section 8 as SQL conditions on an incident (and its steps and actions): the
one place each is written for the database, shared by the counting (rollup.py), the figures (service.py)
and the lists of incidents behind them (behind.py). rules/metrics.py defines them in Python; the tests
hold the two to each other."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..incidents.models import Incident
from ..learning.models import CorrectiveAction, Investigation
from ..obligations.models import Obligation
from ..organisation.models import Organisation, Site
from ..rules.learning import REPEAT_WINDOW
from ..rules.metrics import NOT_COUNTED, RECORDABLE_TREATMENTS, clock_outcome
from ..sla.rules import clocks

CLOCK_OUTCOMES = ("met", "breached")
ACTION_OUTCOMES = ("on_time", "late", "open_overdue")


def is_postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def seconds_between(later, earlier):
    """Seconds from `earlier` to `later`, in the database's own arithmetic."""
    if is_postgres():
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _answer(key: str):
    return Incident.answers[key].as_string()


def what_happened(value: str):
    # A list of fixed words kept as JSON text: '["injury", "near_miss"]'; a quoted word matches only itself.
    return Incident.answers["what_happened"].as_string().like(f'%"{value}"%')


def _injured_counted():
    """An injury that counts in the rates: anyone's but a member of the public's (unsaid counts as a worker)."""
    return and_(what_happened("injury"), func.coalesce(_answer("injured_person"), "") != NOT_COUNTED)


def _days_lost():
    return func.coalesce(Incident.answers["days_unfit_for_work"].as_integer(), 0)


def lost_time_injury():
    return and_(_injured_counted(), or_(_days_lost() >= 1, _answer("treatment") == "fatality"))


def recordable_injury():
    return and_(_injured_counted(), or_(_days_lost() >= 1,
                                        _answer("treatment").in_(("fatality", *RECORDABLE_TREATMENTS))))


OBLIGATION_COUNTED = (Obligation.deadline.is_not(None), Obligation.applies.is_(True),
                      Obligation.status.in_(("due", "done")))


def obligation_outcome(outcome: str, now: datetime):
    """deadline_outcome() in SQL: on_time (done by the deadline), late (done after it, or open past it)."""
    if outcome == "on_time":
        return and_(Obligation.done_at.is_not(None), Obligation.done_at <= Obligation.deadline)
    return or_(and_(Obligation.done_at.is_not(None), Obligation.done_at > Obligation.deadline),
               and_(Obligation.done_at.is_(None), Obligation.status == "due", Obligation.deadline < now))


def action_outcome_sql(outcome: str, now: datetime):
    """action_outcome() in SQL: on_time, late (done after the due time), open_overdue."""
    done = CorrectiveAction.done_at.is_not(None)
    return {"on_time": and_(done, CorrectiveAction.done_at <= CorrectiveAction.due_at),
            "late": and_(done, CorrectiveAction.done_at > CorrectiveAction.due_at),
            "open_overdue": and_(CorrectiveAction.done_at.is_(None), CorrectiveAction.due_at < now)}[outcome]


DUE_COLUMNS = {"response": (Incident.acknowledged_at, Incident.response_due_at),
               "resolution": (Incident.resolved_at, Incident.resolution_due_at)}


def clock_outcome_sql(clock: str, outcome: str, now: datetime):
    """clock_outcome() in SQL over the kept due times: met (by the due time), breached (after it, or not
    yet and it has passed). An incident whose due times are still to be worked out matches neither."""
    met_at, due = DUE_COLUMNS[clock]
    if outcome == "met":
        return and_(met_at.is_not(None), met_at <= due)
    return or_(met_at > due, and_(met_at.is_(None), due < now))


@dataclass(frozen=True)
class Outcome:
    """An SLA clock of an incident whose due time is still to be kept: its outcome now (None while it
    runs), and its due time."""

    severity: str
    clock: str
    outcome: str | None
    incident_id: int
    site_id: int
    reported_at: datetime
    due: datetime
    met_at: datetime | None


def unknown_outcomes(conditions: list, now: datetime) -> list[Outcome]:
    """The SLA clocks of the incidents (matching `conditions`) with a due time still to be worked out
    (new targets, a site's new calendar: the worker stores it on its next look), worked out here; a due
    time that is kept (a clock that stopped) is used as it is."""
    overrides = Organisation.current().sla_targets
    rows = db.session.execute(
        select(Incident.id, Incident.site_id, Incident.severity, Incident.reported_at, Incident.acknowledged_at,
               Incident.resolved_at, Incident.response_due_at, Incident.resolution_due_at, Site.timezone,
               Site.jurisdiction)
        .join(Site, Site.id == Incident.site_id).where(*conditions, Incident.due_unknown()))
    found = []
    for (incident_id, site_id, severity, reported, acknowledged, resolved, response_due, resolution_due, zone,
         place) in rows:
        kept = {"response": response_due, "resolution": resolution_due}
        for clock in clocks(severity=severity, reported_at=reported, acknowledged_at=acknowledged, resolved_at=resolved,
                            zone=zone, jurisdiction=place, overrides=overrides):
            due = kept[clock.name] or clock.due
            found.append(Outcome(severity, clock.name, clock_outcome(due, clock.met_at, now), incident_id, site_id,
                                 reported, due, clock.met_at))
    return found


def repeats_a_cause(near=None):
    """The incident's root-cause category repeats another's at the same site within 90 days (by when
    they happened), as a condition on the incident. Each site's incidents of a category are put in order
    of when they happened: an incident repeats exactly when the one before it or after it is within 90
    days, so one pass over the investigations answers it (pairing every investigation with every other
    of its category does not finish at a million incidents). `near` (a condition on the incident) limits
    the pass to the investigations that can pair with the incidents asked about."""
    at = Incident.occurred_at
    places = {"partition_by": (Incident.site_id, Investigation.root_cause_category), "order_by": (at, Incident.id)}
    ordered = (select(Incident.id.label("id"), at.label("at"), func.lag(at).over(**places).label("before"),
                      func.lead(at).over(**places).label("after"))
               .join(Investigation, Investigation.incident_id == Incident.id)
               .where(Investigation.root_cause_category.is_not(None), Incident.status != "cancelled",
                      *([near] if near is not None else [])).subquery())
    window = REPEAT_WINDOW.total_seconds()
    return Incident.id.in_(select(ordered.c.id).where(or_(seconds_between(ordered.c.at, ordered.c.before) <= window,
                                                          seconds_between(ordered.c.after, ordered.c.at) <= window)))
