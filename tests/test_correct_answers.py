"""Supervisors correct a report's answers through the API: reclassified, obligations recomputed."""
from helpers import file_incident

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
        ({"answers": {"site": "MAN"}, "reason": "x"}, 400, "site"),
        ({"answers": {"treatment": "bandage"}, "reason": "x"}, 400, "treatment"),
        ({"answers": {"treatment": "medical"}}, 422, "reason"),
        ({"answers": {"treatment": "first_aid"}, "reason": "same"}, 422, "answers"),
        ({"answers": "treatment=medical", "reason": "x"}, 400, "answers"),
        ({"answers": {"treatment": "medical"}, "reason": "x", "severity": "P1"}, 400, ""),
    ]
    for body, status, field in cases:
        response = supervisor.patch(url, json=body)
        assert response.status_code == status and field in response.get_json()["fields"], (body, response.get_json())
    assert as_user("responder").patch(url, json={"answers": {"treatment": "medical"}, "reason": "x"}).status_code == 403
    db.session.expire_all()
    unchanged = db.session.get(Incident, incident.id)
    assert unchanged.answers["treatment"] == "first_aid" and unchanged.severity == "P4"
    assert [e.what for e in unchanged.timeline] == ["reported"]
