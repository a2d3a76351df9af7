"""SLA clocks: targets per severity (editable), business days, severity changes, the queue, paging."""
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import T0, file_incident

from webapp.extensions import db
from webapp.incidents import actions
from webapp.notify.models import Message
from webapp.organisation.models import Organisation
from webapp.sla.rules import Clock, check_target, clocks, describe
from webapp.sla.service import page_clocks

SYD = ZoneInfo("Australia/Sydney")


def test_default_targets_with_business_days_over_a_weekend_and_a_holiday():
    reported = datetime(2026, 12, 24, 15, 0, tzinfo=SYD)  # Thursday before Christmas
    p4 = clocks(severity="P4", reported_at=reported, acknowledged_at=None, resolved_at=None,
                zone="Australia/Sydney", jurisdiction="AU-NSW")
    # Next business day: Christmas, the weekend and Boxing Day (observed Monday) are skipped.
    assert [c.due for c in p4] == [datetime(2026, 12, 30, 0, 0, tzinfo=SYD), datetime(2027, 1, 6, 0, 0, tzinfo=SYD)]
    p1 = clocks(severity="P1", reported_at=reported, acknowledged_at=reported + timedelta(minutes=20),
                resolved_at=None, zone="Australia/Sydney", jurisdiction="AU-NSW")
    assert [c.due - reported for c in p1] == [timedelta(minutes=15), timedelta(hours=4)]
    assert p1[0].state(reported + timedelta(hours=1), 0.25, reported) == "met_late"
    assert p1[1].state(reported + timedelta(hours=3, minutes=1), 0.25, reported) == "near"
    assert p1[1].state(reported + timedelta(hours=4), 0.25, reported) == "breached"


def test_an_organisation_changes_its_targets_and_bad_ones_are_refused(as_user, demo):
    admin = as_user("admin")
    form = {f"{s}-{c}": v for s, t in {"P1": ("10m", "2h"), "P2": ("1h", "8h"), "P3": ("4h", "3bd"),
                                        "P4": ("1bd", "5bd")}.items()
            for c, v in zip(("response", "resolution"), t, strict=True)}
    assert admin.post("/admin/sla", data=form).status_code == 303
    assert Organisation.current().sla_targets == {"P1": {"response": "10m", "resolution": "2h"}}
    bad = admin.post("/admin/sla", data={**form, "P3-resolution": "three days"})
    assert bad.status_code == 422 and "write a number and a unit" in bad.get_data(as_text=True)
    db.session.expire_all()
    assert Organisation.current().sla_targets == {"P1": {"response": "10m", "resolution": "2h"}}
    with pytest.raises(ValueError):
        check_target("0h")
    incident = file_incident(demo)
    body = as_user("supervisor").get(f"/api/v1/incidents/{incident.reference}").get_json()
    assert [(c["clock"], c["target"], c["due"]) for c in body["sla"]] == [
        ("response", "10m", (T0 + timedelta(minutes=10)).isoformat()),
        ("resolution", "2h", (T0 + timedelta(hours=2)).isoformat())]


def test_a_severity_change_recounts_from_the_original_report(demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)  # P4
    actions.override_severity(incident, "P2", "the hazard is on the main walkway", demo["supervisor"])
    db.session.commit()
    body = incident.timeline[-1].summary
    assert body.startswith("Targets for P2, counted from the original report: respond (acknowledge) by ")
    due = (T0 + timedelta(hours=1)).astimezone(ZoneInfo("Europe/London"))
    assert f"{due:%a %d %b %H:%M %Z} (1 h)" in body


def test_the_queue_leads_with_the_nearest_deadline_and_shows_it(as_user, demo):
    hazard = file_incident(demo, what_happened=["hazard"], treatment=None)  # P4: next business day
    critical = file_incident(demo)  # P1: respond within 15 min
    page = as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert page.index(critical.reference) < page.index(hazard.reference)
    # Reported at T0, when the test run began: the countdown depends on how long ago that was.
    shown = re.search(r'<span class="clock clock-(\w+)">Respond \(acknowledge\): ([^<]+)</span>', page)
    assert shown and re.fullmatch(r"due in \d+ min|due now|overdue by .+", shown.group(2))


def test_near_breaches_and_breaches_are_paged_once_each(app, demo):
    app.config["MAIL_SERVER"] = "localhost"
    incident = file_incident(demo)
    incident.commander = demo["responder2"]
    db.session.commit()
    assert page_clocks(T0 + timedelta(minutes=11)) == 0
    assert page_clocks(T0 + timedelta(minutes=12)) == 1  # 3 min of 15 left: near
    assert page_clocks(T0 + timedelta(minutes=13)) == 0
    assert page_clocks(T0 + timedelta(minutes=15)) == 1  # breached
    pages = [(n.user.email.split("@")[0], n.about) for n in db.session.scalars(
        db.select(Message).where(Message.about.is_not(None), Message.channel != "app").order_by(Message.id))]
    assert pages == [("responder2", "P1 respond (acknowledge) target (15 min): due in 3 min"),
                     ("responder2", "P1 respond (acknowledge) target (15 min): due now"),
                     ("supervisor", "P1 respond (acknowledge) target (15 min): due now"),
                     ("admin", "P1 respond (acknowledge) target (15 min): due now")]
    actions.acknowledge(incident, demo["responder"], T0 + timedelta(minutes=16))
    db.session.commit()
    assert page_clocks(T0 + timedelta(hours=3, minutes=1)) == 1  # the resolution clock runs on: near
    assert page_clocks(datetime.now(UTC) + timedelta(days=1)) == 1  # resolution breached, once


def test_a_clock_says_when_it_next_turns():
    reported = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    response, resolution = clocks(severity="P1", reported_at=reported, acknowledged_at=None, resolved_at=None,
                                  zone="UTC", jurisdiction="UK")
    assert response.next_change(reported, 0.2, reported) == reported + timedelta(minutes=12)  # near
    assert response.next_change(reported + timedelta(minutes=12), 0.2, reported) == reported + timedelta(minutes=15)
    assert response.next_change(reported + timedelta(minutes=15), 0.2, reported) is None  # breached: no more
    met = clocks(severity="P1", reported_at=reported, acknowledged_at=reported, resolved_at=None,
                 zone="UTC", jurisdiction="UK")[0]
    assert met.next_change(reported, 0.2, reported) is None
    assert resolution.next_change(reported, 0.2, reported) == reported + timedelta(hours=3, minutes=12)


def check_at(incident):
    db.session.expire_all()
    return db.session.get(type(incident), incident.id).clock_check_at


def test_the_worker_leaves_a_quiet_incident_alone_until_its_next_clock_turns(demo):
    incident = file_incident(demo)  # P1, reported at T0: near at +11:15 (a quarter of 15 min left)
    assert check_at(incident) is None  # new: looked at on the next pass
    assert page_clocks(T0) == 0
    assert check_at(incident) == T0 + timedelta(minutes=11, seconds=15)
    assert page_clocks(T0 + timedelta(minutes=11, seconds=15)) == 1
    assert check_at(incident) == T0 + timedelta(minutes=15)
    assert page_clocks(T0 + timedelta(minutes=15)) == 1  # breached
    assert check_at(incident) == T0 + timedelta(hours=3)  # the resolution clock is next


def test_what_moves_the_clocks_has_the_worker_look_again(as_user, demo):
    incident = file_incident(demo, what_happened=["hazard"], treatment=None)  # P4: next business day
    page_clocks(T0)
    assert check_at(incident) > T0 + timedelta(hours=4)
    actions.override_severity(incident, "P1", "the hazard is on the main walkway", demo["supervisor"])
    db.session.commit()
    assert check_at(incident) is None
    assert page_clocks(T0 + timedelta(minutes=20)) == 1  # the P1 response target, 15 min, is breached
    page_clocks(T0 + timedelta(minutes=21))
    assert check_at(incident) == T0 + timedelta(hours=3)
    # New targets: every open incident is looked at again.
    form = {f"{s}-{c}": v for s, t in {"P1": ("10m", "2h"), "P2": ("1h", "8h"), "P3": ("4h", "3bd"),
                                        "P4": ("1bd", "5bd")}.items()
            for c, v in zip(("response", "resolution"), t, strict=True)}
    assert as_user("admin").post("/admin/sla", data=form).status_code == 303
    assert check_at(incident) is None
    page_clocks(T0 + timedelta(minutes=22))
    assert check_at(incident) == T0 + timedelta(hours=1, minutes=30)  # near: a quarter of 2 h left
    # A site's new time zone moves business days: its incidents are looked at again.
    as_user("admin").post(f"/admin/sites/{incident.site_id}", data={"timezone": "Europe/Dublin"})
    assert check_at(incident) is None


def test_a_change_made_while_the_worker_works_is_not_overwritten(demo, monkeypatch):
    from sqlalchemy import update

    from webapp.incidents.models import Incident
    from webapp.sla import service
    incident = file_incident(demo)
    real = service.incident_clocks

    def meanwhile(row, overrides=None):
        # Another process moves the clocks while the worker computes (unseen by the worker's session).
        db.session.execute(update(Incident).where(Incident.id == row.id)
                           .values(clock_check_at=None, clock_generation=Incident.clock_generation + 1)
                           .execution_options(synchronize_session=False))
        return real(row, overrides)
    monkeypatch.setattr(service, "incident_clocks", meanwhile)
    page_clocks(T0)
    assert check_at(incident) is None  # the worker's answer was for the old clocks: the next pass looks again


def test_the_queue_reads_the_same_few_queries_however_many_rows_it_shows(as_user, demo):
    """The 10-second poll of every supervisor's queue must not cost a query per incident."""
    from sqlalchemy import event
    supervisor = as_user("supervisor")

    def queries_for_the_poll() -> int:
        seen = []
        listener = lambda *args: seen.append(1)  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert supervisor.get("/incidents", headers={"HX-Request": "true"}).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)
    file_incident(demo, what_happened=["hazard"], treatment=None)
    few = queries_for_the_poll()
    for _ in range(12):
        file_incident(demo, what_happened=["hazard"], treatment=None, site="SYD")
    assert queries_for_the_poll() == few


def test_a_regulators_deadline_leads_the_queue_when_it_is_the_soonest(as_user, demo):
    critical = file_incident(demo)  # P1 at Manchester: respond within 15 min, no regulator
    notifiable = file_incident(demo, site="SYD", treatment="medical", injuries=["serious_eye"])  # P2: WHS, at once
    assert notifiable.severity == "P2"
    page = as_user("supervisor").get("/incidents").get_data(as_text=True)
    assert page.index(notifiable.reference) < page.index(critical.reference)  # "immediately" beats 15 min
    row = page[page.index(notifiable.reference):page.index(critical.reference)]
    assert re.search(r'class="clock clock-breached" title="Notify the WHS regulator[^"]*">Regulator \(AU-WHS\): '
                     r"(due now|overdue by)", row)


@pytest.mark.parametrize("target, words", [("15m", "15 min"), ("4h", "4 h"), ("1bd", "next business day"),
                                           ("3bd", "3 business days"), ("1440m", "1440 min")])
def test_targets_in_words(target, words):
    assert describe(target) == words


@pytest.mark.parametrize("text, ok", [(" 4h ", "4h"), ("15m", "15m"), ("9999h", "9999h"), ("0m", None),
                                      ("10000h", None), ("4x", None), ("h4", None), (4, None), ("", None)])
def test_targets_are_a_number_and_a_unit(text, ok):
    if ok:
        assert check_target(text) == ok
    else:
        with pytest.raises(ValueError):
            check_target(text)


def test_a_clock_turns_near_then_breached_at_its_boundaries():
    start = datetime(2026, 6, 1, 9, tzinfo=UTC)
    due = start + timedelta(hours=4)
    clock = Clock("resolution", "4h", due, None)
    assert clock.state(start + timedelta(hours=2, minutes=59), 0.25, start) == "running"
    assert clock.state(start + timedelta(hours=3), 0.25, start) == "near"  # a quarter of the window left
    assert clock.state(due - timedelta(seconds=1), 0.25, start) == "near"
    assert clock.state(due, 0.25, start) == "breached"
    assert clock.next_change(start, 0.25, start) == start + timedelta(hours=3)
    assert clock.next_change(start + timedelta(hours=3), 0.25, start) == due
    assert clock.next_change(due, 0.25, start) is None
    assert Clock("resolution", "4h", due, due).state(due + timedelta(days=1), 0.25, start) == "met"
    late = Clock("resolution", "4h", due, due + timedelta(seconds=1))
    assert late.state(due, 0.25, start) == "met_late" and late.next_change(start, 0.25, start) is None
