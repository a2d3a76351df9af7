"""Wrong types in JSON bodies are 400s that name the field and change nothing, never 500s (issue 13's
attack run: a non-string reason, a time zone or period sent as a list, lists where words belong)."""
from __future__ import annotations

from helpers import file_incident

from webapp.escalation.models import EscalationPolicy, Schedule
from webapp.extensions import db
from webapp.incidents.models import Incident


def count(model) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(model))


def test_a_correction_with_a_reason_that_is_not_text_names_the_reason(as_user, demo):
    incident = file_incident(demo)
    db.session.commit()
    for reason in (5, ["why"], {"a": 1}, True):
        answer = as_user("supervisor").patch(f"/api/v1/incidents/{incident.reference}",
                                             json={"answers": {"treatment": "first_aid"}, "reason": reason})
        assert answer.status_code == 400 and "reason" in answer.get_json()["fields"], reason
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).answers["treatment"] == "hospital_admitted"


def test_a_schedule_with_lists_for_words_names_each_field(as_user, demo):
    body = {"name": "Night crew", "handoff": "19:00", "first_day": "2026-01-05",
            "members": [demo["responder"].id]}
    for field, value in (("timezone", ["Australia/Sydney"]), ("period", ["daily"]), ("timezone", {"x": 1})):
        sent = {"timezone": "Australia/Sydney", "period": "daily", **body, field: value}
        answer = as_user("admin").post("/api/v1/schedules", json=sent)
        assert answer.status_code == 400 and field in answer.get_json()["fields"], (field, value)
    assert count(Schedule) == 0


def test_a_policy_with_lists_inside_its_lists_is_refused(as_user, demo):
    level = {"delay_minutes": 0, "targets": [{"kind": "role", "ref": ["commander"]}]}
    answer = as_user("admin").post("/api/v1/escalation-policies", json={"name": "X", "levels": [level]})
    assert answer.status_code == 400
    rule = {"priority": 1, "sites": [["MAN"]], "categories": None, "severities": [["P1"]]}
    answer = as_user("admin").post("/api/v1/escalation-policies", json={
        "name": "Y", "levels": [{"delay_minutes": 0, "targets": [{"kind": "role", "ref": "commander"}]}],
        "rules": [rule]})
    assert answer.status_code == 400
    assert count(EscalationPolicy) == 0


def test_the_form_and_the_api_never_make_different_incidents_of_the_same_answers(as_user, demo):
    """{"what_happened": ["other"], "treatment": "fatality"} was P1 through the API and P4 through the form
    (issue 13): the form drops answers to questions it did not ask, and the API now refuses them, naming
    the key and when it is asked, rather than classifying on them."""
    answer = as_user("reporter").post("/api/v1/incidents", json={
        "client_id": "3f1b3a52-3c1e-4e8c-9d2f-0a1b2c3d4e5f", "description": "Found on the floor",
        "what_happened": ["other"], "treatment": "fatality", "site": "SYD"})
    assert answer.status_code == 400
    assert "only when what_happened is injury" in answer.get_json()["fields"]["treatment"]
    assert count(Incident) == 0
    form = as_user("reporter").post("/report", data={
        "client_id": "0c9f7a52-3c1e-4e8c-9d2f-0a1b2c3d4e5f", "description": "Found on the floor",
        "what_happened": "other", "treatment": "fatality", "site": "SYD", "occurred_at": "2026-01-10T09:30"})
    assert form.status_code in (302, 303)
    filed = db.session.scalar(db.select(Incident))
    assert "treatment" not in filed.answers and filed.severity == "P4"
    same = as_user("reporter").post("/api/v1/incidents", json={
        "client_id": "1d9f7a52-3c1e-4e8c-9d2f-0a1b2c3d4e5f", "description": "Found on the floor",
        "what_happened": ["other"], "site": "SYD"})
    assert same.status_code == 201 and same.get_json()["severity"] == filed.severity
