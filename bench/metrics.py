"""How the metrics API and the CSV export hold up at a year of a large organisation's incidents (issue 12).

    .venv/bin/python bench/metrics.py [--sizes 100000] [--repeat 7] [--explain] [--keep]
    .venv/bin/python bench/metrics.py --postgres [--sizes 1000000] [--postgres-url URL] [--explain] [--keep]

Loads the incidents first. A few hundred (--base) are filed through the app's own service as the demo
reporter, a realistic mix over the past 13 months at the Sydney and Manchester sites (injuries with
days off work, a member of the public taken to hospital, data breaches that bring regulatory
obligations, outages, near misses and hazards with their worst credible outcome, a dangerous event),
and taken through their lifecycle with the app's own functions: acknowledged, resolved and closed at
realistic speeds, obligations marked done on time or late (or left overdue), and for the serious ones an
investigation, a published review and corrective actions done on time, late or left open; hours
worked are entered for every month. Those are then multiplied to the size in SQL: every table that
refers to incidents (found in the models' metadata, so columns and tables added later are copied too) is
copied with INSERT ... SELECT over generate_series (PostgreSQL) or a recursive CTE (SQLite), ids shifted,
every date and time moved by a deterministic pseudo-random number of days within the 13 months (never
past now), and unique text (client_id, message keys) made unique. Then VACUUM ANALYZE (ANALYZE on SQLite).

Then, server side with Flask's test client and the demo supervisor's API token, median and worst of
--repeat runs (one run only when the first takes over --budget seconds) and the SQL statements one
request makes:
  0. GET /api/v1/metrics for the last year before any day is kept (once), then the worker's passes that
     count and keep every site's day (metrics/rollup.py), timed;
  1. GET /api/v1/metrics for the last year, the last month, and the last year at one site; and the last
     year again once the last 7 days at every site are marked as changed (counted from the incidents);
  2. beside them, a bare route registered on the same app: one indexed 50-row SELECT (the newest incidents);
  3. GET /api/v1/incidents.csv of about 10,000 and of 100,000 rows, each in a child process that streams
     it to /dev/null: its time and its peak RSS during the export (VmHWM, reset after a warm-up request;
     constant memory: the two peaks are close).
--explain also prints the slowest statements of the metrics requests and the plan of the slowest (EXPLAIN
ANALYZE on PostgreSQL, EXPLAIN QUERY PLAN on SQLite). On PostgreSQL a statement may run for at most
--statement-timeout seconds and spill at most TEMP_FILE_LIMIT to disk while measuring (a request that
hits either is reported as failed, with the statement).

SQLite at 100,000 incidents by default (a temporary file); --postgres uses PostgreSQL at 1,000,000, in a
database of its own (bench_metrics, created on --postgres-url and dropped afterwards unless --keep).
Aim (issue 12): a year of metrics under 1 s on PostgreSQL at 1,000,000 incidents. It prints figures and
asserts nothing.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.types import TypeDecorator

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from webapp import create_app  # noqa: E402
from webapp.auth.models import ApiToken, User  # noqa: E402
from webapp.auth.security import public  # noqa: E402
from webapp.cli import seed_demo  # noqa: E402
from webapp.common.errors import ActionRefused, Blocked  # noqa: E402
from webapp.database import UTCDateTime, utcnow  # noqa: E402
from webapp.extensions import db  # noqa: E402
from webapp.incidents.actions import acknowledge, change_status  # noqa: E402
from webapp.incidents.models import Incident  # noqa: E402
from webapp.learning import corrective, investigation, reviews  # noqa: E402
from webapp.metrics.models import MetricMark  # noqa: E402
from webapp.metrics.rollup import refresh  # noqa: E402
from webapp.obligations.service import mark_done, obligations_of, record_event  # noqa: E402
from webapp.organisation.hours import set_hours  # noqa: E402
from webapp.organisation.models import Site  # noqa: E402
from webapp.reporting.service import submit_report  # noqa: E402
from webapp.rules.answers import validate_report  # noqa: E402

SITES = {"SYD-DEPOT": 0.6, "MAN-PLANT": 0.4}  # the demo organisation's sites and their share of incidents
HOURS = {"SYD-DEPOT": 42_000, "MAN-PLANT": 27_500}  # hours worked a month
DAYS = 395  # incidents are spread over the last 13 months
# While measuring on PostgreSQL, no statement may spill more than this to disk: a join that blows up fails
# instead of filling the disk (a quadratic repeat-cause join once wrote 67 GB of temporary files at 1,000,000).
TEMP_FILE_LIMIT = "4GB"
CATEGORIES = ("people", "process", "plant", "environment", "organisation", "technology")
MIX = (  # (weight, answers given a random source): mostly minor, a few serious
    (14, lambda r: {"what_happened": ["injury"], "injured_person": "worker", "treatment": "first_aid"}),
    (6, lambda r: {"what_happened": ["injury"], "injured_person": "worker", "treatment": "medical",
                   "days_unfit_for_work": r.choice([0, 0, 0, 1, 2, 5, 10])}),
    (1, lambda r: {"what_happened": ["injury"], "injured_person": "worker", "treatment": "hospital_admitted",
                   "injuries": ["fracture"], "days_unfit_for_work": r.randint(5, 60)}),
    (2, lambda r: {"what_happened": ["injury"], "injured_person": "contractor", "treatment": "medical",
                   "days_unfit_for_work": r.choice([0, 3])}),
    (1, lambda r: {"what_happened": ["injury"], "injured_person": "public", "treatment": "emergency_discharged",
                   "taken_to_hospital_from_scene": True}),
    (1, lambda r: {"what_happened": ["data_breach"], "personal_data": "yes", "people_affected": r.randint(20, 5000),
                   "data_encrypted": False, "likely_serious_harm": "yes"}),
    (3, lambda r: {"what_happened": ["data_breach"], "personal_data": "yes", "likely_serious_harm": "no"}),
    (5, lambda r: {"what_happened": ["service_outage"],
                   "service_impact": r.choice(["single_user", "team", "team", "team", "site", "organisation"])}),
    (8, lambda r: {"what_happened": ["near_miss"],
                   "worst_credible_outcome": r.choice(["none", "first_aid", "first_aid", "medical",
                                                       "serious_injury"])}),
    (6, lambda r: {"what_happened": ["hazard"], "worst_credible_outcome": r.choice(["none", "first_aid"])}),
    (1, lambda r: {"what_happened": ["dangerous_event"], "dangerous_events": ["fire_explosion"],
                   "worst_credible_outcome": "serious_injury"}),
    (5, lambda r: {"what_happened": ["property_damage"]}),
)
ACK_MINUTES = {"P1": (math.log(4), 0.6), "P2": (math.log(12), 0.8), "P3": (math.log(40), 1.0),
               "P4": (math.log(180), 1.2)}  # lognormal (mu, sigma) of minutes to acknowledge
RESOLVE_HOURS = {"P1": (math.log(5), 0.8), "P2": (math.log(14), 0.9), "P3": (math.log(48), 1.0),
                 "P4": (math.log(120), 1.0)}  # and of hours from acknowledgement to resolution


def config(database_url: str) -> dict:
    return {"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
            "RATELIMIT_ENABLED": False, "VAPID_SUBJECT": "mailto:bench@field-incidents.example"}


# ---- the base: incidents filed and worked through the app's own functions -------------------------------------


def file_base(count: int, now: datetime, rng: random.Random) -> None:
    people = {u.role: u for u in db.session.scalars(db.select(User))}
    weights, makers = zip(*MIX, strict=True)
    for n in range(count):
        reported = now - timedelta(minutes=rng.randint(30, DAYS * 24 * 60))
        site = rng.choices(list(SITES), list(SITES.values()))[0]
        body = {**rng.choices(makers, weights)[0](rng), "site": site, "description": f"Bench incident {n}",
                "client_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "occurred_at": (reported - timedelta(minutes=rng.randint(2, 90))).isoformat()}
        report = validate_report(body, now=reported, site_codes=set(SITES), default_site=site)
        incident = submit_report(report, people["reporter"], reported)[0]
        work_through(incident, people, reported, now, rng)
        if n % 25 == 24:
            db.session.commit()
    for site in db.session.scalars(db.select(Site)):
        month = (now - timedelta(days=DAYS + 31)).date().replace(day=1)
        while month <= now.date():
            set_hours(site, month, HOURS.get(site.code, 20_000) * rng.uniform(0.9, 1.1))
            month = (month + timedelta(days=32)).replace(day=1)
    db.session.commit()


def work_through(incident: Incident, people: dict[str, User], reported: datetime, now: datetime,
                 rng: random.Random) -> None:
    """Acknowledge, do the obligations, resolve, learn and close, each at a realistic moment before now."""
    supervisor, responder, admin = people["supervisor"], people["responder"], people["admin"]
    if rng.random() < 0.02 and now - reported > timedelta(hours=2):
        change_status(incident, "cancelled", "A duplicate of another report", supervisor, reported + timedelta(hours=1))
        return
    acked = reported + timedelta(minutes=rng.lognormvariate(*ACK_MINUTES[incident.severity]))
    if acked > now or rng.random() < 0.03:
        return  # not acknowledged yet
    acknowledge(incident, responder, acked)
    do_obligations(incident, supervisor, acked, now, rng)
    if rng.random() < 0.5:
        change_status(incident, "investigating", None, responder, acked + timedelta(minutes=rng.randint(1, 30)))
    resolved = acked + timedelta(hours=rng.lognormvariate(*RESOLVE_HOURS[incident.severity]))
    if resolved > now or rng.random() < 0.04:
        return
    change_status(incident, "resolved", None, responder, resolved)
    closed = resolved + timedelta(days=rng.uniform(1, 10))
    serious = incident.severity == "P1" or incident.high_potential or incident.severity == "P2" and rng.random() < 0.5
    if serious or rng.random() < 0.02:  # investigated and reviewed
        closed = learn(incident, supervisor, responder, admin, resolved, now, rng)
    if closed is None or closed > now or rng.random() < 0.1:
        return
    try:
        change_status(incident, "closed", None, supervisor, closed)
    except Blocked:  # an action not verified yet, or no review
        if rng.random() < 0.5:
            change_status(incident, "closed", "Remaining work tracked elsewhere", supervisor, closed)


def do_obligations(incident: Incident, supervisor: User, acked: datetime, now: datetime, rng: random.Random) -> None:
    """Most done before the deadline, some late, some still open (overdue once their deadline passes); steps
    that wait for another (a notification, the regulator asking for written notice) follow when it is made."""
    if rng.random() < 0.5 and any(r.regime == "AU-WHS" for r in obligations_of(incident)):
        asked = acked + timedelta(hours=rng.uniform(2, 48))
        if asked <= now:
            record_event(incident, "regulator_asked", asked, supervisor, asked)
    seen = set()
    while True:
        rows = [r for r in obligations_of(incident) if r.id not in seen and r.status == "due" and r.applies
                and r.deadline is not None]
        if not rows:
            return
        for row in rows:
            seen.add(row.id)
            if row.status != "due" or row.deadline is None:
                continue  # an earlier step changed it
            roll = rng.random()
            if roll < 0.7:
                done = acked + (max(row.deadline, acked) - acked) * rng.uniform(0.1, 0.95)
            elif roll < 0.9:
                done = max(row.deadline, acked) + timedelta(hours=rng.uniform(1, 96))
            else:
                continue
            if done <= now:
                try:
                    mark_done(incident, row.id, done, f"REG-{rng.randint(10000, 99999)}", supervisor, done)
                except ActionRefused:
                    pass


def learn(incident: Incident, supervisor: User, responder: User, admin: User, resolved: datetime, now: datetime,
          rng: random.Random) -> datetime | None:
    """An investigation, corrective actions, a published review; returns when it can be closed."""
    started = resolved + timedelta(hours=rng.uniform(2, 72))
    if started > now:
        return None
    investigation.save(incident, {"whys": ["The guard was off", "Maintenance left it off", "No sign-off step"],
                                  "root_cause": "No sign-off after maintenance",
                                  "root_cause_category": rng.choice(CATEGORIES)}, supervisor, started)
    reviews.save(incident, {"summary": f"Review of {incident.reference}",
                            "lessons": [f"Lesson from {incident.reference}"]}, supervisor, started)
    last = started
    for k in range(rng.choice([1, 1, 2, 3])):
        due = started + timedelta(days=rng.choice([7, 14, 30]))
        fields = {"title": f"Action {k + 1} for {incident.reference}", "owner_id": responder.id,
                  "control": rng.choice(["engineering", "administrative"]), "due_date": due.date().isoformat()}
        action = corrective.create(incident, fields, supervisor, started)
        roll = rng.random()
        if roll < 0.6:
            done = started + (action.due_at - started) * rng.uniform(0.2, 0.9)
        elif roll < 0.85:
            done = action.due_at + timedelta(days=rng.uniform(1, 20))
        else:
            continue  # still open: overdue once its due date passes
        if done > now:
            continue
        corrective.complete(action, "Done and checked on site", [], responder, done)
        checked = done + timedelta(days=rng.uniform(0.5, 5))
        if checked <= now:
            corrective.verify(action, True, None, admin, checked)
            last = max(last, checked)
    published = started + timedelta(days=rng.uniform(1, 10))
    if published > now:
        return None
    reviews.submit(incident, supervisor, published)
    reviews.publish(incident, admin, published)
    return max(last, published) + timedelta(hours=rng.uniform(1, 48))


# ---- multiplying the base in SQL --------------------------------------------------------------------------------


def base_type(column: sa.Column):
    return column.type.impl_instance if isinstance(column.type, TypeDecorator) else column.type


def single_int_pk(table: sa.Table) -> sa.Column | None:
    columns = list(table.primary_key.columns)
    if len(columns) == 1 and isinstance(base_type(columns[0]), sa.Integer):
        return columns[0]
    return None


class Copier:
    """Copies the base's rows of every table that refers (directly or not) to incidents. The base's incident
    ids are 1..B (a fresh database): copy n of incident i is incident i + n·B, and so on for every table."""

    def __init__(self, metadata: sa.MetaData, dialect: str):
        self.dialect = dialect
        self.incident = metadata.tables["incident"]
        chosen = {self.incident}
        for table in metadata.sorted_tables:  # parents come first
            if any(fk.column.table in chosen for fk in table.foreign_keys):
                chosen.add(table)
        self.tables = [t for t in metadata.sorted_tables if t in chosen]
        self.quote = db.engine.dialect.identifier_preparer.quote
        self.stride: dict[sa.Table, int] = {}
        self.width = 1  # digits of the copy number appended to unique text

    def anchor(self, table: sa.Table, alias: str, joins: list[str]) -> str:
        """SQL for the id of the incident a row of `table` (as `alias`) belongs to, adding the joins it needs."""
        q = self.quote
        if table is self.incident:
            return f"{alias}.{q(single_int_pk(table).name)}"
        fks = [fk for fk in table.foreign_keys if fk.column.table in self.tables and fk.column.table is not table]
        direct = [fk for fk in fks if fk.column.table is self.incident]
        fk = sorted(direct or fks, key=lambda f: (f.parent.name != "incident_id", bool(f.parent.nullable),
                                                  f.parent.name))[0]
        if fk.column.table is self.incident:
            return f"{alias}.{q(fk.parent.name)}"
        parent = f"p{len(joins)}"
        joins.append(f"JOIN {q(fk.column.table.name)} AS {parent} "
                     f"ON {parent}.{q(fk.column.name)} = {alias}.{q(fk.parent.name)}")
        return self.anchor(fk.column.table, parent, joins)

    def shifted_stride(self, column: sa.Column) -> int | None:
        """How far a copy moves this id column: by its table's stride (its own id) or its parent's (a reference)."""
        for fk in column.foreign_keys:
            if fk.column.table in self.stride and fk.column is single_int_pk(fk.column.table):
                return self.stride[fk.column.table]
        if column is single_int_pk(column.table) and not column.foreign_keys:
            return self.stride[column.table]
        return None

    def measure_strides(self, conn) -> None:
        q = self.quote
        for table in self.tables:
            pk = single_int_pk(table)
            if pk is not None:
                highest = conn.exec_driver_sql(f"SELECT max({q(pk.name)}) FROM {q(table.name)}").scalar()
                self.stride[table] = highest or 1

    def unique_text(self, table: sa.Table) -> set[str]:
        """Text columns of unique keys that no shifted id makes unique already (client_id, message key)."""
        keys = [list(c.columns) for c in table.constraints
                if isinstance(c, (sa.UniqueConstraint, sa.PrimaryKeyConstraint))]
        keys += [list(i.columns) for i in table.indexes if i.unique]
        found = set()
        for key in keys:
            if key and not any(self.shifted_stride(c) for c in key):
                text = [c.name for c in key if isinstance(base_type(c), sa.String)]
                if not text:
                    raise RuntimeError(f"cannot make copies of {table.name} unique on {[c.name for c in key]}")
                found.update(text)
        return found

    def expression(self, column: sa.Column, unique: set[str], width: int) -> str:
        q, pg = self.quote, self.dialect == "postgresql"
        col, kind = f"s.{q(column.name)}", base_type(column)
        stride = self.shifted_stride(column)
        seconds = "(m.sd * 86400 - m.j)"
        if stride:
            return f"{col} + m.n * {stride}"
        if isinstance(kind, sa.DateTime):
            if pg:
                return f"{col} + {seconds} * interval '1 second'"
            return f"strftime('%Y-%m-%d %H:%M:%S', {col}, {seconds} || ' seconds') || substr({col}, 20)"
        if isinstance(kind, sa.Date):
            return f"{col} + m.sd" if pg else f"date({col}, m.sd || ' days')"
        if column.name in unique:
            head = f"substr({col}, 1, {kind.length - width - 1})" if kind.length else col
            tail = f"lpad(m.n::text, {width}, '0')" if pg else f"printf('%0{width}d', m.n)"
            return f"{head} || '~' || {tail}"
        return col

    def statement(self, table: sa.Table, first: int, last: int, limit: int) -> str:
        """INSERT ... SELECT the base rows of `table` as copies first..last (incident ids up to `limit`)."""
        q, pg = self.quote, self.dialect == "postgresql"
        mod = (lambda a, b: f"mod({a}, {b})") if pg else (lambda a, b: f"(({a}) % {b})")
        series = (f"generate_series({first}, {last}) AS c(n)" if pg else
                  f"(WITH RECURSIVE c(n) AS (SELECT {first} UNION ALL SELECT n + 1 FROM c WHERE n < {last}) "
                  "SELECT n FROM c) AS c")
        shifts = (f"SELECT b.src AS src, c.n AS n, b.slack - {mod('c.n * 7919 + b.src * 104729', 'b.span')} AS sd, "
                  f"{mod('c.n * 31 + b.src * 17', 3600)} AS j FROM bench_base AS b CROSS JOIN {series} "
                  f"WHERE b.src + c.n * {self.stride[self.incident]} <= {limit}")
        joins: list[str] = []
        anchor = self.anchor(table, "s", joins)
        columns = [c for c in table.columns if c.computed is None]
        unique, width = self.unique_text(table), self.width
        own = single_int_pk(table)
        base_rows = f"s.{q(own.name)} <= {self.stride[table]}" if own is not None and table in self.stride else \
            f"{anchor} <= {self.stride[self.incident]}"
        return (f"INSERT INTO {q(table.name)} ({', '.join(q(c.name) for c in columns)}) "
                f"SELECT {', '.join(self.expression(c, unique, width) for c in columns)} "
                f"FROM {q(table.name)} AS s {' '.join(joins)} JOIN ({shifts}) AS m ON m.src = {anchor} "
                f"WHERE {base_rows}")

    def shifts_table(self, now: datetime) -> tuple[sa.Table, list[dict]]:
        """Per base incident: how many days its copies may move later (slack: none of its times may pass now)
        and how many choices there are (back to 13 months ago)."""
        latest: dict[int, datetime] = {}
        reported: dict[int, datetime] = {}
        for table in self.tables:
            joins: list[str] = []
            anchor = self.anchor(table, "s", joins)
            for column in table.columns:
                if not isinstance(base_type(column), sa.DateTime):
                    continue
                col = f"s.{self.quote(column.name)}"
                query = (sa.text(f"SELECT {anchor} AS a, max({col}) AS t FROM {self.quote(table.name)} AS s "
                                 f"{' '.join(joins)} WHERE {col} <= :now AND {anchor} IS NOT NULL GROUP BY {anchor}")
                         .bindparams(sa.bindparam("now", now, type_=UTCDateTime())).columns(t=UTCDateTime()))
                for incident_id, moment in db.session.execute(query):
                    latest[incident_id] = max(latest.get(incident_id, moment), moment)
                    if table is self.incident and column.name == "reported_at":
                        reported[incident_id] = moment
        rows = []
        for incident_id, at in reported.items():
            age, slack = (now - at).days, (now - latest[incident_id]).days
            rows.append({"src": incident_id, "slack": slack, "span": max(1, slack - age + DAYS + 1)})
        table = sa.Table("bench_base", sa.MetaData(), sa.Column("src", sa.Integer, primary_key=True),
                         sa.Column("slack", sa.Integer), sa.Column("span", sa.Integer))
        return table, rows


def multiply(size: int, now: datetime, dialect: str) -> dict[str, int]:
    """Copy the base until there are `size` incidents; returns the rows in each copied table."""
    copier = Copier(db.metadata, dialect)
    base_table, rows = copier.shifts_table(now)
    with db.engine.begin() as conn:
        copier.measure_strides(conn)
        base_table.create(conn)
        conn.execute(base_table.insert(), rows)
    base = copier.stride[copier.incident]
    copies = math.ceil(size / base) - 1
    copier.width = len(str(copies))
    batch = max(1, (100_000 if dialect == "postgresql" else 25_000) // base)
    start = time.perf_counter()
    for first in range(1, copies + 1, batch):
        last = min(copies, first + batch - 1)
        with db.engine.begin() as conn:
            for table in copier.tables:
                conn.exec_driver_sql(copier.statement(table, first, last, size))
        done = min(size, (last + 1) * base)
        progress(f"  copied {done:,} / {size:,} incidents ({time.perf_counter() - start:.0f} s)")
    q = copier.quote
    with db.engine.begin() as conn:
        base_table.drop(conn)
        counts = {t.name: conn.exec_driver_sql(f"SELECT count(*) FROM {q(t.name)}").scalar() for t in copier.tables}
        if dialect == "postgresql":  # the next id the app takes comes after the copies
            for table in copier.stride:
                pk = single_int_pk(table)
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{q(table.name)}', '{pk.name}'), "
                                     f"(SELECT max({q(pk.name)}) FROM {q(table.name)}))")
    return counts


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


# ---- measuring ----------------------------------------------------------------------------------------------------


def timed(action, repeat: int) -> tuple[float, float]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        action()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs), max(runs)


class Statements:
    """Every statement the engine runs while on: its text, parameters, start and database time."""

    def __init__(self, engine):
        self.on, self.seen = False, []
        event.listen(engine, "before_cursor_execute", self.before)
        event.listen(engine, "after_cursor_execute", self.after)

    def before(self, conn, cursor, statement, parameters, context, executemany):
        if self.on:
            self.seen.append([statement, parameters, time.perf_counter(), None])

    def after(self, conn, cursor, statement, parameters, context, executemany):
        if self.on and self.seen:
            self.seen[-1][3] = time.perf_counter() - self.seen[-1][2]

    def record(self, action) -> tuple[list, object]:
        """What `action` returns, and for each statement it ran: its text, parameters, database seconds,
        seconds until the next statement (reading its rows, Python), and whether it finished (not failed)."""
        self.seen, self.on = [], True
        try:
            result = action()
        finally:
            end, self.on = time.perf_counter(), False
        starts = [s[2] for s in self.seen[1:]] + [end]
        return [(s, p, following - start if d is None else d, following - start, d is not None)
                for (s, p, start, d), following in zip(self.seen, starts, strict=True)], result


def explain(statement: str, parameters, dialect: str, finished: bool) -> list[str]:
    """The plan: run (EXPLAIN ANALYZE) on PostgreSQL unless the statement failed (timeout, temporary files)."""
    prefix = ("EXPLAIN (ANALYZE, BUFFERS) " if finished else "EXPLAIN ") if dialect == "postgresql" else \
        "EXPLAIN QUERY PLAN "
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    return [str(r[0]) if dialect == "postgresql" else f"{'  ' * (1 if r[1] else 0)}{r[-1]}" for r in rows]


def csv_window(target: int) -> tuple[str, str]:
    """from and to dates of an export of at least `target` rows (the newest incidents)."""
    table = db.metadata.tables["incident"]
    query = sa.select(table.c.reported_at).order_by(table.c.reported_at.desc()).limit(1).offset(target - 1)
    moment = db.session.scalar(query) or db.session.scalar(sa.select(sa.func.min(table.c.reported_at)))
    return moment.date().isoformat(), utcnow().date().isoformat()


def csv_child(database_url: str, instance: str, first: str, last: str) -> None:
    """(In a child process) GET the CSV export, streaming it to /dev/null; print rows, seconds and peak RSS."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    app = create_app(config(database_url), instance_path=instance)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {os.environ['BENCH_TOKEN']}"}

    def export(url: str) -> int:
        response = client.get(url, headers=headers, buffered=False)
        assert response.status_code == 200, (url, response.status_code)
        lines = 0
        with open(os.devnull, "wb") as out:
            for chunk in response.response:
                chunk = chunk.encode() if isinstance(chunk, str) else chunk
                lines += chunk.count(b"\r\n")
                out.write(chunk)
        response.close()
        return lines - 1  # the header

    export("/api/v1/incidents.csv?from=2000-01-01&to=2000-01-01")  # warm: imports, compiled queries
    before = memory_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak from here on (Linux)
    start = time.perf_counter()
    rows = export(f"/api/v1/incidents.csv?from={first}&to={last}")
    seconds = time.perf_counter() - start
    print(json.dumps({"rows": rows, "seconds": seconds, "before_kb": before, "peak_kb": memory_kb("VmHWM")}))


def memory_kb(field: str) -> int:
    """This process's resident memory now (VmRSS) or at its peak (VmHWM). Not getrusage's ru_maxrss: Linux
    carries the parent's peak over into a child's across fork and exec, and the parent here is the large one."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return 0


def measure(size: int, args, database_url: str, instance: Path, dialect: str) -> None:
    app = create_app(config(database_url), instance_path=str(instance))
    incident = db.metadata.tables["incident"]

    @public
    def bare():
        """One indexed 50-row SELECT, nothing else: what a request costs on this server before any work."""
        rows = db.session.execute(sa.select(incident).order_by(incident.c.id.desc()).limit(50)).all()
        return {"ids": [row.id for row in rows]}

    app.add_url_rule("/bench/bare", "bench_bare", bare)
    rng = random.Random(size)
    with app.app_context():
        db.drop_all()
        db.create_all()
        seed_demo()
        now = utcnow()
        base = min(size, args.base)
        progress(f"{dialect}: filing {base} incidents through the app...")
        start = time.perf_counter()
        file_base(base, now, rng)
        filed = time.perf_counter() - start
        progress(f"  {base} filed and worked in {filed:.0f} s; copying to {size:,}...")
        start = time.perf_counter()
        counts = multiply(size, now, dialect)
        copied = time.perf_counter() - start
        start = time.perf_counter()
        db.session.commit()  # no transaction of ours left open: VACUUM can then mark every page all-visible
        db.session.remove()  # (which index-only scans, a median's among them, need)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE")
        analysed = time.perf_counter() - start
        supervisor = db.session.scalar(db.select(User).filter_by(role="supervisor"))
        _token, secret = ApiToken.issue(supervisor, "bench")
        db.session.commit()
        first_csv = {n: csv_window(min(n, size)) for n in sorted({min(10_000, size // 10 or 1), min(100_000, size)})}
        db.session.remove()
        if dialect == "postgresql":  # for what follows, the CSV's child process too
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                for setting, value in (("statement_timeout", f"{args.statement_timeout}s"),
                                       ("temp_file_limit", TEMP_FILE_LIMIT)):
                    conn.exec_driver_sql(f'ALTER DATABASE "{db.engine.url.database}" SET {setting} = \'{value}\'')
            db.engine.dispose()

    analyse = "VACUUM ANALYZE" if dialect == "postgresql" else "ANALYZE"
    print(f"\n{dialect}, {counts['incident']:,} incidents: loaded in {filed + copied + analysed:.0f} s "
          f"({base} filed and worked through the app in {filed:.0f} s, copied in SQL in {copied:.0f} s, "
          f"{analyse} {analysed:.0f} s)")
    print("  rows: " + ", ".join(f"{name} {n:,}" for name, n in counts.items() if n))
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    today = utcnow().date()
    year, month = (today - timedelta(days=364)).isoformat(), (today - timedelta(days=29)).isoformat()
    urls = {
        "metrics: last year": f"/api/v1/metrics?from={year}&to={today}",
        "metrics: last month": f"/api/v1/metrics?from={month}&to={today}",
        "metrics: last year, SYD-DEPOT": f"/api/v1/metrics?from={year}&to={today}&site=SYD-DEPOT",
        "bare route: one 50-row SELECT": "/bench/bare",
    }

    def get(url: str) -> int:
        response = client.get(url, headers=headers if url.startswith("/api/") else {})  # the bare route: no login
        response.get_data()
        return response.status_code

    def ok(url: str) -> None:
        status = get(url)
        assert status == 200, (url, status)

    with app.app_context():
        statements = Statements(db.engine)
    app.logger.setLevel(logging.CRITICAL)  # a timed-out request is reported below, without its traceback
    get(f"/api/v1/metrics?from={today}&to={today}")  # the token's first use (it notes when) and compiled queries
    recorded = []  # (request, statement, parameters, database s, s until the next statement, finished)

    def measure_all(urls: dict[str, str], repeat: int, record: bool) -> None:
        for name, url in urls.items():
            start = time.perf_counter()
            seen, status = statements.record(lambda u=url: get(u))  # the first run: warms the caches up
            first = (time.perf_counter() - start) * 1000
            if record and name.startswith("metrics"):
                recorded.extend((name, *s) for s in seen)
            if status != 200:
                stuck = [" ".join(s[0].split())[:60] for s in seen if not s[4]]
                before = sum(s[3] for s in seen if s[4]) * 1000
                print(f"  {name:<34} failed ({status}) after {first:.0f} ms{len(seen):>5} sql"
                      + (f"\n    in {stuck[0]}... (the statements before it: {before:.0f} ms)" if stuck else ""))
            elif first > args.budget * 1000 or repeat == 1:
                print(f"  {name:<34}{first:>9.0f} (1 run){len(seen):>12} sql")
            else:
                median, worst = timed(lambda u=url: ok(u), repeat)
                print(f"  {name:<34}{median:>9.0f} / {worst:<7.0f}{len(seen):>4} sql")

    print(f"  server-side milliseconds, median / worst of {args.repeat}, and SQL statements per request")
    # Before the worker has kept any day (just after the migration): every day counted from the incidents.
    measure_all({"metrics: last year, no day kept": urls["metrics: last year"]}, 1, False)
    with app.app_context():
        start, passes, kept = time.perf_counter(), 0, 0
        while counted := refresh(utcnow()):
            passes, kept = passes + 1, kept + counted
        took = time.perf_counter() - start
        db.session.remove()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(analyse + " metric_count" if dialect == "postgresql" else "ANALYZE")
    print(f"  the worker kept {kept:,} site-days in {passes} passes, {took:.1f} s "
          f"({took / max(passes, 1) * 1000:.0f} ms a pass)")
    measure_all(urls, args.repeat, True)
    with app.app_context():  # a working week: the last 7 days at both sites changed since they were kept
        sites = list(db.session.scalars(sa.select(Site.id)))
        db.session.execute(sa.insert(MetricMark), [{"site_id": s, "day": today - timedelta(days=d)}
                                                   for s in sites for d in range(7)])
        db.session.commit()
        db.session.remove()
    measure_all({"metrics: last year, 7 days changed": urls["metrics: last year"]}, args.repeat, False)
    for first, last in first_csv.values():
        child = subprocess.run([sys.executable, __file__, "--csv-child", database_url, str(instance), first, last],
                               env={**os.environ, "BENCH_TOKEN": secret}, capture_output=True, text=True, cwd=ROOT)
        if child.returncode:
            print(f"  CSV export from {first}: failed\n{child.stderr[-2000:]}")
            continue
        found = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"  CSV export, {found['rows']:>7,} rows ({first} to {last}):{found['seconds'] * 1000:>9.0f} ms, "
              f"peak RSS {found['peak_kb'] / 1024:.0f} MB ({found['before_kb'] / 1024:.0f} MB before it)")
    if args.explain and recorded:
        print("  slowest statements of the metrics requests (database ms; ms until the next statement, which"
              " includes reading its rows and Python):")
        recorded.sort(key=lambda r: -r[3])
        for name, statement, _params, database, until_next, finished in recorded[:6]:
            text = " ".join(statement.split())[:80]
            print(f"  {database * 1000:>9.0f} {until_next * 1000:>9.0f}  {name[9:]:<20} "
                  f"{text}{'' if finished else ' (failed: the timeout or the temporary file limit)'}")
        name, statement, parameters, _database, _until_next, finished = recorded[0]
        with app.app_context():
            plan = explain(statement, parameters, dialect, finished)
        print(f"  the slowest ({name}), in full:\n    " + " ".join(statement.split()))
        print(f"  with {parameters}\n  its plan:\n" + "\n".join(f"    {line}" for line in plan))
    with app.app_context():
        db.engine.dispose()


def postgres_database(server: str, name: str, create: bool) -> str:
    admin = sa.create_engine(sa.make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    return sa.make_url(server).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL (1,000,000 incidents) instead of SQLite")
    parser.add_argument("--postgres-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/")
    parser.add_argument("--sizes", help="incidents to load, e.g. 2000,100000 (default 100000; 1000000 on PostgreSQL)")
    parser.add_argument("--base", type=int, default=500, help="incidents filed through the app before copying")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--budget", type=float, default=60, help="seconds: a request slower than this runs once")
    parser.add_argument("--statement-timeout", type=int, default=300,
                        help="seconds a statement may run on PostgreSQL while measuring (0: no limit)")
    parser.add_argument("--explain", action="store_true", help="the slowest statements of a year's metrics, and a plan")
    parser.add_argument("--keep", action="store_true", help="keep the database (bench_metrics, or the SQLite file)")
    parser.add_argument("--csv-child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    if args.csv_child:
        csv_child(*args.csv_child)
        return
    dialect = "postgresql" if args.postgres else "sqlite"
    sizes = [int(s) for s in (args.sizes or ("1000000" if args.postgres else "100000")).split(",")]
    instance = Path(tempfile.mkdtemp(prefix="bench_metrics_"))
    try:
        for size in sizes:
            if args.postgres:
                database_url = postgres_database(args.postgres_url, "bench_metrics", create=True)
            else:
                database_url = f"sqlite:///{instance / f'metrics-{size}.sqlite3'}"
            try:
                measure(size, args, database_url, instance, dialect)
            finally:
                if args.postgres and not args.keep:
                    postgres_database(args.postgres_url, "bench_metrics", create=False)
    finally:
        if args.keep:
            print(f"\nkept: {'database bench_metrics on ' + args.postgres_url if args.postgres else instance}")
        else:
            for path in sorted(instance.rglob("*"), reverse=True):
                path.rmdir() if path.is_dir() else path.unlink()
            instance.rmdir()


if __name__ == "__main__":
    main()
