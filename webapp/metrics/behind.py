"""The incidents behind each figure of the metrics page, found by the very conditions that count them
(service.py), so a list always holds as many incidents as its figure says. Two figures count something
else than incidents (notification steps, corrective actions): their lists say how many of those the
figure counts, and on which incidents."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..common.errors import Invalid
from ..extensions import db
from ..incidents.models import Incident
from ..learning.models import CorrectiveAction
from ..obligations.models import Obligation
from ..rules.classification import SEVERITIES
from ..sla.rules import CLOCKS
from .service import Period, in_period
from .sql import (
    ACTION_OUTCOMES,
    OBLIGATION_COUNTED,
    action_outcome_sql,
    clock_outcome_sql,
    lost_time_injury,
    obligation_outcome,
    recordable_injury,
    repeats_a_cause,
    unknown_outcomes,
    what_happened,
)

LIMIT = 500  # a list longer than this says how many more there are (and the CSV has them all)
FIGURES = ("acknowledged", "resolved", "sla", "lost_time", "recordable", "high_potential", "near_misses",
           "repeat_causes", "obligations", "actions")
OUTCOME_WORDS = {"met": "met", "breached": "breached", "on_time": "on time", "late": "late",
                 "open_overdue": "open and overdue"}


REFINEMENTS = {"acknowledged": ("severity",), "resolved": ("severity",), "sla": ("severity", "clock", "outcome"),
               "obligations": ("outcome",), "actions": ("outcome",)}  # what else each figure's link may say


@dataclass(frozen=True)
class Behind:
    title: str
    incidents: list[Incident]
    total: int  # incidents
    counted: int  # what the figure counts: the incidents, or the steps or actions on them
    unit: str = ""  # "" (incidents), or what the figure counts: "steps", "actions"


def _choice(args: Mapping[str, str], key: str, allowed) -> str:
    value = args.get(key, "")
    if value not in allowed:
        raise Invalid({key: f"must be one of: {', '.join(allowed)}"})
    return value


def _severity(args: Mapping[str, str]) -> str | None:
    return _choice(args, "severity", SEVERITIES) if args.get("severity") else None


def _condition(figure: str, args: Mapping[str, str], period: Period, now: datetime):
    """(title, SQL condition on the incident) for a figure and its refinements in `args`."""
    severity = _severity(args)
    of = f" ({severity})" if severity else ""
    by_severity = [Incident.severity == severity] if severity else []
    if figure in ("acknowledged", "resolved"):
        column = Incident.acknowledged_at if figure == "acknowledged" else Incident.resolved_at
        words = "time to acknowledge" if figure == "acknowledged" else "time to resolve"
        return f"{figure.capitalize()}{of}: the incidents the {words} is measured over", and_(
            column.is_not(None), *by_severity)
    if figure == "sla":
        clock, outcome = _choice(args, "clock", tuple(CLOCKS)), _choice(args, "outcome", ("met", "breached"))
        worked_out = [found.incident_id for found in unknown_outcomes([*in_period(period), *by_severity], now)
                      if (found.clock, found.outcome) == (clock, outcome)]
        return f"{CLOCKS[clock]} target {outcome}{of}", or_(
            and_(~Incident.due_unknown(), clock_outcome_sql(clock, outcome, now), *by_severity),
            Incident.id.in_(worked_out))
    if figure in ("obligations", "actions"):
        allowed = ("on_time", "late") if figure == "obligations" else ACTION_OUTCOMES
        outcome = _choice(args, "outcome", allowed)
        if figure == "obligations":
            return f"Regulator notification steps {OUTCOME_WORDS[outcome]}", exists().where(
                Obligation.incident_id == Incident.id, *OBLIGATION_COUNTED, obligation_outcome(outcome, now))
        return f"Corrective actions {OUTCOME_WORDS[outcome]}", exists().where(
            CorrectiveAction.incident_id == Incident.id, action_outcome_sql(outcome, now))
    return {
        "lost_time": ("Lost-time injuries (the public left out)", lost_time_injury()),
        "recordable": ("Recordable injuries (the public left out)", recordable_injury()),
        "high_potential": ("High-potential incidents", Incident.high_potential.is_(True)),
        "near_misses": ("Near misses", what_happened("near_miss")),
        "repeat_causes": ("Incidents whose root cause repeats at the site within 90 days", repeats_a_cause()),
    }[figure]


def incidents_behind(figure: str, args: Mapping[str, str], period: Period, now: datetime) -> Behind:
    """The period's incidents behind `figure`, newest first (at most LIMIT, with the total)."""
    if figure not in FIGURES:
        raise Invalid({"figure": f"must be one of: {', '.join(FIGURES)}"})
    stray = [k for k in args if k not in ("figure", "from", "to", "site", *REFINEMENTS.get(figure, ()))]
    if stray:
        raise Invalid({k: f"does not refine the figure {figure}" for k in stray})
    title, condition = _condition(figure, args, period, now)
    where = (*in_period(period), condition)
    total = db.session.scalar(select(func.count()).select_from(Incident).where(*where))
    incidents = list(db.session.scalars(
        select(Incident).where(*where).options(selectinload(Incident.site), selectinload(Incident.category_rows))
        .order_by(Incident.reported_at.desc(), Incident.id.desc()).limit(LIMIT)))
    if figure == "obligations":
        counted = db.session.scalar(select(func.count()).select_from(Obligation).join(
            Incident, Incident.id == Obligation.incident_id).where(
            *in_period(period), *OBLIGATION_COUNTED, obligation_outcome(args["outcome"], now)))
        return Behind(title, incidents, total, counted, "steps")
    if figure == "actions":
        counted = db.session.scalar(select(func.count()).select_from(CorrectiveAction).join(
            Incident, Incident.id == CorrectiveAction.incident_id).where(
            *in_period(period), action_outcome_sql(args["outcome"], now)))
        return Behind(title, incidents, total, counted, "actions")
    return Behind(title, incidents, total, total)
