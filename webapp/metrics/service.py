"""The metrics of REFERENCE section 8 for a period (and a site), aggregated in the database.

Every figure is over the incidents reported in the period (`reported_at`), cancelled ones left out. The
definitions are `rules/metrics.py`, their SQL `sql.py`. The counts come from each site's day as counted
and kept (rollup.py), and the days not kept are counted from the incidents; a median or 90th percentile
finds its bucket among the kept counts of durations and reads just that bucket's durations, in order,
from their index. SLA outcomes are counted from the due times kept on each incident (sla/tracking.py:
business-day targets need the site's calendar, so they are worked out in Python once, when the clocks
move, not per query).
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import case, func, literal, select

from ..common.errors import Invalid
from ..database import utcnow
from ..extensions import db
from ..incidents.models import Incident
from ..organisation.models import Site, SiteHours
from ..rules.classification import CATEGORIES, SEVERITIES
from ..rules.metrics import QUANTILES, bucket_range, frequency_rate, locate, months_overlapping, rank
from ..sla.rules import CLOCKS
from .rollup import MEASURES, Totals, read, read_days
from .sql import ACTION_OUTCOMES, CLOCK_OUTCOMES, is_postgres


@dataclass(frozen=True)
class Period:
    first: date  # inclusive, UTC
    last: date  # inclusive, UTC
    site: Site | None = None

    @property
    def start(self) -> datetime:
        return datetime.combine(self.first, time(0), tzinfo=UTC)

    @property
    def end(self) -> datetime:  # exclusive
        return datetime.combine(self.last + timedelta(days=1), time(0), tzinfo=UTC)

    def to_json(self) -> dict:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(),
                "site": self.site.code if self.site else None}


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


def _summaries(column, period: Period, by=None) -> dict:
    """count, median and p90 (nearest rank: the ⌈q·n⌉-th smallest) and mean of a kept duration column, for
    the whole period (key None) or for each value of `by` (a column such as the severity), in one query.
    PostgreSQL's percentile_disc is exactly the nearest rank; SQLite numbers the rows with a window."""
    if is_postgres():
        group = (by if by is not None else literal(None)).label("g")
        rows = db.session.execute(
            select(group, func.count(), func.percentile_disc(0.5).within_group(column),
                   func.percentile_disc(0.9).within_group(column), func.avg(column))
            .where(*in_period(period), column.is_not(None)).group_by(group)).all()
    else:
        duration = column.label("d")
        group = (by if by is not None else literal(None)).label("g")
        partition = {"partition_by": by} if by is not None else {}
        ranked = (select(group, duration, func.row_number().over(order_by=duration, **partition).label("rn"),
                         func.count().over(**partition).label("n"))
                  .where(*in_period(period), column.is_not(None)).subquery())
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


def _nth(column, period: Period, severity: str | None, histogram: dict[int, int], wanted: int) -> float | None:
    """The `wanted`-th smallest duration: its bucket from the counts, then that bucket's durations read in
    order from the duration's index (one bucket's entries, however long the period)."""
    place = locate(histogram, wanted)
    if place is None:
        return None
    bucket, before = place
    low, high = bucket_range(bucket)
    where = [*in_period(period), column.is_not(None)]
    where += [Incident.severity == severity] if severity else []
    where += [column >= low] if low is not None else []
    where += [column < high] if high is not None else []
    return db.session.scalar(select(column).where(*where).order_by(column).offset(before).limit(1))


def _summary(totals: Totals, measure: str, period: Period, severity: str | None = None) -> dict:
    """count, median and p90 (nearest rank: the ⌈q·n⌉-th smallest) and mean of a measure (mtta, mttr)."""
    histogram, seconds = totals.histogram(measure, severity)
    count = sum(histogram.values())
    if not count:
        return EMPTY
    found = {"count": count, "mean": round(seconds / count, 3)}
    for name, quantile in QUANTILES.items():
        value = _nth(MEASURES[measure], period, severity, histogram, rank(count, quantile))
        if value is None:  # an incident changed between the counts and the reading: ask the database outright
            exact = _summaries(MEASURES[measure], period, Incident.severity if severity else None)
            return exact.get(severity, EMPTY)
        found[name] = round(float(value), 3)
    return {key: found[key] for key in EMPTY}


def times_by_severity(period: Period, now: datetime | None = None, totals: Totals | None = None) -> dict[str, dict]:
    """MTTA and MTTR for each severity: {"P1": {"mtta": {...}, "mttr": {...}}, ...}."""
    totals = totals or read(period.first, period.last, period.site, now or utcnow())
    return {s: {m: _summary(totals, m, period, s) for m in MEASURES} for s in SEVERITIES}


def injuries_by_site(period: Period, now: datetime | None = None,
                     totals: Totals | None = None) -> list[tuple[Site, dict]]:
    """LTIFR and TRIFR at each site (the period's site, or every site), with the hours they are based on."""
    totals = totals or read(period.first, period.last, period.site, now or utcnow())
    sites = [period.site] if period.site else list(db.session.scalars(db.select(Site).order_by(Site.name)))
    return [(site, _injury_rates(Period(period.first, period.last, site), totals.n("lost_time", site=site.id),
                                 totals.n("recordable", site=site.id))) for site in sites]


def _injury_rates(period: Period, lost: int, recorded: int) -> dict:
    hours, complete = _hours(period)
    # A rate over some months' (or sites') hours but all their injuries would be too high: none is shown
    # until every month of the period has its hours.
    counted_hours = hours if complete else None
    return {"lost_time": lost, "recordable": recorded, "hours_worked": hours,
            "ltifr": _rate(lost, counted_hours), "trifr": _rate(recorded, counted_hours)}


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


def metrics(period: Period, now: datetime, totals: Totals | None = None) -> dict:
    totals = totals or read(period.first, period.last, period.site, now)
    codes = dict(db.session.execute(select(Site.id, Site.code)).all())
    by_site = {codes[site]: n for site in codes if (n := totals.n("total", site=site))}
    return {
        "period": period.to_json(),
        "incidents": {"total": totals.n("total"), "by_severity": {s: totals.n("total", s) for s in SEVERITIES},
                      "by_category": {c: 0 for c in CATEGORIES} | totals.by("category:"), "by_site": by_site},
        "mtta_seconds": _summary(totals, "mtta", period),
        "mttr_seconds": _summary(totals, "mttr", period),
        "sla": {s: {c: {o: totals.n(f"{c}:{o}", s) for o in CLOCK_OUTCOMES} for c in CLOCKS} for s in SEVERITIES},
        "obligations": {o: totals.n(f"obligations:{o}") for o in ("on_time", "late")},
        "actions": {o: totals.n(f"actions:{o}") for o in ACTION_OUTCOMES},
        "injuries": _injury_rates(period, totals.n("lost_time"), totals.n("recordable")),
        "high_potential": totals.n("high_potential"),
        "near_misses": totals.n("near_misses"),
        "repeat_causes": totals.n("repeat_causes"),
    }


def per_day(period: Period, now: datetime) -> dict[tuple[int, date, str, str], int]:
    """What the charts over time need of each day: the incidents (per site and severity) and their categories."""
    return read_days(period.first, period.last, period.site, now, ("total", "category:"))


def over_time(period: Period, by: str = "severity", now: datetime | None = None,
              days: dict | None = None) -> tuple[str, list[tuple[date, dict[str, int]]]]:
    """Incidents per week (a period up to 13 weeks) or month, split `by` severity, category or site:
    (unit, [(start, {value: n})]), every week or month of the period included. `days`: per_day(), read
    once for several charts."""
    unit = "week" if (period.last - period.first).days <= 91 else "month"
    days = days if days is not None else per_day(period, now or utcnow())
    codes = dict(db.session.execute(select(Site.id, Site.code)).all())
    found: dict[date, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (site, day, severity, figure), n in days.items():
        if by == "category":
            if figure.startswith("category:"):
                found[_first_bucket(day, unit)][figure.removeprefix("category:")] += n
        elif figure == "total":
            found[_first_bucket(day, unit)][severity if by == "severity" else codes[site]] += n
    starts, day = [], _first_bucket(period.first, unit)
    while day <= period.last:
        starts.append(day)
        day = day + timedelta(days=7) if unit == "week" else date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return unit, [(start, dict(found.get(start, {}))) for start in starts]


def _first_bucket(day: date, unit: str) -> date:
    return day - timedelta(days=day.weekday()) if unit == "week" else day.replace(day=1)
