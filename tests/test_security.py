"""Security by default: CSRF, CSP, cookies, password hashing, login throttling, expired sessions."""
import re

import pytest
from helpers import PASSWORD, VAPID_SUBJECT, form_report, input_tag, make_app

import webapp.auth.models as auth_models
import webapp.auth.views as auth_views
from webapp.extensions import db
from webapp.incidents.models import Incident

CSRF_ON = {"WTF_CSRF_ENABLED": True}


def csrf_token(page: str) -> str:
    return re.search(r'"X-CSRFToken": "([^"]+)"', page).group(1)


@pytest.mark.parametrize("app_config", [CSRF_ON])
def test_forms_without_the_csrf_token_change_nothing(demo, as_user):
    client = as_user("supervisor")
    client.post("/report", data={**form_report(),
                                 "csrf_token": csrf_token(client.get("/report").get_data(as_text=True))})
    [incident] = db.session.scalars(db.select(Incident)).all()
    response = client.post(f"/incidents/{incident.reference}/notes", data={"note": "forged"})
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    db.session.refresh(incident)
    assert [e.what for e in incident.timeline] == ["reported"]


@pytest.mark.parametrize("app_config", [CSRF_ON])
def test_htmx_requests_carry_the_token_in_a_header(demo, as_user):
    client = as_user("responder")
    client.post("/report", data={**form_report(),
                                 "csrf_token": csrf_token(client.get("/report").get_data(as_text=True))})
    page = client.get("/incidents").get_data(as_text=True)
    token = csrf_token(page)
    response = client.post("/incidents/INC-000001/notes", data={"note": "via htmx"},
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200 and "via htmx" in response.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [CSRF_ON])
def test_expired_form_token_keeps_the_report_on_screen(demo, as_user):
    response = as_user("reporter").post("/report", data=form_report(description="Ladder rung snapped",
                                                                    csrf_token="stale"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Your answers are still here" in page
    assert "Ladder rung snapped" in page
    assert 'value="stale"' not in input_tag(page, "csrf_token")  # a fresh token to try again with
    assert db.session.scalar(db.select(db.func.count(Incident.id))) == 0


@pytest.mark.parametrize("app_config", [CSRF_ON])
def test_an_expired_answers_form_keeps_the_corrections_on_screen(demo, as_user):
    from helpers import file_incident, is_checked
    incident = file_incident(demo, treatment="first_aid")
    response = as_user("supervisor").post(f"/incidents/{incident.reference}/answers", data={
        "what_happened": "injury", "treatment": "hospital_admitted", "reason": "kept overnight", "csrf_token": "stale"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "Your corrections are still here" in page
    assert is_checked(page, "treatment", "hospital_admitted") and "kept overnight" in page
    assert 'value="stale"' not in input_tag(page, "csrf_token")
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).answers["treatment"] == "first_aid"


def test_pages_send_a_strict_csp_and_use_no_inline_script(demo, as_user):
    client = as_user("admin")
    client.post("/report", data=form_report())
    for url in ("/report", "/incidents", "/incidents/INC-000001", "/reports/mine", "/admin/users",
                "/admin/sites", "/admin/organisation", "/admin/tokens"):
        response = client.get(url)
        csp = response.headers["Content-Security-Policy"]
        assert "script-src 'self';" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        page = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page), f"inline script on {url}"
        assert not re.search(r"\son[a-z]+=", page), f"inline event handler on {url}"
        assert not re.search(r"\sstyle=", page), f"inline style on {url}"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "no-store" in response.headers["Cache-Control"]


def test_session_cookie_is_secure_httponly_samesite(client, demo):
    response = client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD})
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_stored_hashed(demo, runner):
    result = runner.invoke(args=["create-user", "new@test.example", "--role", "reporter",
                                 "--password", "kettle-moss-quarry-9"])
    assert result.exit_code == 0
    from webapp.auth.models import User
    user = User.by_email("new@test.example")
    assert user.password_hash.startswith(("scrypt:", "pbkdf2:")) and "kettle-moss-quarry-9" not in user.password_hash
    assert user.check_password("kettle-moss-quarry-9") and not user.check_password("Kettle-moss-quarry-9")


def test_login_errors_do_not_say_which_part_was_wrong(client, demo):
    unknown = client.post("/login", data={"email": "nobody@test.example", "password": "x"})
    wrong = client.post("/login", data={"email": "reporter@test.example", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert "do not match an active account" in wrong.get_data(as_text=True)
    assert 'value="reporter@test.example"' in wrong.get_data(as_text=True)


def test_login_goes_only_to_same_site_next_urls(client, demo):
    ok = client.post("/login?next=/reports/mine", data={"email": "reporter@test.example", "password": PASSWORD})
    assert ok.headers["Location"] == "/reports/mine"
    client.post("/logout")
    evil = client.post("/login?next=https://evil.example/",
                       data={"email": "reporter@test.example", "password": PASSWORD})
    assert evil.headers["Location"] == "/report"


def test_deactivated_user_cannot_log_in_and_loses_open_sessions(client, demo, as_user):
    open_session = as_user("responder")
    assert open_session.get("/incidents").status_code == 200
    demo["responder"].active = False
    db.session.commit()
    assert open_session.get("/incidents").status_code == 302
    response = client.post("/login", data={"email": "responder@test.example", "password": PASSWORD})
    assert response.status_code == 401


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_RATE_LIMIT": "3 per minute"}])
def test_failed_logins_are_throttled_but_good_ones_are_not_counted(client, demo):
    for _ in range(4):
        assert client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD}).status_code == 302
        client.post("/logout")
    statuses = [client.post("/login", data={"email": "reporter@test.example", "password": "guess"}).status_code
                for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    blocked = client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD})
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)


def test_expired_session_sends_htmx_to_the_login_page(client, demo):
    response = client.get("/incidents?site=SYD", headers={"HX-Request": "true",
                                                          "HX-Current-URL": "http://localhost/incidents?site=SYD"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/incidents?site%3DSYD"
    page = client.get("/incidents")
    assert page.status_code == 302 and page.headers["Location"].startswith("/login?next=")


def test_secret_key_is_generated_once_and_kept_in_instance(tmp_path, database_url):
    from webapp import create_app
    first = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "VAPID_SUBJECT": VAPID_SUBJECT},
                       instance_path=str(tmp_path / "inst"))
    second = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "VAPID_SUBJECT": VAPID_SUBJECT},
                        instance_path=str(tmp_path / "inst"))
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]
    assert len(first.config["SECRET_KEY"]) >= 40
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o077 == 0


def test_users_change_their_own_password(client, demo):
    client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD})
    bad = client.post("/account/password", data={"current": "wrong", "new": "short", "confirm": "x"})
    assert bad.status_code == 422
    page = bad.get_data(as_text=True)
    assert "not your current password" in page and "at least 10 characters" in page
    mismatch = client.post("/account/password", data={"current": PASSWORD, "new": "a-long-new-one", "confirm": "other"})
    assert "differ" in mismatch.get_data(as_text=True)
    assert client.post("/account/password", data={"current": PASSWORD, "new": "a-long-new-one",
                                                   "confirm": "a-long-new-one"}).status_code == 303
    client.post("/logout")
    assert client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": "reporter@test.example",
                                       "password": "a-long-new-one"}).status_code == 302


def test_admin_resets_a_password_shown_once(as_user, demo, client):
    page = as_user("admin").post(f"/admin/users/{demo['responder'].id}/reset-password").get_data(as_text=True)
    password = re.search(r'<p class="secret"><code>([^<]+)</code>', page).group(1)
    assert client.post("/login", data={"email": "responder@test.example", "password": PASSWORD}).status_code == 401
    assert client.post("/login", data={"email": "responder@test.example", "password": password}).status_code == 302


def test_login_session_outlives_the_browser_for_a_shift(client, demo):
    cookie = client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD}).headers["Set-Cookie"]
    assert "Expires=" in cookie  # a persistent cookie, renewed on each request (12 h sliding)


def test_pages_that_can_answer_with_a_fragment_vary_on_hx_request(as_user):
    client = as_user("supervisor")
    assert "HX-Request" in client.get("/incidents").headers["Vary"]
    assert "HX-Request" in client.get("/incidents", headers={"HX-Request": "true"}).headers["Vary"]


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1, "RATELIMIT_ENABLED": True,
                                         "LOGIN_RATE_LIMIT": "2 per minute"}])
def test_behind_a_proxy_login_throttling_counts_each_client_address(client, demo):
    def attempt(address):
        return client.post("/login", data={"email": "reporter@test.example", "password": "guess"},
                           headers={"X-Forwarded-For": address}).status_code
    assert [attempt("203.0.113.5") for _ in range(3)] == [401, 401, 429]
    assert attempt("198.51.100.7") == 401  # a different phone behind the same proxy is not blocked


def test_sqlite_runs_in_wal_mode(tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'wal.sqlite3'}", str(tmp_path))
    with app.app_context():
        assert db.session.execute(db.text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.remove()
        db.engine.dispose()


HUGE = "9" * 30


@pytest.mark.parametrize("url, body", [
    ("/incidents/INC-000001/roles", {"role": "commander", "user_id": HUGE}),
    ("/incidents/INC-000001/obligations/OBL/owner", {"user_id": HUGE}),
])
def test_a_number_too_large_for_the_database_is_refused_clearly(as_user, demo, url, body):
    from helpers import file_incident

    from webapp.obligations.service import obligations_of
    incident = file_incident(demo, site="SYD")
    url = url.replace("OBL", str(obligations_of(incident)[0].id))
    client = as_user("admin")
    response = client.post(url, data=body)
    assert response.status_code == 400
    assert "user_id should be less than or equal to 2147483647" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Incident, incident.id).commander_id is None


def test_an_id_too_large_for_the_database_in_a_link_is_not_found(as_user, demo):
    from helpers import file_incident
    incident = file_incident(demo, site="SYD")
    assert as_user("supervisor").post(f"/incidents/{incident.reference}/obligations/{HUGE}/done").status_code == 404


@pytest.mark.parametrize("how", ["form", "json"])
def test_text_with_a_nul_character_is_refused_on_both_databases(as_user, demo, how):
    from helpers import file_incident, report
    client = as_user("supervisor")
    if how == "json":
        response = client.post("/api/v1/incidents", json=report(description="Pallet\u0000fell"))
        assert response.status_code == 400 and "NUL character" in response.get_json()["error"]
        assert db.session.scalar(db.select(db.func.count(Incident.id))) == 0
    else:
        incident = file_incident(demo)
        response = client.post(f"/incidents/{incident.reference}/notes", data={"note": "a\x00b"})
        assert response.status_code == 400 and "NUL character" in response.get_data(as_text=True)
        db.session.expire_all()
        assert "note" not in [e.what for e in db.session.get(Incident, incident.id).timeline]


def test_https_answers_say_to_use_https_from_now_on_and_http_answers_do_not(client, demo):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://incidents.example")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("depth", [40, 600, 100_000])
def test_deeply_nested_json_is_a_400_for_anyone_anywhere(client, demo, depth):
    """1 KB of brackets used to reach the NUL check's recursion and answer 500 with a traceback (issue 13)."""
    body = "[" * depth + "]" * depth
    for path in ("/api/v1/incidents", "/login", "/no/such/page"):
        response = client.post(path, data=body, content_type="application/json")
        assert response.status_code == 400, (path, depth)
        assert "nested more than 32 levels" in response.get_data(as_text=True)


def test_a_number_field_holding_a_non_ascii_digit_is_refused_not_a_500(demo, as_user):
    """"²" is a digit to str.isdigit() but not to int(): it used to answer 500 (issue 13)."""
    admin = as_user("admin")
    admin.post("/report", data=form_report())
    for path, field in (("/incidents/INC-000001/roles", "user_id"), ("/admin/users", "site_id"),
                        ("/admin/tokens", "user_id"), ("/admin/teams", "member_ids"),
                        ("/admin/schedules", "team_id"), ("/admin/policies", "repeats"),
                        ("/admin/policies", "team_id")):
        response = admin.post(path, data={field: "²", "name": "x", "role": "commander"})
        assert response.status_code < 500, (path, field, response.status_code)


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1, "RATELIMIT_ENABLED": True,
                                         "LOGIN_RATE_LIMIT": "100 per minute",
                                         "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute"}])
def test_guessing_one_persons_password_is_throttled_from_any_address_and_locks_out_no_one_else(client, demo):
    def attempt(email, password, address):
        return client.post("/login", data={"email": email, "password": password},
                           headers={"X-Forwarded-For": address}).status_code
    assert [attempt("reporter@test.example", "guess", f"203.0.113.{n}") for n in range(4)] == [401, 401, 401, 429]
    assert attempt("Reporter@Test.example ", PASSWORD, "198.51.100.7") == 429  # the account, however written
    assert attempt("responder@test.example", PASSWORD, "203.0.113.1") == 302  # a bystander on the same Wi-Fi


def test_an_unknown_email_costs_the_same_password_check_as_a_known_one(client, demo, monkeypatch):
    """A wrong password for a real account took about 2 s, an unknown email 0.1 s: accounts could be
    listed by timing (issue 13). Both now check one password hash."""
    checked = []
    for module in (auth_models, auth_views):
        real = module.check_password_hash
        monkeypatch.setattr(module, "check_password_hash", lambda h, p, real=real: checked.append(h) or real(h, p))
    for email in ("reporter@test.example", "nobody@test.example"):
        checked.clear()
        assert client.post("/login", data={"email": email, "password": "guess"}).status_code == 401
        assert len(checked) == 1 and checked[0].startswith(("scrypt:", "pbkdf2:")), email


@pytest.mark.parametrize("password, reason", [
    ("aaaaaaaaaa", "Repeats like"), ("password12", "very common password"),
    ("reporter@test.example", "email or your name"), ("Reporter-2026!", "email or your name"),
    ("short", "at least 10 characters")])
def test_weak_passwords_are_refused_with_the_reason(client, demo, password, reason):
    client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD})
    answer = client.post("/account/password", data={"current": PASSWORD, "new": password, "confirm": password})
    assert answer.status_code == 422 and reason in answer.get_data(as_text=True)
    db.session.expire_all()
    assert demo["reporter"].check_password(PASSWORD)


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 1, "RATELIMIT_ENABLED": True,
                                         "LOGIN_RATE_LIMIT": "100 per minute",
                                         "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute"}])
def test_nobody_can_lock_a_person_out_of_their_own_phone_by_guessing_at_their_account(app, client, demo):
    phone = app.test_client()
    assert phone.post("/login", data={"email": "responder@test.example", "password": PASSWORD},
                      headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 302
    phone.post("/logout")
    attacker = [client.post("/login", data={"email": "responder@test.example", "password": "guess"},
                            headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code for n in range(5)]
    assert attacker == [401, 401, 429, 429, 429]  # every attempt counts, the phone's own sign-in too
    assert phone.post("/login", data={"email": "responder@test.example", "password": PASSWORD},
                      headers={"X-Forwarded-For": "198.51.100.9"}).status_code == 302  # their own phone
    forged = app.test_client()
    forged.set_cookie("known_device", "eyJ1c2VyIjo1fQ.forged")
    assert forged.post("/login", data={"email": "responder@test.example", "password": "guess"},
                       headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 429


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute"}])
def test_guessing_the_current_password_on_a_tablet_left_signed_in_is_throttled(client, demo):
    client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD})
    tries = [client.post("/account/password", data={"current": f"guess{n}", "new": "kettle-moss-quarry-9",
                                                     "confirm": "kettle-moss-quarry-9"}).status_code for n in range(4)]
    assert tries == [422, 422, 422, 429]


@pytest.mark.parametrize("target", ["/%5Cevil.example/", "/%09/evil.example", "/%5C%5Cevil.example"])
def test_no_backslash_or_control_character_leads_away_after_login(client, demo, target):
    answer = client.post("/login?next=" + target,
                         data={"email": "reporter@test.example", "password": PASSWORD})
    assert answer.status_code == 302 and "evil" not in answer.headers["Location"]


def test_a_nul_in_any_value_of_a_repeated_field_is_refused(demo, as_user):
    answer = as_user("supervisor").post("/report", data={"what_happened": ["injury", "hazard\x00"],
                                                         "description": "x"})
    assert answer.status_code == 400 and "NUL" in answer.get_data(as_text=True)


def refused(response, field: str) -> bool:
    """A 400 page naming the field (issue 13: the form's declaration refuses it before the view runs)."""
    named = re.search(r"What was sent has errors \((.*)\)\. Nothing was changed", response.get_data(as_text=True))
    return response.status_code == 400 and named is not None and any(
        part.split(" ")[0] == field for part in named.group(1).split("; "))


def test_a_login_form_no_browser_of_ours_sends_is_refused_naming_the_field_and_signs_no_one_in(client, demo):
    good = {"email": "reporter@test.example", "password": PASSWORD}
    for field, value in (("email", ["reporter@test.example", "admin@test.example"]), ("password", [PASSWORD, "x"]),
                         ("remember", "1"), ("email", "r" * 250 + "@test.example"), ("password", "x" * 1001)):
        assert refused(client.post("/login", data={**good, field: value}), field), (field, value)
        assert client.get("/reports/mine").status_code == 302  # still not signed in
    assert refused(client.post("/login?next=/" + "x" * 4096, data=good), "next")
    assert client.get("/reports/mine").status_code == 302


def test_an_empty_login_is_still_the_login_pages_own_answer(client, demo):
    for sent in ({}, {"email": "", "password": ""}, {"email": "reporter@test.example"}):
        answer = client.post("/login", data=sent)
        assert answer.status_code == 401 and "do not match an active account" in answer.get_data(as_text=True)


def test_a_password_change_or_logout_no_browser_of_ours_sends_is_refused_and_changes_nothing(client, demo):
    client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD})
    new = "kettle-moss-quarry-9"
    for field, value in (("new", [new, new]), ("current", [PASSWORD, PASSWORD]), ("new_again", new),
                         ("confirm", new + "x" * 1000)):
        sent = {"current": PASSWORD, "new": new, "confirm": new, field: value}
        assert refused(client.post("/account/password", data=sent), field), (field, value)
    assert refused(client.post("/logout", data={"everywhere": "1"}), "everywhere")
    assert refused(client.post("/account/sessions/end", data={"user_id": "2"}), "user_id")
    assert client.get("/reports/mine").status_code == 200  # still signed in
    db.session.expire_all()
    assert db.session.get(auth_models.User, demo["reporter"].id).check_password(PASSWORD)


def test_a_new_password_over_the_longest_still_gets_the_pages_own_reason(client, demo):
    client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD})
    long = "kettle moss quarry " * 11
    answer = client.post("/account/password", data={"current": PASSWORD, "new": long, "confirm": long})
    assert answer.status_code == 422 and "at most 200 characters" in answer.get_data(as_text=True)


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True, "LOGIN_ACCOUNT_RATE_LIMIT": "3 per minute"}])
def test_refused_login_forms_count_towards_the_limits_like_wrong_passwords(client, demo):
    sent = {"email": "reporter@test.example", "password": [PASSWORD, PASSWORD]}
    assert [client.post("/login", data=sent).status_code for _ in range(4)] == [400, 400, 400, 429]
    assert client.post("/login", data={"email": "reporter@test.example", "password": PASSWORD}).status_code == 429
