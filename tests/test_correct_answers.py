"""Supervisors correct a report's answers through the API: reclassified, obligations recomputed."""
from helpers import file_incident, input_tag, is_checked

from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.obligations.service import obligations_of


def first_aid(demo):
    return file_incident(demo, site="SYD", treatment="first_aid")


def test_a_corrected_treatment_reclassifies_and_brings_the_obligations(as_user, demo):
    incident = first_aid(demo)
    assert incident.severity == "P4" and obligations_of(incident) == []
    response = as_user("supervisor").patch(f"/api/v1/incidents/{incident.reference}", json={
        "answers": {"treatment": "hospital_admitted"}, "reason": "the hospital kept him in overnight"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["severity"] == "P1" and body["classified_severity"] == "P1"
    assert [(o["regime"], o["step"]) for o in body["obligations"]][0] == ("AU-WHS", "notify")
    db.session.expire_all()
    incident = db.session.get(Incident, incident.id)
    summaries = [e.summary for e in incident.timeline]
    assert any(s.startswith("Answers corrected by Supervisor: the hospital kept him in overnight. ")
               and "First aid → Admitted to hospital" in s for s in summaries)
    assert any(s.startswith("Obligations recomputed after the answers were corrected: AU-WHS") for s in summaries)
    assert incident.major_at is not None  # now a P1


def test_a_severity_the_supervisor_set_stays(as_user, demo):
    incident = first_aid(demo)
    supervisor = as_user("supervisor")
    supervisor.post(f"/incidents/{incident.reference}/severity", data={"severity": "P2", "reason": "crowd watching"})
    response = supervisor.patch(f"/api/v1/incidents/{incident.reference}",
                                json={"answers": {"treatment": "medical"}, "reason": "saw a GP after all"})
    assert response.get_json()["severity"] == "P2" and response.get_json()["classified_severity"] == "P3"


def test_bad_corrections_name_the_problem_and_change_nothing(as_user, demo):
    incident = first_aid(demo)
    url = f"/api/v1/incidents/{incident.reference}"
    supervisor = as_user("supervisor")
    cases = [
        ({"answers": {"site": "MAN"}, "reason": "x"}, 400, "answers.site"),
        ({"answers": {"treatment": "bandage"}, "reason": "x"}, 400, "answers.treatment"),
        ({"answers": {"treatment": "medical"}}, 422, "reason"),
        ({"answers": {"treatment": "first_aid"}, "reason": "same"}, 422, "answers"),
        ({"answers": "treatment=medical", "reason": "x"}, 400, "answers"),
        ({"answers": {"treatment": "medical"}, "reason": "x", "severity": "P1"}, 400, "severity"),
    ]
    for body, status, field in cases:
        response = supervisor.patch(url, json=body)
        assert response.status_code == status and field in response.get_json()["fields"], (body, response.get_json())
    assert as_user("responder").patch(url, json={"answers": {"treatment": "medical"}, "reason": "x"}).status_code == 403
    db.session.expire_all()
    unchanged = db.session.get(Incident, incident.id)
    assert unchanged.answers["treatment"] == "first_aid" and unchanged.severity == "P4"
    assert [e.what for e in unchanged.timeline] == ["reported"]


def test_an_unknown_key_or_one_the_answers_do_not_ask_is_named(as_user, demo):
    incident = first_aid(demo)
    url = f"/api/v1/incidents/{incident.reference}"
    supervisor = as_user("supervisor")
    response = supervisor.patch(url, json={"answers": {"treatmnet": "medical"}, "reason": "typo"})
    assert response.status_code == 400 and response.get_json()["fields"] == {"answers.treatmnet": "is not a field here"}
    response = supervisor.patch(url, json={"answers": {"ransomware": True}, "reason": "it was"})
    assert response.status_code == 400
    assert response.get_json()["fields"] == {"answers.ransomware": "is not asked with these answers"}


def test_answers_no_longer_asked_are_dropped(as_user, demo):
    incident = first_aid(demo)
    response = as_user("supervisor").patch(f"/api/v1/incidents/{incident.reference}", json={
        "answers": {"what_happened": ["near_miss"]}, "reason": "nobody was hurt after all"})
    assert response.status_code == 200
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).answers == {"what_happened": ["near_miss"]}
    assert response.get_json()["severity"] == "P4"


# ---- The page: the report's guided questions, filled in ----

def test_the_page_shows_the_questions_with_the_answers_given(as_user, demo):
    incident = first_aid(demo)
    assert f'href="/incidents/{incident.reference}/answers"' in \
        as_user("supervisor").get(f"/incidents/{incident.reference}").get_data(as_text=True)
    page = as_user("supervisor").get(f"/incidents/{incident.reference}/answers").get_data(as_text=True)
    assert is_checked(page, "what_happened", "injury") and is_checked(page, "treatment", "first_aid")
    assert not is_checked(page, "treatment", "medical")
    assert "disabled" in input_tag(page, "ransomware", "yes")  # not asked of an injury: hidden until it is
    assert "Correct the answers" not in as_user("responder").get(f"/incidents/{incident.reference}").get_data(
        as_text=True)


def test_a_supervisor_corrects_the_treatment_on_the_page(as_user, demo):
    incident = first_aid(demo)
    supervisor = as_user("supervisor")
    response = supervisor.post(f"/incidents/{incident.reference}/answers", data={
        "what_happened": "injury", "injured_person": "worker", "treatment": "hospital_admitted",
        "reason": "the hospital kept him in overnight"})
    assert response.status_code == 303
    page = supervisor.get(response.headers["Location"]).get_data(as_text=True)
    assert "Answers corrected: What treatment did they need?: First aid → Admitted to hospital" in page
    assert "Now P1." in page and "Regulatory obligations" in page
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).severity == "P1"


def test_a_correction_without_a_reason_keeps_what_was_chosen_and_changes_nothing(as_user, demo):
    incident = first_aid(demo)
    response = as_user("supervisor").post(f"/incidents/{incident.reference}/answers", data={
        "what_happened": "injury", "injured_person": "worker", "treatment": "medical", "reason": " "})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Correcting the answers needs a reason" in page
    assert is_checked(page, "treatment", "medical")  # the supervisor's choice is still there to save
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).answers["treatment"] == "first_aid"


def test_bad_values_on_the_page_are_named_beside_their_question(as_user, demo):
    incident = first_aid(demo)
    response = as_user("supervisor").post(f"/incidents/{incident.reference}/answers", data={
        "what_happened": "injury", "injured_person": "worker", "treatment": "first_aid",
        "days_unfit_for_work": "three", "reason": "more days off"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="days_unfit_for_work-error">must be a whole number' in page
    assert 'value="three"' in input_tag(page, "days_unfit_for_work")


def test_nobody_but_a_supervisor_may_post_a_correction(as_user, demo):
    incident = first_aid(demo)
    response = as_user("responder").post(f"/incidents/{incident.reference}/answers", data={
        "what_happened": "near_miss", "reason": "x"})
    assert response.status_code == 403

