"""Each site's day counted and kept (metrics/rollup.py): the figures from kept days are the figures from the
incidents, every kind of change marks the days it moves so nothing is read stale, a kept day with open work
is counted again once a deadline in it passes, and a change made while a day is counted is not lost."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from helpers import file_incident
from metrics_world import expected
from sqlalchemy import update

from webapp.extensions import db
from webapp.incidents.models import Incident, IncidentCategory
from webapp.learning.models import CorrectiveAction, Investigation
from webapp.metrics import rollup
from webapp.metrics.models import MetricCount, MetricDay, MetricMark
from webapp.metrics.service import Period, times_by_severity
from webapp.notify.worker import jobs
from webapp.obligations.models import Obligation
from webapp.organisation.models import Organisation
from webapp.rules.metrics import DURATION_BOUNDS, bucket_range, duration_bucket, locate, rank

UTC = UTC
PERIOD = "/api/v1/metrics?from=2026-01-01&to=2026-02-28"


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_durations_fall_in_buckets_whose_bounds_hold_them():
    assert DURATION_BOUNDS[0] == 10 and DURATION_BOUNDS[-1] > 5 * 365 * 86400
    assert list(DURATION_BOUNDS) == sorted(set(DURATION_BOUNDS))
    for seconds in (-3.0, 0.0, 9.999, 10.0, 12.4, 61.0, 3599.5, 86400.0, 10 ** 9):
        low, high = bucket_range(duration_bucket(seconds))
        assert (low is None or low <= seconds) and (high is None or seconds < high), seconds


def test_the_wanted_rank_is_found_in_its_bucket_with_how_many_come_before_it():
    histogram = {3: 2, 7: 5, 9: 1}
    assert [locate(histogram, n) for n in range(1, 10)] == [
        (3, 0), (3, 1), (7, 0), (7, 1), (7, 2), (7, 3), (7, 4), (9, 0), None]
    assert [rank(n, (1, 2)) for n in (1, 2, 3, 10, 11)] == [1, 1, 2, 5, 6]  # ⌈n/2⌉
    assert [rank(n, (9, 10)) for n in (1, 9, 10, 11, 20, 21)] == [1, 9, 9, 10, 18, 19]  # ⌈0.9·n⌉ without float error


def test_the_worker_keeps_the_days_counted(app):
    assert "metrics days" in [job.name for job in jobs(app)]


@pytest.mark.parametrize("site", [None, "SYD", "MAN"])
def test_kept_days_give_the_figures_worked_out_one_incident_at_a_time(as_user, world, monkeypatch, site):
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: world)
    supervisor = as_user("supervisor")
    query = PERIOD + (f"&site={site}" if site else "")
    counted_live = supervisor.get(query).get_json()
    assert rollup.refresh_all(world) > 0
    assert count(MetricMark) == 0 and count(MetricCount) > 0
    # every site's day from the first report to "now" is kept (and any other day a change marked)
    kept_days = set(db.session.execute(db.select(MetricDay.site_id, MetricDay.day)))
    sites = {i.site_id for i in db.session.scalars(db.select(Incident))}
    assert {(s, date(2026, 1, 5) + timedelta(days=n)) for s in sites for n in range(75)} <= kept_days
    kept = supervisor.get(query).get_json()
    assert kept == counted_live
    want = expected(site, world)
    assert kept["incidents"]["total"] == want["total"] and kept["sla"] == want["sla"]
    assert kept["mtta_seconds"]["count"] == want["mtta"].count
    assert kept["mtta_seconds"]["median"] == pytest.approx(want["mtta"].median, abs=0.001)
    assert kept["mttr_seconds"]["p90"] == pytest.approx(want["mttr"].p90, abs=0.001)
    assert kept["repeat_causes"] == (3 if site in (None, "SYD") else 0)


def test_per_severity_times_from_kept_days_match_those_counted_from_the_incidents(app, world):
    period = Period(date(2026, 1, 1), date(2026, 2, 28))
    live = times_by_severity(period, world)
    rollup.refresh_all(world)
    assert times_by_severity(period, world) == live
    assert sum(live[s]["mttr"]["count"] for s in live) > 0


def test_every_kind_of_change_is_seen_at_once_and_after_the_days_are_counted_again(as_user, world, monkeypatch,
                                                                                 demo):
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: world)
    supervisor = as_user("supervisor")
    rollup.refresh_all(world)
    made = list(db.session.scalars(db.select(Incident).where(Incident.reported_at < datetime(2026, 3, 1, tzinfo=UTC))
                                   .order_by(Incident.reported_at)))
    waiting = next(i for i in made if i.acknowledged_at is None and i.status != "cancelled")
    waiting.acknowledged_at = waiting.reported_at + timedelta(minutes=3)
    outage = next(i for i in made if "service_outage" in i.answers["what_happened"])
    outage.answers = {**outage.answers, "what_happened": ["injury"], "injured_person": "worker",
                      "treatment": "medical"}
    db.session.add(IncidentCategory(incident_id=outage.id, name="safety"))
    step = db.session.scalars(db.select(Obligation).where(Obligation.status == "due",
                                                          Obligation.deadline.is_not(None))).first()
    step.status, step.done_at = "done", step.deadline + timedelta(days=2)
    action = db.session.scalars(db.select(CorrectiveAction).where(CorrectiveAction.done_at.is_(None))).first()
    action.status, action.done_at = "done", action.due_at - timedelta(hours=1)
    moved = made[3]
    moved.reported_at = moved.reported_at + timedelta(days=9)  # to another day: both days are marked
    # made[0], made[4] and made[8] share a root cause at Sydney; moving two of them to another cause leaves
    # made[0] without a repeat, though nothing of its own changed: its neighbours mark its day.
    for incident in (made[4], made[8]):
        db.session.get(Investigation, incident.id).root_cause_category = "people"
    db.session.commit()
    assert count(MetricMark) > 0
    after_change = supervisor.get(PERIOD).get_json()
    want = expected(None, world)
    assert after_change["sla"] == want["sla"] and after_change["obligations"] == want["obligations"]
    assert after_change["actions"] == want["actions"]
    assert after_change["mtta_seconds"]["count"] == want["mtta"].count
    assert after_change["mtta_seconds"]["median"] == pytest.approx(want["mtta"].median, abs=0.001)
    assert after_change["injuries"]["recordable"] == want["injuries"]["recordable"]
    assert after_change["incidents"]["by_category"]["safety"] >= 1
    assert after_change["repeat_causes"] == 2
    rollup.refresh_all(world)
    assert count(MetricMark) == 0
    assert supervisor.get(PERIOD).get_json() == after_change


def test_a_kept_day_is_counted_again_when_a_clock_in_it_runs_out(as_user, demo, monkeypatch):
    now = datetime(2026, 3, 20, 9, tzinfo=UTC)
    clock = {"now": now}
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: clock["now"])
    waiting = file_incident(demo, what_happened=["hazard"], treatment=None)  # P4: days to respond
    waiting.reported_at = waiting.aware_at = now - timedelta(hours=1)
    waiting.occurred_at = waiting.reported_at
    db.session.commit()
    rollup.refresh_all(now)
    kept = db.session.get(MetricDay, (waiting.site_id, waiting.reported_at.date()))
    assert kept.valid_until == waiting.response_due_at > now
    supervisor = as_user("supervisor")

    def response() -> dict:
        return supervisor.get("/api/v1/metrics?from=2026-03-01&to=2026-03-31").get_json()["sla"]["P4"]["response"]

    assert response() == {"met": 0, "breached": 0}  # still running
    clock["now"] = waiting.response_due_at + timedelta(minutes=1)
    assert response() == {"met": 0, "breached": 1}  # past its day's valid_until: counted from the incident
    assert rollup.refresh_all(clock["now"]) >= 1  # the worker counts the day again (and the days since)
    again = db.session.get(MetricDay, (waiting.site_id, waiting.reported_at.date()))
    assert again.valid_until == waiting.resolution_due_at  # the next deadline to pass: the resolution target
    assert response() == {"met": 0, "breached": 1}


def test_a_change_committed_while_a_day_is_counted_leaves_its_mark(as_user, world, monkeypatch):
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: world)
    rollup.refresh_all(world)
    target = db.session.scalars(db.select(Incident).where(Incident.acknowledged_at.is_(None),
                                                          Incident.status != "cancelled")).first()
    target.severity = "P4" if target.severity != "P4" else "P3"
    db.session.commit()
    counting = rollup.count_figures

    def meanwhile(days, now, by_day):
        counted = counting(days, now, by_day)
        target.acknowledged_at = target.reported_at + timedelta(minutes=1)  # after the count read the day
        db.session.flush()
        return counted

    monkeypatch.setattr(rollup, "count_figures", meanwhile)
    assert rollup.refresh(world) >= 1
    monkeypatch.setattr(rollup, "count_figures", counting)
    assert count(MetricMark) >= 1  # the acknowledgement's mark outlives the count that did not see it
    assert as_user("supervisor").get(PERIOD).get_json()["mtta_seconds"]["count"] == expected(None, world)["mtta"].count
    rollup.refresh_all(world)
    assert count(MetricMark) == 0


def test_new_targets_mark_the_days_of_open_incidents_and_of_due_times_still_unknown(app, demo):
    now = datetime(2026, 3, 20, 9, tzinfo=UTC)
    incident, closed = file_incident(demo), file_incident(demo, site="MAN")
    incident.reported_at = incident.aware_at = now - timedelta(hours=1)
    closed.reported_at = closed.aware_at = now - timedelta(days=3)
    closed.status, closed.resolved_at, closed.closed_at = "closed", now - timedelta(days=2), now - timedelta(days=2)
    db.session.commit()
    # closed before the worker stored its due times (new targets had cleared them): they are still unknown
    db.session.execute(update(Incident).where(Incident.id == closed.id).values(response_due_at=None))
    db.session.commit()
    rollup.refresh_all(now)
    assert count(MetricMark) == 0
    Organisation.current().sla_targets = {"P1": {"response": "5m", "resolution": "30m"}}
    db.session.commit()
    marked = set(db.session.execute(db.select(MetricMark.site_id, MetricMark.day)))
    assert {(incident.site_id, incident.reported_at.date()), (closed.site_id, closed.reported_at.date())} <= marked


def test_when_a_bucket_changed_under_the_reading_the_database_is_asked_outright(as_user, world, monkeypatch):
    """An incident reopened between the kept counts and the bucket's reading (another request committed
    meanwhile) leaves the bucket short: the percentile is then asked of the database directly."""
    monkeypatch.setattr("webapp.metrics.api.utcnow", lambda: world)
    supervisor = as_user("supervisor")
    rollup.refresh_all(world)
    want = expected(None, world)
    monkeypatch.setattr("webapp.metrics.service._nth", lambda *args: None)
    got = supervisor.get(PERIOD).get_json()
    for name in ("mtta", "mttr"):
        assert got[f"{name}_seconds"]["count"] == want[name].count
        assert got[f"{name}_seconds"]["median"] == pytest.approx(want[name].median, abs=0.01)
        assert got[f"{name}_seconds"]["p90"] == pytest.approx(want[name].p90, abs=0.01)


def test_dropping_a_category_marks_the_day(app, demo):
    incident = file_incident(demo)
    db.session.commit()
    rollup.refresh_all()
    assert incident.categories and count(MetricMark) == 0
    incident.category_rows = []
    db.session.commit()
    marked = set(db.session.execute(db.select(MetricMark.site_id, MetricMark.day)))
    assert marked == {(incident.site_id, incident.reported_at.date())}
