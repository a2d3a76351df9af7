"""Each site's day, counted once and kept: a year of metrics adds up a few thousand kept counts instead of
reading a million incidents, and a median reads one bucket of durations instead of sorting them all.

- **Counting** (`count_figures`) asks the database for every figure of REFERENCE section 8 over a set of
  incidents, per site and severity (and per day): the same SQL serves the kept days and the days that
  are not kept, so the two can never count differently.
- **Marks**: whatever changes a figure (an incident's facts, times, status, categories; its steps,
  actions and investigation; a repeat cause's neighbours; new SLA targets or a site's calendar) writes
  a mark for the site's day in the same transaction, from the ORM's flush, so no view has to remember to.
  Marks are only inserted by changes and deleted by the count that read them: a change committed while
  a day is being counted keeps its mark for the next count.
- **Kept days** hold as long as nothing marked them and no deadline among their open work has passed
  (a running SLA clock, an open step, an open action: `valid_until`); the worker counts marked, expired
  and missing days again, a week a pass (`refresh`), one worker at a time on PostgreSQL, after the pass's
  pages have gone out.
- **Reading** (`read`) takes the kept days' sums and the day list in one statement (one snapshot), and
  counts every other day of the period from the incidents, so a figure is never stale and never counted
  twice, whether or not a worker runs.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import Flask
from sqlalchemy import (
    Date,
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    delete,
    event,
    func,
    insert,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import get_history

from ..database import fields_changed, utcnow
from ..extensions import db
from ..incidents.lifecycle import OPEN_STATUSES
from ..incidents.models import Incident, IncidentCategory
from ..learning.models import CorrectiveAction, Investigation
from ..notify.worker import Job, register
from ..obligations.models import Obligation
from ..organisation.models import Organisation, Site
from ..rules.learning import REPEAT_WINDOW
from ..rules.metrics import DURATION_BOUNDS
from ..sla.tracking import SITE_FIELDS  # what moves the clocks of a site's incidents
from .models import MetricCount, MetricDay, MetricMark
from .sql import (
    ACTION_OUTCOMES,
    CLOCK_OUTCOMES,
    DUE_COLUMNS,
    OBLIGATION_COUNTED,
    action_outcome_sql,
    clock_outcome_sql,
    is_postgres,
    lost_time_injury,
    obligation_outcome,
    recordable_injury,
    repeats_a_cause,
    unknown_outcomes,
    what_happened,
)

BATCH_DAYS = 7  # site-days counted in one worker pass (a week of one site: under half a second at 1M)
MARKS_READ = 5000
LOCK = 0x6D657472  # PostgreSQL advisory lock: one worker counts at a time (a slower one can't overwrite)
MEASURES = {"mtta": Incident.ack_seconds, "mttr": Incident.resolve_seconds}

Key = tuple  # (site_id, day or None, severity, figure)


def utc_day(column):
    """The UTC date of a stored (naive UTC) time, in the database."""
    return cast(column, Date) if is_postgres() else func.date(column)


def as_date(value) -> date:
    return value if type(value) is date else date.fromisoformat(str(value)[:10])


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def runs(days: set[tuple[int, date]]) -> list[tuple[int, date, date]]:
    """Site-days as runs of consecutive days: (site, first, last)."""
    found: list[tuple[int, date, date]] = []
    for site, day in sorted(days):
        if found and found[-1][0] == site and found[-1][2] + timedelta(days=1) == day:
            found[-1] = (site, found[-1][1], day)
        else:
            found.append((site, day, day))
    return found


def scope(days: set[tuple[int, date]]):
    """The incidents reported on those site-days (as a few index ranges), cancelled ones left out."""
    return and_(or_(*(and_(Incident.site_id == site, Incident.reported_at >= day_start(first),
                           Incident.reported_at < day_start(last + timedelta(days=1)))
                      for site, first, last in runs(days))),
                Incident.status != "cancelled")


def duration_bucket_sql(column):
    return case(*((column < bound, k) for k, bound in enumerate(DURATION_BOUNDS)), else_=len(DURATION_BOUNDS))


@dataclass
class Counted:
    figures: dict[Key, list] = field(default_factory=lambda: defaultdict(lambda: [0, 0.0]))
    valid_until: dict[tuple[int, date], datetime] = field(default_factory=dict)

    def add(self, key: Key, n: int, seconds: float = 0.0) -> None:
        if n:
            cell = self.figures[key]
            cell[0] += n
            cell[1] += seconds or 0.0

    def until(self, place: tuple[int, date], moment: datetime | None) -> None:
        if moment is not None:
            held = self.valid_until.get(place)
            self.valid_until[place] = moment if held is None else min(held, moment)


def count_figures(days: set[tuple[int, date]], now: datetime, by_day: bool) -> Counted:
    """Every figure of the incidents reported on those site-days, per site and severity (and day)."""
    counted = Counted()
    if not days:
        return counted
    where = scope(days)
    day = utc_day(Incident.reported_at).label("day")
    group = [Incident.site_id, Incident.severity, *([day] if by_day else [])]

    def rows(query, *extra):
        for site, severity, *rest in db.session.execute(query.group_by(*group, *extra)):
            when = as_date(rest.pop(0)) if by_day else None
            yield site, when, severity, rest

    known = ~Incident.due_unknown()
    plain = {"total": func.count(), "high_potential": func.count().filter(Incident.high_potential.is_(True)),
             "near_misses": func.count().filter(what_happened("near_miss")),
             "lost_time": func.count().filter(lost_time_injury()),
             "recordable": func.count().filter(recordable_injury()),
             **{f"{clock}:{outcome}": func.count().filter(and_(known, clock_outcome_sql(clock, outcome, now)))
                for clock in DUE_COLUMNS for outcome in CLOCK_OUTCOMES}}
    turns = [func.min(case((and_(met.is_(None), due >= now), due))) for met, due in DUE_COLUMNS.values()]
    for site, when, severity, values in rows(select(*group, *plain.values(), *turns).where(where)):
        for name, n in zip(plain, values, strict=False):  # then the turns
            counted.add((site, when, severity, name), n)
        for moment in values[len(plain):]:
            counted.until((site, when), moment)

    category = select(*group, IncidentCategory.name, func.count()).join(
        IncidentCategory, IncidentCategory.incident_id == Incident.id).where(where)
    for site, when, severity, (name, n) in rows(category, IncidentCategory.name):
        counted.add((site, when, severity, f"category:{name}"), n)

    steps = select(*group, *(func.count().filter(obligation_outcome(o, now)) for o in ("on_time", "late")),
                   func.min(case((and_(Obligation.done_at.is_(None), Obligation.status == "due",
                                       Obligation.deadline >= now), Obligation.deadline)))
                   ).join(Incident, Incident.id == Obligation.incident_id).where(where, *OBLIGATION_COUNTED)
    for site, when, severity, (on_time, late, turn) in rows(steps):
        counted.add((site, when, severity, "obligations:on_time"), on_time)
        counted.add((site, when, severity, "obligations:late"), late)
        counted.until((site, when), turn)

    actions = select(*group, *(func.count().filter(action_outcome_sql(o, now)) for o in ACTION_OUTCOMES),
                     func.min(case((and_(CorrectiveAction.done_at.is_(None), CorrectiveAction.due_at >= now),
                                    CorrectiveAction.due_at)))
                     ).join(Incident, Incident.id == CorrectiveAction.incident_id).where(where)
    for site, when, severity, values in rows(actions):
        for outcome, n in zip(ACTION_OUTCOMES, values, strict=False):  # then the turn
            counted.add((site, when, severity, f"actions:{outcome}"), n)
        counted.until((site, when), values[-1])

    near = _neighbourhood(where, {site for site, _ in days})
    if near is not None:
        for site, when, severity, (n,) in rows(select(*group, func.count()).where(where, repeats_a_cause(near))):
            counted.add((site, when, severity, "repeat_causes"), n)

    for name, column in MEASURES.items():
        bucket = duration_bucket_sql(column).label("bucket")
        histogram = select(*group, bucket, func.count(), func.sum(column)).where(where, column.is_not(None))
        for site, when, severity, (k, n, seconds) in rows(histogram, bucket):
            counted.add((site, when, severity, f"{name}:{k}"), n, seconds)

    for clock in unknown_outcomes([where], now):  # due times the worker is still to keep: worked out here
        when = clock.reported_at.date() if by_day else None
        if clock.outcome:
            counted.add((clock.site_id, when, clock.severity, f"{clock.clock}:{clock.outcome}"), 1)
        if clock.met_at is None and clock.due >= now:
            counted.until((clock.site_id, when), clock.due)
    return counted


def _neighbourhood(where, sites: set[int]):
    """The investigations a repeat cause among these incidents could pair with: at their sites, within the
    repeat window of the first and last of them (None when none of them has a root cause)."""
    first, last = db.session.execute(
        select(func.min(Incident.occurred_at), func.max(Incident.occurred_at))
        .join(Investigation, Investigation.incident_id == Incident.id)
        .where(where, Investigation.root_cause_category.is_not(None))).one()
    if first is None:
        return None
    return and_(Incident.site_id.in_(sites), Incident.occurred_at >= first - REPEAT_WINDOW,
                Incident.occurred_at <= last + REPEAT_WINDOW)


# ---- reading ----------------------------------------------------------------------------------------------

@dataclass
class Totals:
    """A period's figures: (site id, severity, figure) -> [n, seconds]."""

    figures: dict[tuple[int, str, str], list]

    def n(self, figure: str, severity: str | None = None, site: int | None = None) -> int:
        return sum(v[0] for (s, sev, f), v in self.figures.items()
                   if f == figure and severity in (None, sev) and site in (None, s))

    def histogram(self, measure: str, severity: str | None = None) -> tuple[dict[int, int], float]:
        """A measure's bucket counts (all sites, one severity or all) and the seconds they add up to."""
        counts: dict[int, int] = defaultdict(int)
        seconds = 0.0
        prefix = f"{measure}:"
        for (_site, sev, figure), (n, total) in self.figures.items():
            if figure.startswith(prefix) and severity in (None, sev):
                counts[int(figure[len(prefix):])] += n
                seconds += total
        return dict(counts), seconds

    def by(self, prefix: str) -> dict[str, int]:
        """Every figure named prefix:<name>, added up over sites and severities: {name: n}."""
        found: dict[str, int] = defaultdict(int)
        for (_site, _sev, figure), (n, _seconds) in self.figures.items():
            if figure.startswith(prefix):
                found[figure[len(prefix):]] += n
        return dict(found)


def _named(figure, name: str):
    """`figure` is the one named, or one of them when the name ends in a colon (works on text and on the
    figure column alike)."""
    return figure.startswith(name) if name.endswith(":") else figure == name


def _gathered(first: date, last: date, site: Site | None, now: datetime, by_day: bool,
              only: tuple[str, ...] = ()) -> dict[Key, list]:
    """(site, day or None, severity, figure) -> [n, seconds] for the incidents reported from `first` to
    `last` (inclusive) at the site or everywhere: the kept days' sums and the list of those days in one
    statement (one snapshot), then every other day counted from the incidents. `only`: the figures named
    so, or starting so when the name ends in a colon (all figures when empty)."""
    kept_days = select(MetricDay.site_id, MetricDay.day).where(
        MetricDay.day >= first, MetricDay.day <= last, MetricDay.as_of <= now,
        or_(MetricDay.valid_until.is_(None), MetricDay.valid_until >= now),
        ~select(MetricMark.id).where(MetricMark.site_id == MetricDay.site_id, MetricMark.day == MetricDay.day)
        .exists())
    if site is not None:
        kept_days = kept_days.where(MetricDay.site_id == site.id)
    kept_days = kept_days.cte("kept_days")
    group = [MetricCount.site_id, MetricCount.severity, MetricCount.figure, *([MetricCount.day] if by_day else [])]
    sums = (select(*group[:3], func.sum(MetricCount.n), func.sum(MetricCount.seconds),
                   MetricCount.day if by_day else cast(null(), Date))
            .join(kept_days, and_(kept_days.c.site_id == MetricCount.site_id, kept_days.c.day == MetricCount.day))
            .group_by(*group))
    if only:
        sums = sums.where(or_(*(_named(MetricCount.figure, name) for name in only)))
    listed = select(kept_days.c.site_id, cast(null(), String), cast(null(), String), cast(null(), Integer),
                    cast(null(), Float), kept_days.c.day)
    figures: dict[Key, list] = defaultdict(lambda: [0, 0.0])
    kept = set()
    for site_id, severity, figure, n, seconds, day in db.session.execute(union_all(sums, listed)):
        if figure is None:
            kept.add((site_id, as_date(day)))
        else:
            figures[(site_id, as_date(day) if by_day else None, severity, figure)] = [int(n), float(seconds)]
    sites = [site.id] if site is not None else list(db.session.scalars(select(Site.id)))
    every = {(s, first + timedelta(days=i)) for s in sites for i in range((last - first).days + 1)}
    for key, (n, seconds) in count_figures(every - kept, now, by_day).figures.items():
        if only and not any(_named(key[3], name) for name in only):
            continue
        cell = figures[key]
        cell[0] += n
        cell[1] += seconds
    return figures


def read(first: date, last: date, site: Site | None, now: datetime) -> Totals:
    """Every figure of the incidents reported from `first` to `last` at the site or everywhere."""
    return Totals({(s, severity, figure): cell
                   for (s, _day, severity, figure), cell in _gathered(first, last, site, now, False).items()})


def read_days(first: date, last: date, site: Site | None, now: datetime,
              only: tuple[str, ...]) -> dict[tuple[int, date, str, str], int]:
    """Each day's figures named in `only` (as for _gathered): (site, day, severity, figure) -> n."""
    return {key: cell[0] for key, cell in _gathered(first, last, site, now, True, only).items()}


# ---- keeping the days -------------------------------------------------------------------------------------

def stale_days(now: datetime) -> tuple[set[tuple[int, date]], list[tuple[int, int, date]]]:
    """Site-days to count again (marked, past their valid_until, or never counted) and the marks read."""
    marks = db.session.execute(select(MetricMark.id, MetricMark.site_id, MetricMark.day)
                               .order_by(MetricMark.id).limit(MARKS_READ)).all()
    stale = {(site, as_date(day)) for _id, site, day in marks}
    stale |= {(site, as_date(day)) for site, day in db.session.execute(
        select(MetricDay.site_id, MetricDay.day).where(MetricDay.valid_until < now).limit(MARKS_READ))}
    first = db.session.scalar(select(func.min(Incident.reported_at)))
    if first is not None:
        start, today = first.date(), now.date()
        sites = list(db.session.scalars(select(Site.id)))
        wanted = len(sites) * ((today - start).days + 1)
        if db.session.scalar(select(func.count()).select_from(MetricDay).where(MetricDay.day >= start,
                                                                                 MetricDay.day <= today)) < wanted:
            have = {(s, as_date(d)) for s, d in db.session.execute(
                select(MetricDay.site_id, MetricDay.day).where(MetricDay.day >= start, MetricDay.day <= today))}
            stale |= {(s, start + timedelta(days=i)) for s in sites
                      for i in range((today - start).days + 1)} - have
    return stale, [(mark_id, site, as_date(day)) for mark_id, site, day in marks]


def refresh(now: datetime, batch: int = BATCH_DAYS) -> int:
    """Count up to `batch` stale site-days again (the newest first) and keep them; returns how many."""
    if is_postgres() and not db.session.scalar(select(func.pg_try_advisory_xact_lock(LOCK))):
        db.session.rollback()
        return 0  # another worker is counting
    stale, marks = stale_days(now)
    chosen = set(sorted(stale, key=lambda place: (place[1], place[0]), reverse=True)[:batch])
    if not chosen:
        db.session.commit()
        return 0
    counted = count_figures(chosen, now, True)
    for site, first, last in runs(chosen):
        for model in (MetricCount, MetricDay):
            db.session.execute(delete(model).where(model.site_id == site, model.day >= first, model.day <= last))
    db.session.execute(insert(MetricDay), [{"site_id": s, "day": d, "as_of": now,
                                            "valid_until": counted.valid_until.get((s, d))} for s, d in chosen])
    rows = [{"site_id": s, "day": d, "severity": severity, "figure": figure, "n": n, "seconds": seconds}
            for (s, d, severity, figure), (n, seconds) in counted.figures.items()]
    if rows:
        db.session.execute(insert(MetricCount), rows)
    seen = [mark_id for mark_id, site, day in marks if (site, day) in chosen]
    for start in range(0, len(seen), 1000):
        db.session.execute(delete(MetricMark).where(MetricMark.id.in_(seen[start:start + 1000])))
    db.session.commit()
    return len(chosen)


def refresh_all(now: datetime | None = None) -> int:
    """Count every stale day now (tests; the worker does it a week a pass)."""
    total = 0
    while counted := refresh(now or utcnow()):
        total += counted
    return total


def init_app(app: Flask) -> None:
    register(app, Job("metrics days", refresh, order=110))  # after the deliveries: a page never waits


# ---- marking what changed ---------------------------------------------------------------------------------

# Every column a figure reads. Marks come from the ORM's flush: a Core UPDATE of any of these (today there
# is none; the SLA due times the worker stores are the ones unknown_outcomes works out) would need its own.
INCIDENT_FIELDS = ("status", "severity", "answers", "high_potential", "reported_at", "site_id", "acknowledged_at",
                   "resolved_at", "response_due_at", "resolution_due_at", "occurred_at",
                   "category_rows")  # a category dropped as an orphan is not in session.deleted
NEIGHBOUR_FIELDS = ("occurred_at", "site_id", "status")  # what moves an incident among repeat causes
OBLIGATION_FIELDS = ("status", "done_at", "deadline", "applies", "incident_id")
ACTION_FIELDS = ("done_at", "due_at", "incident_id")
CHILD_FIELDS = {Obligation: OBLIGATION_FIELDS, CorrectiveAction: ACTION_FIELDS}


def _before(obj, name):
    history = get_history(obj, name)
    return history.deleted[0] if history.deleted else getattr(obj, name)


@event.listens_for(Session, "after_flush")
def _mark(session: Session, _context) -> None:
    incidents: set[int] = set()
    places: set[tuple[int, date]] = set()  # where a moved or deleted incident was
    neighbours: list[tuple[int, int | None, datetime | None, set]] = []  # (incident, site, occurred, causes)
    open_sites: set[int] | None = None
    everywhere = False
    for obj, gone in [(o, False) for o in (*session.new, *session.dirty)] + [(o, True) for o in session.deleted]:
        fresh = obj in session.new or gone
        if isinstance(obj, Incident) and (fresh or fields_changed(obj, INCIDENT_FIELDS)):
            incidents.add(obj.id)  # where it is now (read back after the flush)
            site, reported = _before(obj, "site_id"), _before(obj, "reported_at")
            moved = gone or (obj not in session.new and fields_changed(obj, ("site_id", "reported_at")))
            if moved and site is not None and reported is not None:
                places.add((site, reported.astimezone(UTC).date()))  # and where it was
            if not fresh and fields_changed(obj, NEIGHBOUR_FIELDS):
                neighbours.append((obj.id, site, _before(obj, "occurred_at"), set()))
        elif isinstance(obj, IncidentCategory) and fresh:
            incidents.add(obj.incident_id)
        elif type(obj) in CHILD_FIELDS and (fresh or fields_changed(obj, CHILD_FIELDS[type(obj)])):
            incidents.update({obj.incident_id, _before(obj, "incident_id")})
        elif isinstance(obj, Investigation) and (fresh or fields_changed(obj, ("root_cause_category",))):
            incidents.add(obj.incident_id)
            causes = {obj.root_cause_category, _before(obj, "root_cause_category")} - {None}
            if causes:
                neighbours.append((obj.incident_id, None, None, causes))
        elif isinstance(obj, Organisation) and not fresh and fields_changed(obj, ("sla_targets",)):
            everywhere = True
        elif isinstance(obj, Site) and not fresh and fields_changed(obj, SITE_FIELDS):  # a new site has no incidents
            open_sites = (open_sites or set()) | {obj.id}
    if not (incidents or places or neighbours or everywhere or open_sites):
        return
    connection = session.connection()
    marks = MetricMark.__table__
    incident = Incident.__table__
    incidents.discard(None)
    if incidents:
        connection.execute(insert(marks).from_select(["site_id", "day"], select(
            incident.c.site_id, utc_day(incident.c.reported_at)).where(incident.c.id.in_(incidents))))
    if places:
        connection.execute(insert(marks), [{"site_id": s, "day": d} for s, d in places])
    for incident_id, site, occurred, causes in neighbours:
        _mark_neighbours(connection, incident_id, site, occurred, causes)
    if everywhere or open_sites:  # running clocks' due times are worked out again (sla/tracking.py), and
        # any due time still unknown (a clock stopped before the worker stored it) follows the new rules
        running = select(incident.c.site_id, utc_day(incident.c.reported_at)).where(
            or_(incident.c.status.in_(OPEN_STATUSES), Incident.due_unknown()))
        if not everywhere:
            running = running.where(incident.c.site_id.in_(open_sites))
        connection.execute(insert(marks).from_select(["site_id", "day"], running.distinct()))


def _mark_neighbours(connection, incident_id: int, site: int | None, occurred: datetime | None,
                     causes: set) -> None:
    """Mark the days of every incident whose repeat cause the incident's change could make or unmake: the
    same site and root-cause category, within the repeat window, where it is now and where it was."""
    incident, investigation = Incident.__table__, Investigation.__table__
    now_site, now_occurred, cause = connection.execute(
        select(incident.c.site_id, incident.c.occurred_at, investigation.c.root_cause_category)
        .outerjoin(investigation, investigation.c.incident_id == incident.c.id)
        .where(incident.c.id == incident_id)).one_or_none() or (None, None, None)
    causes = causes | ({cause} if cause else set())
    if not causes:
        return
    for place, moment in {(now_site, now_occurred), (site, occurred)}:
        if place is None or moment is None:
            continue
        connection.execute(insert(MetricMark.__table__).from_select(["site_id", "day"], select(
            incident.c.site_id, utc_day(incident.c.reported_at))
            .join(investigation, investigation.c.incident_id == incident.c.id)
            .where(incident.c.site_id == place, investigation.c.root_cause_category.in_(causes),
                   incident.c.occurred_at >= moment - REPEAT_WINDOW,
                   incident.c.occurred_at <= moment + REPEAT_WINDOW).distinct()))
