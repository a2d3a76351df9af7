"""GET /api/v1/metrics against figures computed independently, incident by incident, with the pure
definitions of REFERENCE section 8 (rules/metrics.py) from the incidents' own timestamps."""
from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from typing import get_args

import pytest
from helpers import file_incident
from metrics_world import expected
from pydantic import BaseModel
from sqlalchemy import update

from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.learning.models import CorrectiveAction, Investigation
from webapp.metrics.rollup import refresh_all
from webapp.metrics.schemas import MetricsOut
from webapp.metrics.service import Period, over_time, times_by_severity
from webapp.obligations.models import Obligation
from webapp.organisation.models import Organisation
from webapp.rules.metrics import (
    action_outcome,
    clock_outcome,
    deadline_outcome,
    injury_kind,
    summarise,
)
from webapp.sla.service import fill_due_times, incident_clocks, page_clocks

UTC = UTC


@pytest.mark.parametrize("site", [None, "SYD", "MAN"])
def test_the_metrics_match_figures_worked_out_one_incident_at_a_time(as_user, world, monkeypatch, site):
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: world)
    query = "/api/v1/metrics?from=2026-01-01&to=2026-02-28" + (f"&site={site}" if site else "")
    got = as_user("supervisor").get(query).get_json()
    want = expected(site, world)
    assert got["period"] == {"from": "2026-01-01", "to": "2026-02-28", "site": site}
    assert got["incidents"]["total"] == want["total"] > 0
    assert {k: v for k, v in got["incidents"]["by_severity"].items() if v} == dict(want["by_severity"])
    assert got["incidents"]["by_site"] == dict(want["by_site"])
    for name in ("mtta", "mttr"):
        figures, summary = got[f"{name}_seconds"], want[name]
        assert figures["count"] == summary.count
        for key in ("median", "p90", "mean"):
            assert figures[key] == pytest.approx(getattr(summary, key), abs=0.01), (name, key)
    assert got["sla"] == want["sla"]
    assert got["obligations"] == want["obligations"]
    assert got["actions"] == want["actions"]
    assert got["injuries"]["lost_time"] == want["injuries"]["lost_time"]
    assert got["injuries"]["recordable"] == want["injuries"]["recordable"]
    assert got["injuries"]["hours_worked"] == pytest.approx(want["injuries"]["hours_worked"])
    assert got["injuries"]["ltifr"] == pytest.approx(want["injuries"]["ltifr"])
    assert got["injuries"]["trifr"] == pytest.approx(want["injuries"]["trifr"])
    if site == "SYD":
        assert got["injuries"]["trifr"] > 0
    assert got["high_potential"] == want["high_potential"]
    assert got["near_misses"] == want["near_misses"]
    assert got["repeat_causes"] == (3 if site in (None, "SYD") else 0)


def test_with_no_hours_the_rates_are_null_and_with_nothing_to_measure_the_times_are_null(as_user, demo):
    got = as_user("admin").get("/api/v1/metrics?from=2020-01-01&to=2020-01-31").get_json()
    assert got["incidents"]["total"] == 0
    assert got["mtta_seconds"] == {"count": 0, "median": None, "p90": None, "mean": None}
    assert got["injuries"] == {"lost_time": 0, "recordable": 0, "hours_worked": None, "ltifr": None, "trifr": None}


def test_bad_periods_are_400s_naming_the_field_and_only_supervisors_see_metrics(as_user, demo):
    supervisor = as_user("supervisor")
    for query, field in (("from=2026-02-30", "from"), ("to=yesterday", "to"), ("from=2026-03-01&to=2026-02-01", "from"),
                         ("site=NOPE", "site"), ("colour=red", "colour"), ("from=2000-01-01&to=2026-01-01", "from"),
                         ("from=2026-1-1", "from")):
        answer = supervisor.get(f"/api/v1/metrics?{query}")
        assert answer.status_code == 400 and field in answer.get_json()["fields"], query
    assert as_user("responder").get("/api/v1/metrics").status_code == 403
    assert supervisor.get("/api/v1/metrics").get_json()["period"]["to"] == datetime.now(UTC).date().isoformat()


def test_times_per_severity_match_the_incidents(app, world):
    got = times_by_severity(Period(date(2026, 1, 1), date(2026, 2, 28)))
    incidents = [i for i in db.session.scalars(db.select(Incident))
                 if datetime(2026, 1, 1, tzinfo=UTC) <= i.reported_at < datetime(2026, 3, 1, tzinfo=UTC)
                 and i.status != "cancelled"]
    for severity in ("P1", "P2", "P3", "P4"):
        mine = [i for i in incidents if i.severity == severity]
        acked = summarise((i.acknowledged_at - i.reported_at).total_seconds() for i in mine if i.acknowledged_at)
        assert got[severity]["mtta"]["count"] == acked.count
        assert got[severity]["mtta"]["median"] == pytest.approx(acked.median, abs=0.01)
        assert got[severity]["mtta"]["p90"] == pytest.approx(acked.p90, abs=0.01)
    assert sum(got[s]["mtta"]["count"] for s in got) > 0


def test_incidents_per_week_add_up_and_start_on_mondays(app, world):
    unit, buckets = over_time(Period(date(2026, 1, 1), date(2026, 2, 28)))
    assert unit == "week" and all(start.weekday() == 0 for start, _ in buckets)
    assert buckets[0][0] == date(2025, 12, 29) and buckets[-1][0] == date(2026, 2, 23)  # every week, empty ones too
    counted = sum(sum(counts.values()) for _, counts in buckets)
    assert counted == expected(None, world)["total"]
    unit, months = over_time(Period(date(2025, 11, 1), date(2026, 3, 31)))
    assert unit == "month" and [m for m, _ in months] == [date(2025, 11, 1), date(2025, 12, 1), date(2026, 1, 1),
                                                          date(2026, 2, 1), date(2026, 3, 1)]
    assert sum(sum(c.values()) for _, c in months) == counted + 1  # the March incident too


@pytest.mark.parametrize("days_kept", [False, True])
def test_sla_figures_count_kept_due_times_and_new_targets_move_only_running_clocks(as_user, demo, monkeypatch,
                                                                                  days_kept):
    """The due times are kept on each incident. New targets apply to the clocks still running (their due
    times are worked out again, by the metrics until the worker stores them); a clock that stopped keeps
    the target it was judged by, on the incident's page, in the metrics and in the CSV alike. Whether or
    not the worker had counted and kept the days before the targets changed."""
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    now = start + timedelta(hours=2)
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: now)
    closed, running = file_incident(demo), file_incident(demo)  # P1s: respond in 15 min, resolve in 4 h
    for n, incident in enumerate((closed, running)):
        incident.reported_at = incident.aware_at = start + timedelta(hours=n)
        incident.occurred_at = incident.reported_at - timedelta(minutes=5)
        incident.acknowledged_at = incident.reported_at + timedelta(minutes=10)
    closed.resolved_at = closed.closed_at = closed.reported_at + timedelta(hours=1)
    closed.status = "closed"
    db.session.commit()
    assert closed.response_due_at == closed.reported_at + timedelta(minutes=15)
    assert running.resolution_due_at == running.reported_at + timedelta(hours=4)
    supervisor = as_user("supervisor")

    def p1() -> dict:
        return supervisor.get("/api/v1/metrics?from=2026-03-01&to=2026-03-31").get_json()["sla"]["P1"]

    assert p1() == {"response": {"met": 2, "breached": 0}, "resolution": {"met": 1, "breached": 0}}
    if days_kept:
        assert refresh_all(now) > 0
    Organisation.current().sla_targets = {"P1": {"response": "5m", "resolution": "30m"}}
    db.session.commit()
    db.session.expire_all()
    assert running.resolution_due_at is None  # still running: to be worked out again
    assert running.response_due_at == running.reported_at + timedelta(minutes=15)  # met: kept
    assert closed.resolution_due_at == closed.reported_at + timedelta(hours=4)
    # Both acknowledgements (at 10 min) still meet the 15 min they were judged by, and the closed one's
    # resolution its 4 h; the running one now has 30 min to resolve, which passed an hour ago.
    assert p1() == {"response": {"met": 2, "breached": 0}, "resolution": {"met": 1, "breached": 1}}
    page_clocks(now)
    db.session.expire_all()
    assert running.resolution_due_at == running.reported_at + timedelta(minutes=30)
    assert p1() == {"response": {"met": 2, "breached": 0}, "resolution": {"met": 1, "breached": 1}}
    assert [c.due for c in incident_clocks(closed)] == [closed.reported_at + timedelta(minutes=15),
                                                         closed.reported_at + timedelta(hours=4)]
    exported = csv.DictReader(io.StringIO(supervisor.get("/api/v1/incidents.csv").get_data(as_text=True)))
    assert [(r["reference"], r["response_sla"], r["resolution_sla"], r["resolution_due"]) for r in exported] == [
        (closed.reference, "met", "met", (closed.reported_at + timedelta(hours=4)).isoformat()),
        (running.reference, "met", "breached", (running.reported_at + timedelta(minutes=30)).isoformat())]


def test_a_starting_worker_fills_in_due_times_that_older_incidents_lack(demo):
    incidents = [file_incident(demo, site=site) for site in ("SYD", "MAN", "SYD")]
    db.session.commit()
    kept = {i.id: (i.response_due_at, i.resolution_due_at) for i in incidents}
    db.session.execute(update(Incident).values(response_due_at=None, resolution_due_at=None))
    second = incidents[1].id  # one that lacks only its response due time
    db.session.execute(update(Incident).where(Incident.id == second).values(resolution_due_at=kept[second][1]))
    db.session.commit()
    assert fill_due_times(batch=2) == 3
    db.session.expire_all()
    assert {i.id: (i.response_due_at, i.resolution_due_at) for i in incidents} == kept
    assert fill_due_times() == 0


def behind_sets(site_code: str | None, now: datetime) -> dict[str, set[str]]:
    """For each figure's link, the references behind it, worked out one incident at a time."""
    first, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    incidents = [i for i in db.session.scalars(db.select(Incident))
                 if first <= i.reported_at < end and i.status != "cancelled" and (site_code in (None, i.site.code))]
    sets: dict[str, set[str]] = {}

    def add(key: str, incident: Incident) -> None:
        sets.setdefault(key, set()).add(incident.reference)

    for incident in incidents:
        for clock in incident_clocks(incident):
            outcome = clock_outcome(clock.due, clock.met_at, now)
            if outcome:
                add(f"figure=sla&severity={incident.severity}&clock={clock.name}&outcome={outcome}", incident)
        if incident.acknowledged_at:
            add(f"figure=acknowledged&severity={incident.severity}", incident)
        if incident.resolved_at:
            add("figure=resolved", incident)
        kind = injury_kind(incident.answers)
        if kind == "lost_time":
            add("figure=lost_time", incident)
        if kind in ("lost_time", "recordable"):
            add("figure=recordable", incident)
        if incident.high_potential:
            add("figure=high_potential", incident)
        if "near_miss" in incident.answers["what_happened"]:
            add("figure=near_misses", incident)
        for step in db.session.scalars(db.select(Obligation).where(Obligation.incident_id == incident.id)):
            if step.deadline is not None and step.applies and step.status in ("due", "done"):
                outcome = deadline_outcome(step.deadline, step.done_at, now)
                if outcome:
                    add(f"figure=obligations&outcome={outcome}", incident)
        for action in db.session.scalars(db.select(CorrectiveAction)
                                         .where(CorrectiveAction.incident_id == incident.id)):
            outcome = action_outcome(action.due_at, action.done_at, now)
            if outcome:
                add(f"figure=actions&outcome={outcome}", incident)
    return sets


@pytest.mark.parametrize("site", [None, "SYD"])
def test_each_figure_links_to_exactly_the_incidents_behind_it(as_user, world, monkeypatch, site):
    monkeypatch.setattr("webapp.metrics.views.utcnow", lambda: world)
    scope = "from=2026-01-01&to=2026-02-28" + (f"&site={site}" if site else "")
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: world)
    supervisor = as_user("supervisor")
    figures = supervisor.get(f"/api/v1/metrics?{scope}").get_json()
    want = behind_sets(site, world)
    assert len(want) >= 12  # the world has incidents behind most figures
    for query, references in want.items():
        page = supervisor.get(f"/metrics/incidents?{query}&{scope}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200, query
        listed = set(re.findall(r'<span class="ref">(INC-\d+)</span>', html))
        assert listed == references, query
        kind, _, outcome = query.removeprefix("figure=").partition("&outcome=")
        if kind in ("obligations", "actions"):  # steps and actions, each list naming the incidents they are on
            assert re.search(rf"<h1>[^<]*: {figures[kind][outcome]}</h1>", html), query
            assert f"on {len(references)} incident" in html, query
        else:
            assert re.search(rf"<h1>[^<]*: {len(references)}</h1>", html), query
    metrics_page = supervisor.get(f"/metrics?{scope}").get_data(as_text=True)
    assert "/metrics/incidents?figure=sla" in metrics_page and "figure=lost_time" in metrics_page
    for bad in ("figure=nope", "figure=sla&clock=response&outcome=late", "figure=acknowledged&severity=P9",
                "figure=repeat_causes&severity=P1", "figure=near_misses&when=today"):
        assert supervisor.get(f"/metrics/incidents?{bad}&{scope}").status_code == 400, bad


def test_the_repeat_causes_list_holds_the_incidents_that_repeat(as_user, world, monkeypatch):
    monkeypatch.setattr("webapp.metrics.views.utcnow", lambda: world)
    count = as_user("supervisor").get("/api/v1/metrics?from=2026-01-01&to=2026-02-28").get_json()["repeat_causes"]
    html = as_user("supervisor").get("/metrics/incidents?figure=repeat_causes&from=2026-01-01&to=2026-02-28")
    listed = re.findall(r'<span class="ref">(INC-\d+)</span>', html.get_data(as_text=True))
    plant = {i.reference for i in db.session.scalars(db.select(Incident).join(Investigation))}
    assert count == 3 and set(listed) == plant  # three SYD incidents with a plant root cause, 8 days apart


def same_shape(model, data, path="") -> None:
    """`data` has every key `model` declares and no other, with the declared types, all the way down."""
    model.model_validate(data)
    declared = {field.alias or name: field.annotation for name, field in model.model_fields.items()}
    assert set(data) == set(declared), path
    for key, annotation in declared.items():
        for inner in (annotation, *get_args(annotation)):
            if isinstance(inner, type) and issubclass(inner, BaseModel) and data[key] is not None:
                same_shape(inner, data[key], f"{path}.{key}")


@pytest.mark.parametrize("site", [None, "SYD"])
def test_the_answer_has_exactly_the_declared_figures(as_user, world, monkeypatch, site):
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: world)
    got = as_user("supervisor").get("/api/v1/metrics?from=2026-01-01&to=2026-02-28" + (f"&site={site}" if site else ""))
    same_shape(MetricsOut, got.get_json())


@pytest.mark.parametrize("query, field", [
    ("to=2026-01-31&to=2026-02-28", "to"),  # which one? (the first was taken)
    ("from_=2026-01-01", "from_"),
    ("site=" + "S" * 21, "site"),
    ("from=２０２６-01-01", "from"),
])
def test_the_query_is_read_as_declared(as_user, demo, query, field):
    answer = as_user("supervisor").get(f"/api/v1/metrics?{query}")
    assert answer.status_code == 400 and field in answer.get_json()["fields"], answer.get_json()
