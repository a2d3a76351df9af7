"""Admin pages: users, sites, organisation profile, API tokens."""
import re

from helpers import PASSWORD

from webapp.auth.models import ApiToken, User
from webapp.extensions import db
from webapp.organisation.models import Organisation, Site


def test_invite_user_shows_the_first_password_once_and_it_works(as_user, client):
    admin = as_user("admin")
    page = admin.post("/admin/users", data={"name": "Casey Crew", "email": "Casey@Test.example",
                                            "role": "responder", "home_site": ""}).get_data(as_text=True)
    password = re.search(r'<p class="secret"><code>([^<]+)</code>', page).group(1)
    assert client.post("/login", data={"email": "casey@test.example", "password": password}).status_code == 302
    assert "secret" not in admin.get("/admin/users").get_data(as_text=True).split("<table")[0]


def test_invite_refuses_bad_input_and_keeps_it(as_user):
    response = as_user("admin").post("/admin/users", data={"name": "", "email": "reporter@test.example",
                                                           "role": "king", "home_site": "999"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for message in ("Someone already has this email", "Enter a name", "Choose a role", "choose one of the sites"):
        assert message in page
    assert db.session.scalar(db.select(db.func.count(User.id))) == 6


def test_deactivate_and_change_role(as_user, demo, client):
    admin = as_user("admin")
    reporter = demo["reporter"]
    admin.post(f"/admin/users/{reporter.id}", data={"active": "0"})
    assert client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD}).status_code == 401
    admin.post(f"/admin/users/{reporter.id}", data={"active": "1", "role": "responder",
                                                    "home_site": str(demo["sites"]["MAN"].id)})
    db.session.refresh(reporter)
    assert (reporter.active, reporter.role, reporter.home_site.code) == (True, "responder", "MAN")
    assert admin.post(f"/admin/users/{reporter.id}", data={"role": "pirate"}).status_code == 422


def test_admin_cannot_lock_themselves_out(as_user, demo):
    admin = as_user("admin")
    assert admin.post(f"/admin/users/{demo['admin'].id}", data={"active": "0"}).status_code == 422
    assert admin.post(f"/admin/users/{demo['admin'].id}", data={"role": "reporter"}).status_code == 422
    db.session.refresh(demo["admin"])
    assert demo["admin"].active and demo["admin"].role == "admin"


def test_sites_are_added_and_edited_with_validation(as_user, demo):
    admin = as_user("admin")
    bad = admin.post("/admin/sites", data={"code": "SYD", "name": "Dup", "jurisdiction": "AU-NSW",
                                           "timezone": "Australia/Sydney"})
    assert bad.status_code == 409 and "already used" in bad.get_data(as_text=True)
    bad = admin.post("/admin/sites", data={"code": "BRU", "name": "Brussels", "jurisdiction": "EU",
                                           "timezone": "Europe/Nowhere"})
    assert bad.status_code == 400 and 'value="Brussels"' in bad.get_data(as_text=True)
    assert admin.post("/admin/sites", data={"code": "BRU", "name": "Brussels", "jurisdiction": "EU",
                                            "timezone": "Europe/Brussels"}).status_code == 303
    syd = demo["sites"]["SYD"]
    assert admin.post(f"/admin/sites/{syd.id}", data={"name": "Sydney depot 2", "jurisdiction": "AU-NSW",
                                                      "timezone": "Australia/Sydney"}).status_code == 303
    db.session.refresh(syd)
    assert syd.name == "Sydney depot 2"
    assert db.session.scalar(db.select(Site).filter_by(code="BRU")).jurisdiction == "EU"


def test_organisation_profile_flags(as_user, demo):
    admin = as_user("admin")
    assert admin.post("/admin/organisation", data={"name": "Acme", "soci_entity": "on"}).status_code == 303
    org = Organisation.current()
    db.session.refresh(org)
    assert org.name == "Acme" and org.soci_entity and not org.gdpr_controller
    assert admin.post("/admin/organisation", data={"name": ""}).status_code == 422


def test_tokens_created_shown_once_and_revoked(as_user, demo, client):
    admin = as_user("admin")
    page = admin.post("/admin/tokens", data={"name": "SIEM", "user_id": demo["responder"].id}).get_data(as_text=True)
    secret = re.search(r'<p class="secret"><code>([^<]+)</code>', page).group(1)
    assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    assert secret not in admin.get("/admin/tokens").get_data(as_text=True)
    assert admin.post("/admin/tokens", data={"name": "", "user_id": "x"}).status_code == 422
    token = db.session.scalar(db.select(ApiToken))
    admin.post(f"/admin/tokens/{token.id}/revoke")
    assert client.get("/api/v1/incidents", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
