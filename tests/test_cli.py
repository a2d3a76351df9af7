"""Command-line tools: seed-demo, create-user, api-token."""
import re

from webapp.auth.models import ApiToken, User
from webapp.extensions import db
from webapp.organisation.models import Site

LOGIN_LINE = re.compile(r"^(\S+@\S+)  (\S+)  (reporter|responder|supervisor|admin)$")


def test_seed_demo_prints_logins_that_work_and_keeps_data_on_rerun(runner, client):
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0
    logins = [LOGIN_LINE.match(line).groups() for line in first.output.strip().splitlines()]
    assert sorted(role for _e, _p, role in logins) == ["admin", "reporter", "responder", "supervisor"]
    sites = db.session.scalars(db.select(Site)).all()
    assert len({s.jurisdiction for s in sites}) == 2
    email, password, _role = logins[0]
    assert client.post("/login", data={"email": email, "password": password}).status_code == 302
    from webapp.escalation.models import EscalationPolicy, PolicyChoice
    assert [p.name for p in db.session.scalars(db.select(EscalationPolicy).order_by(EscalationPolicy.id))] == [
        "P1 critical", "P2 high", "Everything else"]
    assert db.session.scalar(db.select(db.func.count(PolicyChoice.id))) == 3
    again = runner.invoke(args=["seed-demo"])
    assert again.output == first.output
    assert db.session.scalar(db.select(db.func.count(User.id))) == 4


def test_create_user_generates_a_password_and_prints_it(runner, demo, client):
    result = runner.invoke(args=["create-user", "Field.Worker@Test.example", "--role", "reporter", "--site", "MAN"])
    assert result.exit_code == 0, result.output
    password = re.search(r"^password: (\S+)$", result.output, re.M).group(1)
    user = User.by_email("field.worker@test.example")
    assert user.home_site.code == "MAN" and user.role == "reporter"
    assert client.post("/login", data={"email": "field.worker@test.example", "password": password}).status_code == 302


def test_create_user_refuses_bad_input(runner, demo):
    assert runner.invoke(args=["create-user", "x@test.example", "--role", "boss"]).exit_code == 2
    duplicate = runner.invoke(args=["create-user", "reporter@test.example", "--role", "reporter"])
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    no_site = runner.invoke(args=["create-user", "y@test.example", "--role", "reporter", "--site", "NOPE"])
    assert no_site.exit_code == 1 and "no site" in no_site.output
    assert User.by_email("y@test.example") is None


def test_api_token_create_list_revoke(runner, demo, client):
    created = runner.invoke(args=["api-token", "create", "responder@test.example", "--name", "monitoring"])
    assert created.exit_code == 0
    secret = created.output.strip().splitlines()[-1]
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/incidents", headers=headers).status_code == 200
    listing = runner.invoke(args=["api-token", "list"]).output
    assert "monitoring" in listing and "responder@test.example" in listing and secret not in listing
    token_id = db.session.scalar(db.select(ApiToken.id))
    assert runner.invoke(args=["api-token", "revoke", str(token_id)]).exit_code == 0
    assert client.get("/api/v1/incidents", headers=headers).status_code == 401
    assert "revoked" in runner.invoke(args=["api-token", "list"]).output
    assert runner.invoke(args=["api-token", "create", "nobody@test.example"]).exit_code == 1
