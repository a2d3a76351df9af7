"""The metrics of REFERENCE section 8 for a period (and a site), aggregated in the database.

Every figure is over the incidents reported in the period (`reported_at`), cancelled ones left out. The
definitions are `rules/metrics.py`; this module asks the database for the same figures in as few
queries as it can (counts and percentiles with window functions, which SQLite and PostgreSQL share).
SLA outcomes are counted from the due times kept on each incident (sla/tracking.py: business-day targets
need the site's calendar, so they are worked out in Python once, when the clocks move, not per query).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import and_, case, func, literal, or_, select

from ..common.errors import Invalid
from ..database import utcnow
from ..extensions import db
from ..incidents.models import Incident, IncidentCategory
from ..learning.models import CorrectiveAction, Investigation
from ..obligations.models import Obligation
from ..organisation.models import Organisation, Site, SiteHours
from ..rules.classification import CATEGORIES, SEVERITIES
from ..rules.learning import REPEAT_WINDOW
from ..rules.metrics import NOT_COUNTED, RECORDABLE_TREATMENTS, clock_outcome, frequency_rate, months_overlapping
from ..sla.rules import CLOCKS, clocks


@dataclass(frozen=True)
class Period:
    first: date  # inclusive, UTC
    last: date  # inclusive, UTC
    site: Site | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=timezone.utc)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=timezone.utc)

    def to_json(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "site": self.site.code if self.site else None}


DEFAULT_DAYS = 30
LONGEST = timedelta(days=366 * 10)


def period_from(args, also: tuple[str, ...] = ()) -> Period:
    """`from` and `to` (YYYY-MM-DD, UTC, `to` inclusive; the last 30 days by default) and `site`; any other
    argument is an error unless `also` names it."""
    allowed = ("from", "to", "site", *also)
    errors = {k: f"is not a filter (use {', '.join(allowed)})" for k in args if k not in allowed}
    today = utcnow().date()
    days = {}
    for key, default in (("to", today), ("from", None)):
        text = args.get(key, "")
        if not text:
            days[key] = default
            continue
        days[key] = None
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            try:
                days[key] = date.fromisoformat(text)
            except ValueError:  # 2026-02-30
                pass
        if days[key] is None:
            errors[key] = "must be a date: YYYY-MM-DD"
    site = None
    if args.get("site"):
        site = db.session.scalar(db.select(Site).filter_by(code=args["site"]))
        if site is None:
            errors["site"] = f"unknown site {args['site']!r}"
    if errors:
        raise Invalid(errors)
    last = days["to"]
    first = days["from"] or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid({"from": "must not be after to"})
    if last - first > LONGEST:
        raise Invalid({"from": "a period can be at most 10 years"})
    return Period(first, last, site)


def in_period(period: Period) -> list:
    conditions = [Incident.reported_at >= period.start, Incident.reported_at < period.end,
                  Incident.status != "cancelled"]
    if period.site is not None:
        conditions.append(Incident.site_id == period.site.id)
    return conditions


def _seconds(later, earlier):
    """Seconds from `earlier` to `later`, in the database's own arithmetic."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def _summaries(later_column, period: Period, by=None) -> dict:
    """count, median and p90 (nearest rank: the ⌈q·n⌉-th smallest) and mean of later - reported_at, for
    the whole period (key None) or for each value of `by` (a column such as the severity), in one query.
    PostgreSQL's percentile_disc is exactly the nearest rank; SQLite numbers the rows with a window."""
    duration = _seconds(later_column, Incident.reported_at)
    if db.session.get_bind().dialect.name == "postgresql":
        group = (by if by is not None else literal(None)).label("g")
        rows = db.session.execute(
            select(group, func.count(), func.percentile_disc(0.5).within_group(duration),
                   func.percentile_disc(0.9).within_group(duration), func.avg(duration))
            .where(*in_period(period), later_column.is_not(None)).group_by(group)).all()
    else:
        duration = duration.label("d")
        group = (by if by is not None else literal(None)).label("g")
        partition = {"partition_by": by} if by is not None else {}
        ranked = (select(group, duration, func.row_number().over(order_by=duration, **partition).label("rn"),
                         func.count().over(**partition).label("n"))
                  .where(*in_period(period), later_column.is_not(None)).subquery())
        g, n, rn, d = ranked.c.g, ranked.c.n, ranked.c.rn, ranked.c.d
        rows = db.session.execute(select(
            g, func.count(), func.max(case((rn == (n + 1) // 2, d))), func.max(case((rn == (9 * n + 9) // 10, d))),
            func.avg(d)).select_from(ranked).group_by(g)).all()
    found = {}
    for key, count, median, p90, mean in rows:
        rounded = [None if v is None else round(float(v), 3) for v in (median, p90, mean)]
        found[key] = {"count": count, "median": rounded[0], "p90": rounded[1], "mean": rounded[2]}
    return found


EMPTY = {"count": 0, "median": None, "p90": None, "mean": None}


def _summary(later_column, period: Period) -> dict:
    return _summaries(later_column, period).get(None, EMPTY)


def times_by_severity(period: Period) -> dict[str, dict]:
    """MTTA and MTTR for each severity: {"P1": {"mtta": {...}, "mttr": {...}}, ...}."""
    acked = _summaries(Incident.acknowledged_at, period, Incident.severity)
    resolved = _summaries(Incident.resolved_at, period, Incident.severity)
    return {s: {"mtta": acked.get(s, EMPTY), "mttr": resolved.get(s, EMPTY)} for s in SEVERITIES}


def _counts(column, period: Period, join=None) -> dict:
    query = select(column, func.count()).select_from(Incident)
    if join is not None:
        query = query.join(*join)
    rows = db.session.execute(query.where(*in_period(period)).group_by(column)).all()
    return {key: count for key, count in rows}


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


def _injuries(period: Period) -> dict:
    lost, recorded = db.session.execute(select(func.count().filter(lost_time_injury()),
                                               func.count().filter(recordable_injury()))
                                        .where(*in_period(period))).one()
    return _injury_rates(period, lost, recorded)


def _injury_rates(period: Period, lost: int, recorded: int) -> dict:
    hours, complete = _hours(period)
    # A rate over some months' (or sites') hours but all their injuries would be too high: none is shown
    # until every month of the period has its hours.
    counted_hours = hours if complete else None
    return {"lost_time": lost, "recordable": recorded, "hours_worked": hours,
            "ltifr": _rate(lost, counted_hours), "trifr": _rate(recorded, counted_hours)}


def injuries_by_site(period: Period) -> list[tuple[Site, dict]]:
    """LTIFR and TRIFR at each site (the period's site, or every site), with the hours they are based on."""
    sites = [period.site] if period.site else list(db.session.scalars(db.select(Site).order_by(Site.name)))
    return [(site, _injuries(Period(period.first, period.last, site))) for site in sites]


def _rate(count: int, hours: float | None) -> float | None:
    rate = frequency_rate(count, hours)
    return None if rate is None else round(rate, 2)


def _hours(period: Period) -> tuple[float | None, bool]:
    """Hours of every month the period overlaps (at the site, or everywhere), and whether every site has
    hours for every one of those months. None when none are entered."""
    months = [date(y, m, 1) for y, m in months_overlapping(period.first, period.last)]
    query = select(func.sum(SiteHours.hours), func.count()).where(SiteHours.month.in_(months))
    if period.site is not None:
        query = query.where(SiteHours.site_id == period.site.id)
    total, rows = db.session.execute(query).one()
    sites = 1 if period.site is not None else db.session.scalar(select(func.count(Site.id)))
    return (float(total) if rows else None), rows == len(months) * sites


def missing_hours(period: Period) -> list[tuple[Site, date]]:
    """The sites and months of the period with no hours entered (their rates are not shown)."""
    months = [date(y, m, 1) for y, m in months_overlapping(period.first, period.last)]
    sites = [period.site] if period.site else list(db.session.scalars(select(Site).order_by(Site.name)))
    have = set(db.session.execute(select(SiteHours.site_id, SiteHours.month).where(SiteHours.month.in_(months))).all())
    return [(site, month) for site in sites for month in months if (site.id, month) not in have]


OBLIGATION_COUNTED = (Obligation.deadline.is_not(None), Obligation.applies.is_(True),
                      Obligation.status.in_(("due", "done")))


def obligation_outcome(outcome: str, now: datetime):
    """deadline_outcome() in SQL: on_time (done by the deadline), late (done after it, or open past it)."""
    if outcome == "on_time":
        return and_(Obligation.done_at.is_not(None), Obligation.done_at <= Obligation.deadline)
    return or_(and_(Obligation.done_at.is_not(None), Obligation.done_at > Obligation.deadline),
               and_(Obligation.done_at.is_(None), Obligation.status == "due", Obligation.deadline < now))


def _obligations(period: Period, now: datetime) -> dict:
    row = db.session.execute(
        select(*(func.count().filter(obligation_outcome(o, now)) for o in ("on_time", "late")))
        .join(Incident, Incident.id == Obligation.incident_id)
        .where(*in_period(period), *OBLIGATION_COUNTED)).one()
    return {"on_time": row[0], "late": row[1]}


def action_outcome_sql(outcome: str, now: datetime):
    """action_outcome() in SQL: on_time, late (done after the due time), open_overdue."""
    done = CorrectiveAction.done_at.is_not(None)
    return {"on_time": and_(done, CorrectiveAction.done_at <= CorrectiveAction.due_at),
            "late": and_(done, CorrectiveAction.done_at > CorrectiveAction.due_at),
            "open_overdue": and_(CorrectiveAction.done_at.is_(None), CorrectiveAction.due_at < now)}[outcome]


ACTION_OUTCOMES = ("on_time", "late", "open_overdue")


def _actions(period: Period, now: datetime) -> dict:
    row = db.session.execute(
        select(*(func.count().filter(action_outcome_sql(o, now)) for o in ACTION_OUTCOMES))
        .join(Incident, Incident.id == CorrectiveAction.incident_id).where(*in_period(period))).one()
    return dict(zip(ACTION_OUTCOMES, row))


DUE_COLUMNS = {"response": (Incident.acknowledged_at, Incident.response_due_at),
               "resolution": (Incident.resolved_at, Incident.resolution_due_at)}


def clock_outcome_sql(clock: str, outcome: str, now: datetime):
    """clock_outcome() in SQL over the kept due times: met (by the due time), breached (after it, or not
    yet and it has passed). An incident whose due times are still to be worked out matches neither."""
    met_at, due = DUE_COLUMNS[clock]
    if outcome == "met":
        return and_(met_at.is_not(None), met_at <= due)
    return or_(met_at > due, and_(met_at.is_(None), due < now))


def unknown_outcomes(period: Period, now: datetime, *where) -> list[tuple[str, str, str, int]]:
    """(severity, clock, outcome, incident id) of the incidents with a due time still to be worked out
    (new targets, a site's new calendar: the worker stores it on its next look), worked out here; a due
    time that is kept (a clock that stopped) is used as it is."""
    overrides = Organisation.current().sla_targets
    rows = db.session.execute(
        select(Incident.id, Incident.severity, Incident.reported_at, Incident.acknowledged_at, Incident.resolved_at,
               Incident.response_due_at, Incident.resolution_due_at, Site.timezone, Site.jurisdiction)
        .join(Site, Site.id == Incident.site_id).where(*in_period(period), Incident.due_unknown(), *where))
    found = []
    for incident_id, severity, reported, acknowledged, resolved, response_due, resolution_due, zone, place in rows:
        kept = {"response": response_due, "resolution": resolution_due}
        for clock in clocks(severity=severity, reported_at=reported, acknowledged_at=acknowledged, resolved_at=resolved,
                            zone=zone, jurisdiction=place, overrides=overrides):
            outcome = clock_outcome(kept[clock.name] or clock.due, clock.met_at, now)
            if outcome:
                found.append((severity, clock.name, outcome, incident_id))
    return found


def repeats_a_cause():
    """The incident's root-cause category repeats another's at the same site within 90 days (by when
    they happened), as a condition on the incident. Each site's incidents of a category are put in order
    of when they happened: an incident repeats exactly when the one before it or after it is within 90
    days, so one pass over the investigations answers it (pairing every investigation with every other
    of its category does not finish at a million incidents)."""
    at = Incident.occurred_at
    places = {"partition_by": (Incident.site_id, Investigation.root_cause_category), "order_by": (at, Incident.id)}
    ordered = (select(Incident.id.label("id"), at.label("at"), func.lag(at).over(**places).label("before"),
                      func.lead(at).over(**places).label("after"))
               .join(Investigation, Investigation.incident_id == Incident.id)
               .where(Investigation.root_cause_category.is_not(None), Incident.status != "cancelled").subquery())
    window = REPEAT_WINDOW.total_seconds()
    return Incident.id.in_(select(ordered.c.id).where(or_(_seconds(ordered.c.at, ordered.c.before) <= window,
                                                          _seconds(ordered.c.after, ordered.c.at) <= window)))


def _repeat_causes(period: Period) -> int:
    return db.session.scalar(select(func.count()).select_from(Incident).where(*in_period(period),
                                                                               repeats_a_cause()))


def _per_severity(period: Period, now: datetime) -> dict[str, dict]:
    """One pass over the period's incidents: per severity, how many, how many high potential, near misses,
    lost-time and recordable injuries, and each SLA clock met and breached (from the kept due times)."""
    known = ~Incident.due_unknown()
    columns = {
        "total": func.count(),
        "high_potential": func.count().filter(Incident.high_potential.is_(True)),
        "near_misses": func.count().filter(what_happened("near_miss")),
        "lost_time": func.count().filter(lost_time_injury()),
        "recordable": func.count().filter(recordable_injury()),
        **{f"{clock}:{outcome}": func.count().filter(and_(known, clock_outcome_sql(clock, outcome, now)))
           for clock in CLOCKS for outcome in ("met", "breached")},
    }
    rows = db.session.execute(select(Incident.severity, *columns.values()).where(*in_period(period))
                              .group_by(Incident.severity))
    found = {s: dict.fromkeys(columns, 0) for s in SEVERITIES}
    for severity, *values in rows:
        found[severity] = dict(zip(columns, values))
    return found


def metrics(period: Period, now: datetime) -> dict:
    counted = _per_severity(period, now)
    by_severity = {s: counted[s]["total"] for s in SEVERITIES}
    by_category = {c: 0 for c in CATEGORIES} | _counts(
        IncidentCategory.name, period, (IncidentCategory, IncidentCategory.incident_id == Incident.id))
    by_site = _counts(Site.code, period, (Site, Site.id == Incident.site_id))
    sla = {s: {c: {o: counted[s][f"{c}:{o}"] for o in ("met", "breached")} for c in CLOCKS} for s in SEVERITIES}
    for severity, clock, outcome, _incident in unknown_outcomes(period, now):
        sla[severity][clock][outcome] += 1
    lost, recorded = (sum(counted[s][k] for s in SEVERITIES) for k in ("lost_time", "recordable"))
    return {
        "period": period.to_json(),
        "incidents": {"total": sum(by_severity.values()), "by_severity": by_severity, "by_category": by_category,
                      "by_site": by_site},
        "mtta_seconds": _summary(Incident.acknowledged_at, period),
        "mttr_seconds": _summary(Incident.resolved_at, period),
        "sla": sla,
        "obligations": _obligations(period, now),
        "actions": _actions(period, now),
        "injuries": _injury_rates(period, lost, recorded),
        "high_potential": sum(counted[s]["high_potential"] for s in SEVERITIES),
        "near_misses": sum(counted[s]["near_misses"] for s in SEVERITIES),
        "repeat_causes": _repeat_causes(period),
    }


def _bucket(unit: str):
    """The start of each incident's week (Monday) or month, as text YYYY-MM-DD, in the database."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.date_trunc(unit, Incident.reported_at), "YYYY-MM-DD")
    if unit == "week":
        return func.date(Incident.reported_at, "weekday 0", "-6 days")
    return func.date(Incident.reported_at, "start of month")


SPLITS = {  # what a chart over time can split incidents by: the column, and what to join for it
    "severity": (Incident.severity, None),
    "category": (IncidentCategory.name, (IncidentCategory, IncidentCategory.incident_id == Incident.id)),
    "site": (Site.code, (Site, Site.id == Incident.site_id)),
}


def over_time(period: Period, by: str = "severity") -> tuple[str, list[tuple[date, dict[str, int]]]]:
    """Incidents per week (a period up to 13 weeks) or month, split `by` severity, category or site:
    (unit, [(start, {value: n})]), every week or month of the period included."""
    unit = "week" if (period.last - period.first).days <= 91 else "month"
    bucket = _bucket(unit).label("bucket")
    column, join = SPLITS[by]
    query = select(bucket, column, func.count()).select_from(Incident)
    if join is not None:
        query = query.join(*join)
    rows = db.session.execute(query.where(*in_period(period)).group_by(bucket, column)).all()
    found: dict[date, dict[str, int]] = {}
    for start, value, count in rows:
        found.setdefault(date.fromisoformat(str(start)[:10]), {})[value] = count
    starts, day = [], _first_bucket(period.first, unit)
    while day <= period.last:
        starts.append(day)
        day = day + timedelta(days=7) if unit == "week" else date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return unit, [(start, found.get(start, {})) for start in starts]


def _first_bucket(day: date, unit: str) -> date:
    return day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)
