"""Obligations on real incidents: created with the report, recomputed when the facts change, and
recorded as done or not required, on the page and in the API."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from helpers import T0, file_incident

from webapp.common.calendar import add_business_days
from webapp.database import utcnow
from webapp.extensions import db
from webapp.incidents import actions
from webapp.obligations.models import Obligation
from webapp.obligations.service import mark_done, obligations_of, sync
from webapp.organisation.models import Organisation

SYD = ZoneInfo("Australia/Sydney")


def table(incident) -> dict[str, tuple]:
    db.session.expire_all()
    return {f"{o.regime}:{o.step}": (o.status, o.deadline) for o in obligations_of(incident)}


def one(incident, key: str) -> Obligation:
    return next(o for o in obligations_of(incident) if f"{o.regime}:{o.step}" == key)


def test_a_notifiable_injury_arrives_with_its_obligations(demo):
    incident = file_incident(demo, site="SYD")  # admitted to hospital, Sydney
    assert table(incident) == {"AU-WHS:notify": ("due", T0), "AU-WHS:written": ("due", None),
                               "AU-WHS:preserve": ("due", None), "AU-WHS:record": ("due", None)}
    assert one(incident, "AU-WHS:written").waiting_for == "the regulator asks for written notice"
    assert one(incident, "AU-WHS:notify").state(T0 + timedelta(seconds=1)) == "overdue"  # "immediately"


def test_the_api_shows_each_obligation_with_its_rule_deadline_status_and_reasons(as_user, demo):
    incident = file_incident(demo, site="SYD")
    body = as_user("supervisor").get(f"/api/v1/incidents/{incident.reference}").get_json()
    notify = body["obligations"][0]
    assert {k: notify[k] for k in ("regime", "step", "rule", "deadline", "status", "reasons")} == {
        "regime": "AU-WHS", "step": "notify", "rule": "immediately (due when the organisation became aware)",
        "deadline": T0.isoformat(), "status": "overdue",
        "reasons": ["admission to hospital as an in-patient is a serious injury"]}
    assert [o["status"] for o in body["obligations"]][1:3] == ["waiting", "due"]


def test_correcting_the_aware_time_moves_open_deadlines_and_says_so(demo):
    incident = file_incident(demo, site="SYD", what_happened=["injury", "environmental"],
                             reached_drain_or_waterway=True)
    mark_done(incident, one(incident, "AU-WHS:notify").id, T0 + timedelta(minutes=5), "SW-123", demo["supervisor"],
              T0 + timedelta(minutes=6))
    db.session.commit()
    earlier = T0 - timedelta(minutes=1)
    actions.correct_aware_at(incident, earlier, "the foreman knew before the report", demo["supervisor"],
                             T0 + timedelta(minutes=10))
    db.session.commit()
    assert table(incident)["AU-NSW-POEO:notify"] == ("due", earlier)
    assert table(incident)["AU-WHS:notify"] == ("done", T0)  # done stays done, deadline as it was
    entry = incident.timeline[-1]
    assert entry.what == "obligations" and entry.summary.startswith(
        "Obligations recomputed after the aware time was corrected: AU-NSW-POEO notify the epa")
    assert "(was " in entry.summary


def test_changed_answers_add_and_retire_obligations(demo):
    Organisation.current().privacy_act_covered = True
    db.session.commit()
    incident = file_incident(demo, site="SYD")
    incident.answers = {**incident.answers, "what_happened": ["data_breach"], "personal_data": "yes",
                        "likely_serious_harm": "yes", "treatment": None}
    changes = sync(incident, "the answers changed", demo["supervisor"])
    db.session.commit()
    assert table(incident)["AU-NDB:assess"] == ("due", T0 + timedelta(days=30))
    assert table(incident)["AU-WHS:notify"][0] == "not_required"
    assert one(incident, "AU-WHS:notify").not_required_reason == "no longer applies after the answers changed"
    assert any("AU-NDB assess" in c for c in changes) and any("no longer applies" in c for c in changes)
    assert incident.timeline[-1].summary.startswith("Obligations recomputed after the answers changed")


def test_a_severity_change_moves_the_customer_notice(demo):
    Organisation.current().customer_contract = True
    db.session.commit()
    incident = file_incident(demo, site="SYD", what_happened=["property_damage"], treatment=None)
    assert incident.severity == "P4"
    assert table(incident)["CUSTOMER:notify"] == ("due", add_business_days(T0, 1, "Australia/Sydney", "AU-NSW"))
    actions.override_severity(incident, "P1", "the line is down for the whole plant", demo["supervisor"])
    db.session.commit()
    assert table(incident)["CUSTOMER:notify"] == ("due", T0 + timedelta(minutes=15))
    summaries = [e.summary for e in incident.timeline]
    assert any("after the severity changed to P1" in text for text in summaries)
    assert any(text.startswith("Targets for P1, counted from the original report: respond (acknowledge) by")
               for text in summaries)
    assert summaries[-2].startswith("Declared a major incident automatically")
    assert summaries[-1] == "Post-incident review required: every P1 has a post-incident review"


def test_a_supervisor_marks_a_step_done_with_the_regulators_reference(as_user, demo):
    incident = file_incident(demo, site="SYD")
    notify = one(incident, "AU-WHS:notify")
    supervisor = as_user("supervisor")
    url = f"/incidents/{incident.reference}/obligations/{notify.id}"
    page = supervisor.post(f"{url}/done", data={"reference": "SWNSW-2026-0042"}, follow_redirects=True)
    assert page.status_code == 200
    row = one(incident, "AU-WHS:notify")
    assert (row.status, row.reference, row.decided_by_id) == ("done", "SWNSW-2026-0042", demo["supervisor"].id)
    assert "reference <strong>SWNSW-2026-0042</strong>" in page.get_data(as_text=True)
    assert incident.timeline[-1].details["late"] is True  # "immediately" was a few moments ago
    again = supervisor.post(f"{url}/done", data={"reference": "x"})
    assert again.status_code == 422 and "already marked done" in again.get_data(as_text=True)
    assert as_user("responder").post(f"{url}/done", data={"reference": "x"}).status_code == 403


@pytest.mark.parametrize("path, data, message", [
    ("not-required", {"reason": ""}, "Say why it is not required"),
    ("done", {"done_at": "2999-01-01T00:00"}, "cannot have been done in the future"),
    ("done", {"done_at": "yesterday"}, "Enter the date and time"),
])
def test_bad_records_are_refused_and_change_nothing(as_user, demo, path, data, message):
    incident = file_incident(demo, site="SYD")
    notify = one(incident, "AU-WHS:notify")
    response = as_user("supervisor").post(f"/incidents/{incident.reference}/obligations/{notify.id}/{path}", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert one(incident, "AU-WHS:notify").status == "due"


def _rows() -> tuple[int, ...]:
    from webapp.incidents.models import TimelineEntry
    db.session.expire_all()
    return (db.session.scalar(db.select(db.func.count(TimelineEntry.id))),
            db.session.scalar(db.select(db.func.count(Obligation.id)).where(Obligation.status == "due")),
            db.session.scalar(db.select(db.func.count(Obligation.id)).where(Obligation.owner_id.is_not(None))))


@pytest.mark.parametrize("path, data, field", [
    ("done", {"reference": "x" * 201}, "reference"),  # the input holds 200
    ("done", {"reference": ["R1", "R2"]}, "reference"),  # which one was meant?
    ("done", {"reference": "R1", "colour": "red"}, "colour"),
    ("not-required", {"reason": "x" * 1001}, "reason"),
    ("owner", {"user_id": "²"}, "user_id"),  # a digit to str.isdigit(), not to int()
    ("owner", {"user_id": "12abc"}, "user_id"),
    ("owner", {"user_id": "0"}, "user_id"),
    ("events", {"event": "inspector_called", "at": ""}, "event"),
])
def test_what_no_form_of_ours_sends_is_a_400_naming_the_field_and_changes_nothing(as_user, demo, path, data,
                                                                                     field):
    incident = file_incident(demo, site="SYD")
    notify = one(incident, "AU-WHS:notify")
    base = f"/incidents/{incident.reference}/obligations"
    url = f"{base}/events" if path == "events" else f"{base}/{notify.id}/{path}"
    before = _rows()
    response = as_user("supervisor").post(url, data=data)
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert f"({field} " in response.get_data(as_text=True) or f"; {field} " in response.get_data(as_text=True)
    assert _rows() == before


def test_an_obligation_of_another_incident_cannot_be_touched_through_this_one(as_user, demo):
    first, second = file_incident(demo, site="SYD"), file_incident(demo, site="SYD")
    other = one(second, "AU-WHS:notify")
    response = as_user("supervisor").post(f"/incidents/{first.reference}/obligations/{other.id}/done", data={})
    assert response.status_code == 422 and one(second, "AU-WHS:notify").status == "due"


def test_a_supervisor_names_an_owner_for_a_step_on_the_page_and_in_the_api(as_user, demo):
    incident = file_incident(demo, site="SYD")
    notify = one(incident, "AU-WHS:notify")
    supervisor = as_user("supervisor")
    url = f"/incidents/{incident.reference}/obligations/{notify.id}/owner"
    page = supervisor.post(url, data={"user_id": demo["responder2"].id}, follow_redirects=True).get_data(as_text=True)
    assert f"Owner: <strong>{demo['responder2'].name}</strong>" in page
    assert incident.timeline[-1].summary == (f"AU-WHS: {notify.what}: owner {demo['responder2'].name}")
    body = supervisor.get(f"/api/v1/incidents/{incident.reference}").get_json()
    assert body["obligations"][0]["owner"]["email"] == demo["responder2"].email
    assert body["obligations"][1]["owner"] is None
    supervisor.post(url, data={"user_id": ""})
    assert one(incident, "AU-WHS:notify").owner_id is None
    assert "owner cleared" in incident.timeline[-1].summary


@pytest.mark.parametrize("who, message", [
    ("reporter", "Choose an active responder, supervisor or admin"),
    (999999, "Choose an active responder, supervisor or admin"),
])
def test_an_owner_must_be_active_staff(as_user, demo, who, message):
    incident = file_incident(demo, site="SYD")
    notify = one(incident, "AU-WHS:notify")
    user_id = demo[who].id if isinstance(who, str) else who
    response = as_user("supervisor").post(f"/incidents/{incident.reference}/obligations/{notify.id}/owner",
                                          data={"user_id": user_id})
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert one(incident, "AU-WHS:notify").owner_id is None


def test_a_confidential_incidents_step_cannot_be_given_to_someone_who_may_not_see_it(as_user, demo):
    incident = file_incident(demo, site="SYD", confidential=True)
    notify = one(incident, "AU-WHS:notify")
    response = as_user("supervisor").post(f"/incidents/{incident.reference}/obligations/{notify.id}/owner",
                                          data={"user_id": demo["responder"].id})
    assert response.status_code == 422 and "may not see this confidential incident" in response.get_data(as_text=True)


def test_a_settled_step_takes_no_owner(as_user, demo):
    incident = file_incident(demo, site="SYD")
    notify = one(incident, "AU-WHS:notify")
    supervisor = as_user("supervisor")
    supervisor.post(f"/incidents/{incident.reference}/obligations/{notify.id}/done", data={"reference": "R1"})
    response = supervisor.post(f"/incidents/{incident.reference}/obligations/{notify.id}/owner",
                               data={"user_id": demo["responder"].id})
    assert response.status_code == 422 and "already settled" in response.get_data(as_text=True)


def test_the_site_is_preserved_until_an_inspector_releases_it(as_user, demo):
    incident = file_incident(demo, site="SYD")
    supervisor = as_user("supervisor")
    assert "Preserve the site." in supervisor.get(f"/incidents/{incident.reference}").get_data(as_text=True)
    assert "Preserve the site." in as_user("reporter").get(f"/incidents/{incident.reference}").get_data(as_text=True)
    preserve = one(incident, "AU-WHS:preserve")
    page = supervisor.post(f"/incidents/{incident.reference}/obligations/{preserve.id}/done",
                           data={"reference": "Inspector J. Ng"}, follow_redirects=True).get_data(as_text=True)
    assert "Preserve the site." not in page
    assert "Site released by the inspector (reference Inspector J. Ng): it may be disturbed" in page


def test_the_regulator_asking_starts_the_written_notice_clock(as_user, demo):
    incident = file_incident(demo, site="SYD")
    supervisor = as_user("supervisor")
    later = (utcnow() + timedelta(hours=1)).astimezone(SYD).strftime("%Y-%m-%dT%H:%M")
    refused = supervisor.post(f"/incidents/{incident.reference}/obligations/events",
                              data={"event": "regulator_asked", "at": later})
    assert refused.status_code == 422 and "between the incident and now" in refused.get_data(as_text=True)
    before = utcnow()
    supervisor.post(f"/incidents/{incident.reference}/obligations/events", data={"event": "regulator_asked", "at": ""})
    status, due = table(incident)["AU-WHS:written"]
    assert status == "due" and before + timedelta(hours=48) <= due <= utcnow() + timedelta(hours=48)
    assert one(incident, "AU-WHS:written").waiting_for is None
    assert "AU-WHS: The regulator asked for written notice" in [e.summary for e in incident.timeline]


def test_the_nis2_final_report_is_due_a_month_after_the_notification(demo):
    Organisation.current().nis2_entity = True
    db.session.commit()
    incident = file_incident(demo, site="SYD", what_happened=["service_outage"], treatment=None,
                             service_impact="organisation")
    made = T0 + timedelta(hours=20)
    mark_done(incident, one(incident, "EU-NIS2:notification").id, made, "CSIRT-9", demo["supervisor"],
              T0 + timedelta(days=1))
    db.session.commit()
    assert table(incident)["EU-NIS2:final"][1].date() == (made + timedelta(days=30)).date()


def test_reporters_do_not_see_the_obligations_panel(as_user, demo):
    incident = file_incident(demo, site="SYD")
    assert "Regulatory obligations" not in (as_user("reporter").get(f"/incidents/{incident.reference}")
                                            .get_data(as_text=True))
    assert "Regulatory obligations" in (as_user("responder").get(f"/incidents/{incident.reference}")
                                        .get_data(as_text=True))


def test_admins_can_review_the_rule_table_and_are_told_it_is_not_legal_advice(as_user, demo):
    page = as_user("admin").get("/admin/regulatory").get_data(as_text=True)
    assert "Not legal advice." in page
    for regime in ("AU-WHS", "AU-VIC-OHS", "AU-NDB", "AU-APRA-CPS234", "AU-SOCI", "AU-CYBER-RANSOM", "AU-NSW-POEO",
                   "GDPR", "UK-NIS", "UK-RIDDOR", "EU-NIS2", "CUSTOMER"):
        assert f'id="regime-{regime}"' in page
    assert "Notify the WHS regulator by the fastest means (phone or online): immediately" in page
