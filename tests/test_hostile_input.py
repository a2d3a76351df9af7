"""Wrong types in JSON bodies are 400s that name the field and change nothing, never 500s (issue 13's
attack run: a non-string reason, a time zone or period sent as a list, lists where words belong)."""
from __future__ import annotations

import io
import os

from helpers import file_incident, form_report
from PIL import Image
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from webapp.escalation.models import EscalationPolicy, Schedule
from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.learning.models import CorrectiveAction
from webapp.organisation.models import Organisation


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


FACTS = ("severity", "classified_severity", "severity_reasons", "categories", "confidential", "high_potential",
         "answers")


def test_a_correction_to_the_same_answers_makes_the_same_incident_as_a_report_of_them(as_user, demo):
    """One path from answers to facts (incidents/facts.apply_answers) for a report and a correction: an
    incident reported as a first-aid injury and corrected to a hospital admission with a serious head
    injury is, in every fact and every obligation, the incident reported that way in the first place."""
    serious = {"what_happened": ["injury"], "injured_person": "public", "treatment": "hospital_admitted",
               "injuries": ["serious_head"], "taken_to_hospital_from_scene": True}
    api = as_user("reporter")
    first = api.post("/api/v1/incidents", json={"description": "Fell from a ladder", "site": "SYD", **serious})
    minor = api.post("/api/v1/incidents", json={"description": "Fell from a ladder", "site": "SYD",
                                                "what_happened": ["injury"], "injured_person": "public",
                                                "treatment": "first_aid"})
    assert first.status_code == minor.status_code == 201 and minor.get_json()["severity"] != "P1"
    corrected = as_user("supervisor").patch(f"/api/v1/incidents/{minor.get_json()['reference']}", json={
        "answers": {k: v for k, v in serious.items() if k not in ("what_happened", "injured_person")},
        "reason": "the hospital admitted him"})
    assert corrected.status_code == 200, corrected.get_json()
    supervisor = as_user("supervisor")
    reported, fixed = (supervisor.get(f"/api/v1/incidents/{r.get_json()['reference']}").get_json()
                       for r in (first, corrected))
    assert {k: reported[k] for k in FACTS} == {k: fixed[k] for k in FACTS}
    assert reported["severity"] == "P1"
    steps = [[(o["regime"], o["step"], o["deadline"] is None) for o in r["obligations"]] for r in (reported, fixed)]
    assert steps[0] == steps[1] and steps[0]


def _page_names(response, field: str) -> bool:
    return response.status_code == 400 and field in response.get_data(as_text=True)


def test_the_incident_page_forms_refuse_what_no_page_of_ours_sends_and_change_nothing(as_user, demo):
    """Declared forms (incidents/schemas.py): each refusal a 400 page naming the field, the incident as it was."""
    incident = file_incident(demo)
    base = f"/incidents/{incident.reference}"
    supervisor = as_user("supervisor")
    before = [e.what for e in incident.timeline]
    cases = [
        ("/roles", {"role": "commander", "user_id": "²"}, "user_id"),
        ("/roles", {"role": "commander", "user_id": "1", "colour": "red"}, "colour"),
        ("/status", {"status": ["acknowledged", "closed"], "reason": "x"}, "status"),  # which one was meant?
        ("/status", {"status": "flying"}, "status"),
        ("/severity", {"severity": "P0", "reason": "x"}, "severity"),
        ("/notes", {"note": "x" * 20_001}, "note"),
        ("/aware-at", {"aware_at": "2026-01-01T09:00" * 10, "reason": "x"}, "aware_at"),
        ("/answers", {"what_happened": "injury", "description": "rewritten", "reason": "x"}, "description"),
        ("/acknowledge", {"by": "someone else"}, "by"),
    ]
    for path, data, field in cases:
        assert _page_names(supervisor.post(base + path, data=data), field), (path, data)
    db.session.expire_all()
    same = db.session.get(Incident, incident.id)
    assert [e.what for e in same.timeline] == before and same.acknowledged_at is None


def test_the_report_form_refuses_an_unknown_field_and_files_nothing(as_user, demo):
    reporter = as_user("reporter")
    report = {"what_happened": "hazard", "description": "Loose grating", "site": "SYD"}
    assert _page_names(reporter.post("/report", data={**report, "priority": "urgent"}), "priority")
    assert _page_names(reporter.post("/report", data={**report, "description": ["a", "b"]}), "description")
    assert _page_names(reporter.post("/report", data={**report, "photos": ["f" * 65]}), "photos.0")
    assert count(Incident) == 0
    assert reporter.post("/report", data=report).status_code == 303 and count(Incident) == 1


def test_a_refused_form_on_a_page_of_an_api_blueprint_gets_the_page_not_json(as_user, demo):
    """The alerts pages share a blueprint with the push API: a refused form there is the error page."""
    response = as_user("responder").post("/account/alerts/test", data={"phone": "all of them"})
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "phone is not a field here" in response.get_data(as_text=True)
    api = as_user("responder").post("/api/v1/push-subscriptions", json={"phone": "all of them"})
    assert api.status_code == 400 and api.get_json()["fields"]["phone"] == "is not a field here"


def _camera_photo() -> bytes:
    """A PNG of noise over 1 MB (the app's body limit for ordinary requests), as a phone's photos are."""
    out = io.BytesIO()
    Image.frombytes("RGB", (700, 700), os.urandom(700 * 700 * 3)).save(out, "PNG")
    assert out.tell() > 1024 * 1024
    return out.getvalue()


def _with_photo(fields: dict, photo: bytes) -> dict:
    """A multipart body made in memory (werkzeug's test client spools a large one to a file it never closes)."""
    values = MultiDict([(key, item) for key, value in fields.items()
                        for item in (value if isinstance(value, list) else [value])])
    values.add("photo_files", FileStorage(io.BytesIO(photo), filename="photo.png", content_type="image/png"))
    boundary, body = encode_multipart(values)
    return {"data": body, "content_type": f"multipart/form-data; boundary={boundary}"}


def test_a_report_or_an_action_done_without_javascript_takes_a_camera_sized_photo(as_user, demo):
    """The declared form is read after the view's own body limit is set (common.schemas.limit_body): a plain
    form with a real photo is a 303, not the app-wide 1 MB's 413 that lost the report."""
    photo = _camera_photo()
    reporter = as_user("reporter")
    sent = reporter.post("/report", **_with_photo(form_report(), photo))
    assert sent.status_code == 303
    incident = db.session.scalar(db.select(Incident))
    assert len(incident.photos) == 1
    made = as_user("supervisor").post(f"/api/v1/incidents/{incident.reference}/actions", json={
        "title": "Fit a guard", "owner_id": demo["responder"].id, "due_date": "2099-01-01", "control": "engineering"})
    assert made.status_code == 201
    action = db.session.get(CorrectiveAction, made.get_json()["id"])
    done = as_user("responder").post(f"/actions/{action.id}/done", **_with_photo({"evidence": "Guard fitted"}, photo))
    assert done.status_code == 303
    db.session.expire_all()
    assert len(db.session.get(CorrectiveAction, action.id).photos) == 1


def test_line_breaks_count_once_as_the_browser_counts_them(as_user, demo):
    """A textarea's maxlength counts a line break once, but a browser sends CRLF: a description the page
    let a person type is filed, not refused as too long."""
    description = "\r\n".join(["ten chars."] * 454)  # 4,993 characters in the browser, 5,446 as sent
    sent = as_user("reporter").post("/report", data=form_report(description=description))
    assert sent.status_code == 303
    assert db.session.scalar(db.select(Incident)).description == description.replace("\r\n", "\n")


def test_the_login_page_opens_from_a_link_with_tracking_parameters(client, demo):
    assert client.get("/login?next=/incidents&utm_source=email&utm_medium=alert").status_code == 200


def test_a_form_view_refuses_a_json_body_rather_than_reading_it_as_empty(as_user, demo):
    incident = file_incident(demo)
    sent = as_user("supervisor").post(f"/incidents/{incident.reference}/notes", json={"note": "typed"})
    assert sent.status_code == 400 and "not JSON" in sent.get_data(as_text=True)


def test_the_sla_targets_form_refuses_a_field_it_does_not_have(as_user, demo):
    admin = as_user("admin")
    assert _page_names(admin.post("/admin/sla", data={"P1-response": "10m", "P9-response": "1m"}), "P9-response")
    assert Organisation.current().sla_targets is None


def test_an_api_call_that_takes_no_body_refuses_a_body_with_keys(as_user, demo):
    incident = file_incident(demo)
    responder = as_user("responder")
    url = f"/api/v1/incidents/{incident.reference}/acknowledge"
    refused = responder.post(url, json={"as": "someone else"})
    assert refused.status_code == 400 and refused.get_json()["fields"] == {"as": "is not a field here"}
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).acknowledged_at is None
    assert responder.post(url, json={}).status_code == 200
