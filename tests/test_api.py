"""JSON API v1: bearer tokens, idempotent incident creation, filters and pagination, admin endpoints."""
import pytest
from helpers import report

from webapp.auth.models import ApiToken
from webapp.extensions import db
from webapp.incidents.models import Incident


@pytest.fixture
def token_for(demo):
    def issue(key: str) -> dict:
        _token, secret = ApiToken.issue(demo[key], "test")
        db.session.commit()
        return {"Authorization": f"Bearer {secret}"}
    return issue


def count_incidents() -> int:
    return db.session.scalar(db.select(db.func.count(Incident.id)))


def test_create_returns_201_with_the_classified_incident(client, token_for):
    body = report(what_happened=["injury"], treatment="hospital_admitted", site="MAN",
                  location={"lat": 53.48, "lon": -2.24, "accuracy_m": 8})
    response = client.post("/api/v1/incidents", json=body, headers=token_for("reporter"))
    assert response.status_code == 201
    data = response.get_json()
    assert data["reference"] == "INC-000001"
    assert response.headers["Location"].endswith("/api/v1/incidents/INC-000001")
    assert data["severity"] == "P1" and data["status"] == "reported"
    assert data["categories"] == ["safety"]
    assert "P1: a person was admitted to hospital" in data["severity_reasons"]
    assert data["site"] == "MAN" and data["location"]["accuracy_m"] == 8
    assert data["client_id"] == body["client_id"]
    assert data["reporter"]["email"] == "reporter@test.example"


def test_same_client_id_again_returns_the_first_incident_and_creates_nothing(client, token_for):
    headers = token_for("reporter")
    body = report()
    first = client.post("/api/v1/incidents", json=body, headers=headers)
    again = client.post("/api/v1/incidents", json={**body, "description": "edited retry"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["reference"] == first.get_json()["reference"]
    assert again.get_json()["description"] == body["description"]
    assert count_incidents() == 1


def test_client_id_of_another_users_report_is_a_conflict(client, token_for):
    body = report()
    client.post("/api/v1/incidents", json=body, headers=token_for("reporter"))
    response = client.post("/api/v1/incidents", json=body, headers=token_for("reporter2"))
    assert response.status_code == 409
    assert "client_id" in response.get_json()["fields"]
    assert count_incidents() == 1


@pytest.mark.parametrize("body, status, field", [
    (report(colour="red"), 400, "colour"),
    (report(treatment="surgery"), 400, "treatment"),
    (report(what_happened=["injury", "meteor"]), 400, "what_happened.1"),  # the second choice
    (report(days_unfit_for_work="3"), 400, "days_unfit_for_work"),
    (report(description=""), 400, "description"),
    (report(site="NOPE"), 400, "site"),
    (report(occurred_at="2999-01-01T00:00:00Z"), 422, "occurred_at"),
    (["not", "an", "object"], 400, ""),
])
def test_bad_reports_get_json_errors_naming_the_key_and_store_nothing(client, token_for, body, status, field):
    response = client.post("/api/v1/incidents", json=body, headers=token_for("reporter"))
    assert response.status_code == status
    data = response.get_json()
    assert field in data["fields"] and data["error"]
    assert count_incidents() == 0


def test_body_that_is_not_json(client, token_for):
    headers = token_for("reporter")
    response = client.post("/api/v1/incidents", data="{broken", headers={**headers, "Content-Type": "application/json"})
    assert response.status_code == 400 and "not valid JSON" in response.get_json()["fields"][""]
    response = client.post("/api/v1/incidents", data="a=b", headers=headers)
    assert response.status_code == 400 and "Content-Type" in response.get_json()["fields"][""]


def test_huge_body_is_413(client, token_for):
    body = report(description="x" * (2 * 1024 * 1024))
    response = client.post("/api/v1/incidents", json=body, headers=token_for("reporter"))
    assert response.status_code == 413
    assert response.get_json()["error"]
    assert count_incidents() == 0


@pytest.mark.parametrize("header", ["", "Bearer ", "Bearer fit_wrong", "Basic abc"])
def test_missing_or_wrong_token_is_401(client, demo, header):
    response = client.get("/api/v1/incidents", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.get_json()["error"]


def test_revoked_token_and_deactivated_owner_are_refused(client, demo, token_for):
    headers = token_for("responder")
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    demo["responder"].active = False
    db.session.commit()
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401
    demo["responder"].active = True
    db.session.scalar(db.select(ApiToken)).revoke()
    db.session.commit()
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401


def test_token_records_when_it_was_last_used(client, token_for):
    headers = token_for("responder")
    client.get("/api/v1/incidents", headers=headers)
    assert db.session.scalar(db.select(ApiToken)).last_used_at is not None


def test_get_incident_has_every_field_and_hides_others_reports(client, token_for):
    created = client.post("/api/v1/incidents", json=report(), headers=token_for("reporter")).get_json()
    mine = client.get(f"/api/v1/incidents/{created['reference']}", headers=token_for("reporter")).get_json()
    for key in ("reference", "client_id", "status", "severity", "categories", "severity_reasons", "answers",
                "occurred_at", "reported_at", "aware_at", "acknowledged_at", "roles", "timeline", "confidential"):
        assert key in mine
    assert mine["timeline"][0]["what"] == "reported"
    other = client.get(f"/api/v1/incidents/{created['reference']}", headers=token_for("reporter2"))
    assert other.status_code == 404
    assert client.get("/api/v1/incidents/INC-999999", headers=token_for("supervisor")).status_code == 404
    assert client.get("/api/v1/incidents/garbage", headers=token_for("supervisor")).status_code == 404


def test_list_filters_and_cursor_pagination(client, token_for):
    reporter = token_for("reporter")
    for n in range(5):
        client.post("/api/v1/incidents", json=report(description=f"hazard {n}", what_happened=["hazard"]),
                    headers=reporter)
    client.post("/api/v1/incidents", json=report(what_happened=["injury"], treatment="fatality", site="MAN"),
                headers=reporter)
    staff = token_for("responder")
    seen, cursor = [], None
    while True:
        url = "/api/v1/incidents?severity=P4&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=staff).get_json()
        seen += [i["description"] for i in page["incidents"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [f"hazard {n}" for n in reversed(range(5))]
    by_site = client.get("/api/v1/incidents?site=MAN", headers=staff).get_json()["incidents"]
    assert [i["severity"] for i in by_site] == ["P1"]
    assert client.get("/api/v1/incidents?status=closed", headers=staff).get_json()["incidents"] == []


@pytest.mark.parametrize("query, field", [
    ("status=finished", "status"), ("severity=P9", "severity"), ("site=NOPE", "site"),
    ("limit=0", "limit"), ("limit=abc", "limit"), ("cursor=%%%", "cursor"), ("colour=red", "colour"),
])
def test_list_rejects_bad_filters(client, token_for, query, field):
    response = client.get(f"/api/v1/incidents?{query}", headers=token_for("responder"))
    assert response.status_code == 400
    assert field in response.get_json()["fields"]


def test_reporters_list_only_their_own(client, token_for):
    client.post("/api/v1/incidents", json=report(), headers=token_for("reporter"))
    client.post("/api/v1/incidents", json=report(site="MAN"), headers=token_for("reporter2"))
    assert len(client.get("/api/v1/incidents", headers=token_for("reporter")).get_json()["incidents"]) == 1
    assert len(client.get("/api/v1/incidents", headers=token_for("responder")).get_json()["incidents"]) == 2


def test_admin_patches_the_organisation_profile(client, token_for):
    headers = token_for("admin")
    response = client.patch("/api/v1/organisation", json={"apra_regulated": True, "name": "Acme"}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["apra_regulated"] is True and response.get_json()["name"] == "Acme"
    bad = client.patch("/api/v1/organisation", json={"apra_regulated": "yes", "owner": "me"}, headers=headers)
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"apra_regulated", "owner"}
    assert client.get("/api/v1/organisation", headers=headers).get_json()["apra_regulated"] is True
    assert client.patch("/api/v1/organisation", json={"soci_entity": True},
                        headers=token_for("supervisor")).status_code == 403


def test_admin_creates_and_lists_sites(client, token_for):
    headers = token_for("admin")
    site = {"code": "per-mine", "name": "Perth mine", "jurisdiction": "AU-WA", "timezone": "Australia/Perth"}
    response = client.post("/api/v1/sites", json=site, headers=headers)
    assert response.status_code == 201 and response.get_json()["code"] == "PER-MINE"
    assert client.post("/api/v1/sites", json=site, headers=headers).status_code == 409
    bad = client.post("/api/v1/sites", json={**site, "code": "X", "jurisdiction": "AU-XX", "timezone": "Mars/Base"},
                      headers=headers)
    assert bad.status_code == 400 and set(bad.get_json()["fields"]) == {"jurisdiction", "timezone"}
    codes = [s["code"] for s in client.get("/api/v1/sites", headers=headers).get_json()["sites"]]
    assert codes == ["MAN", "PER-MINE", "SYD"]
    assert client.get("/api/v1/sites", headers=token_for("responder")).status_code == 403


def test_cookie_session_needs_csrf_token_but_bearer_does_not(app, as_user, token_for):
    app.config["WTF_CSRF_ENABLED"] = True
    browser = as_user("reporter")
    refused = browser.post("/api/v1/incidents", json=report())
    assert refused.status_code == 400 and "security token" in refused.get_json()["error"]
    assert count_incidents() == 0
    assert browser.post("/api/v1/incidents", json=report(), headers=token_for("reporter")).status_code == 201


def test_a_junk_bearer_header_does_not_excuse_a_cookie_session_from_csrf(app, as_user, client, demo):
    """Only a valid API token exempts a request from the CSRF check (issue 13): a page elsewhere that makes
    a signed-in browser send `Authorization: Bearer junk` gets nothing done in its name."""
    app.config["WTF_CSRF_ENABLED"] = True
    junk = {"Authorization": "Bearer junk"}
    browser = as_user("reporter")
    refused = browser.post("/api/v1/incidents", json=report(), headers=junk)
    assert refused.status_code == 400 and "security token" in refused.get_json()["error"]
    photo = browser.post("/api/v1/photos", data={"sha256": "0" * 64}, headers=junk)
    assert photo.status_code == 400 and "security token" in photo.get_data(as_text=True)
    assert count_incidents() == 0
    anonymous = client.post("/api/v1/incidents", json=report(), headers=junk)
    assert anonymous.status_code == 401  # no one signed in: the API's own answer, not a CSRF one


def test_a_report_with_a_ransom_payment_time_is_stored_with_it(as_user, demo):
    response = as_user("reporter").post("/api/v1/incidents", json=report(
        what_happened=["security"], ransomware=True, ransom_paid=True, ransom_paid_at="2026-01-01T10:00:00+10:00"))
    assert response.status_code == 201
    assert response.get_json()["answers"]["ransom_paid_at"] == "2026-01-01T10:00:00+10:00"
