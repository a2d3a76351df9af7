"""The escalation engine with a controllable clock: page, wait, escalate; acknowledgement stops it."""
import threading
from datetime import timedelta

import pytest
from helpers import T0, file_incident, paged

from webapp.escalation.engine import next_repage_due, repage_stalled, run_due, start_new
from webapp.escalation.models import Escalation, Schedule
from webapp.extensions import db
from webapp.incidents import actions
from webapp.notify.models import Message
from webapp.reporting.service import submit_report
from webapp.rules.answers import validate_report


@pytest.fixture
def app_config():
    return {"MAIL_SERVER": "localhost"}  # everyone can be paged by email


def test_unacknowledged_page_escalates_to_the_next_level_and_acknowledgement_stops_it(demo, p1_policy):
    incident = file_incident(demo)
    assert start_new(T0) == 1
    run_due(T0)
    assert paged() == [("responder", 0)]
    run_due(T0 + timedelta(minutes=4, seconds=59))
    assert paged() == [("responder", 0)]  # level 2 waits its five minutes
    run_due(T0 + timedelta(minutes=5))
    assert paged() == [("responder", 0), ("supervisor", 1)]
    actions.acknowledge(incident, demo["supervisor"], T0 + timedelta(minutes=6))
    db.session.commit()
    run_due(T0 + timedelta(hours=1))
    assert paged() == [("responder", 0), ("supervisor", 1)]  # nobody else is woken
    escalation = db.session.scalar(db.select(Escalation))
    assert escalation.state == "acknowledged" and escalation.next_due_at is None
    assert [e.summary for e in incident.timeline if e.what == "page"] == [
        "Paged Responder (level 1)", "Paged Supervisor (level 2)"]


def test_running_again_never_pages_twice(demo, p1_policy):
    file_incident(demo)
    start_new(T0)
    start_new(T0)
    for _ in range(3):
        run_due(T0)
    assert paged() == [("responder", 0)]


def test_the_whole_policy_runs_out_and_says_so(demo, p1_policy):
    file_incident(demo)
    start_new(T0)
    for minutes in (0, 5, 15, 30, 60):
        run_due(T0 + timedelta(minutes=minutes))
    assert [u for u, _ in paged()] == ["responder", "supervisor", "admin"]
    assert db.session.scalar(db.select(Escalation)).state == "exhausted"


def test_a_level_with_nobody_on_call_is_skipped_at_once_and_shown(demo, p1_policy):
    schedule = db.session.scalar(db.select(Schedule))
    schedule.members = []
    db.session.commit()
    incident = file_incident(demo)
    start_new(T0)
    run_due(T0)
    assert paged() == [("supervisor", 1)]  # straight to level 2, without waiting five minutes
    warnings = [e.summary for e in incident.timeline if e.what == "escalation_warning"]
    assert warnings == ["Escalation: level 1 skipped: nobody on call or assigned"]


def test_an_incident_no_policy_matches_is_flagged(demo, p1_policy):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)
    assert incident.severity == "P4"
    start_new(T0)
    run_due(T0)
    assert paged() == []
    assert db.session.scalar(db.select(Escalation)).state == "exhausted"
    assert "no escalation policy matches" in incident.timeline[-1].summary


def test_without_any_alert_channel_nobody_can_be_paged(app, demo, p1_policy):
    app.config["MAIL_SERVER"] = ""
    incident = file_incident(demo)
    start_new(T0)
    run_due(T0)
    assert paged() == []
    assert len([e for e in incident.timeline if e.what == "escalation_warning"]) == 3


def test_two_workers_at_once_run_each_step_once(app, demo, p1_policy):
    for _ in range(6):
        file_incident(demo)
    start_new(T0)
    db.session.commit()
    errors = []

    def worker():
        try:
            with app.app_context():
                run_due(T0)
                db.session.remove()
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.commit()
    assert paged() == [("responder", 0)] * 6
    # Six pages, each by email and in the app: the unique keys let nothing in twice.
    assert len({n.key for n in db.session.scalars(db.select(Message))}) == 12


def test_an_acknowledged_incident_with_no_progress_is_paged_again(app, demo, p1_policy):
    app.config["REPAGE_AFTER_MINUTES"] = 30
    incident = file_incident(demo)
    start_new(T0)
    run_due(T0)
    actions.acknowledge(incident, demo["responder"], T0 + timedelta(minutes=2))
    db.session.commit()
    run_due(T0 + timedelta(minutes=3))
    assert repage_stalled(T0 + timedelta(minutes=31)) == 0  # 29 minutes since the acknowledgement
    assert repage_stalled(T0 + timedelta(minutes=32)) == 1
    assert paged() == [("responder", 0), ("responder", None)]
    assert incident.timeline[-1].summary == "Paged Responder again: no progress since it was acknowledged"
    assert repage_stalled(T0 + timedelta(minutes=40)) == 0  # not again until another quiet half hour
    note = incident.record("note", "Isolated the conveyor; waiting for the electrician", demo["responder"])
    note.at = T0 + timedelta(minutes=45)  # progress, on the test's clock
    db.session.commit()
    assert repage_stalled(T0 + timedelta(minutes=74)) == 0  # 29 minutes after the note
    assert repage_stalled(T0 + timedelta(minutes=75)) == 1


def test_the_demo_policies_page_as_the_issue_describes(runner):
    from webapp.auth.models import User
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    reporter = User.by_email("reporter@demo.example")
    body = {"what_happened": ["injury"], "treatment": "fatality", "description": "Crushed under a load"}
    checked = validate_report(body, now=T0, site_codes={"SYD-DEPOT", "MAN-PLANT"}, default_site="SYD-DEPOT")
    submit_report(checked, reporter, T0)
    start_new(T0)
    for minutes in (0, 5, 15):
        run_due(T0 + timedelta(minutes=minutes))
    assert [(name, step) for name, step in paged()] == [("responder", 0), ("supervisor", 1), ("admin", 2)]


def test_the_worker_knows_when_an_acknowledged_incident_is_next_due_a_repeat(app, demo, p1_policy):
    app.config["REPAGE_AFTER_MINUTES"] = 30
    incident = file_incident(demo)
    start_new(T0)
    run_due(T0)
    assert next_repage_due(T0) is None  # nothing acknowledged yet
    actions.acknowledge(incident, demo["responder"], T0 + timedelta(minutes=2))
    db.session.commit()
    assert next_repage_due(T0) == T0 + timedelta(minutes=32)
    actions.add_note(incident, "Scene secured", demo["responder"])  # progress moves it on
    incident.timeline[-1].at = T0 + timedelta(minutes=10)
    db.session.commit()
    assert next_repage_due(T0) == T0 + timedelta(minutes=40)
    repage_stalled(T0 + timedelta(minutes=40))
    assert next_repage_due(T0) == T0 + timedelta(minutes=70)  # after a repeat, another quiet half hour
