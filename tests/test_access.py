"""Every route, requested as every role and anonymously, answers with the expected status."""
import hashlib
import io

import pytest
from helpers import png_bytes
from tests_support import ROLES_IN_ORDER, ROUTES

from webapp.auth.models import ApiToken
from webapp.escalation.models import Schedule, Team
from webapp.extensions import db


@pytest.fixture
def world(demo, as_user, p1_policy):
    """One ordinary incident by the reporter, and one API token, for the URLs to point at."""
    client = as_user("reporter")
    photo = png_bytes()
    client.post("/report", data={"what_happened": "hazard", "description": "Loose grating", "site": "SYD",
                                 "photo_files": (io.BytesIO(photo), "grating.png")})
    _token, _secret = ApiToken.issue(demo["responder"], "matrix")
    db.session.commit()
    team = Team(name="Responders")
    db.session.add(team)
    db.session.commit()
    return {"user_id": demo["reporter"].id, "site_id": demo["sites"]["SYD"].id, "token_id": _token.id,
            "sha256": hashlib.sha256(photo).hexdigest(), "team_id": team.id, "policy_id": p1_policy.id,
            "schedule_id": db.session.scalar(db.select(Schedule.id))}


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), "add new routes to tests/tests_support.py ROUTES with their statuses"


def test_every_view_declares_who_may_call_it(app):
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert hasattr(view, "access"), f"{endpoint} has no named access decorator"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_access_matrix(app, world, demo, as_user, endpoint):
    method, url, body, expected = ROUTES[endpoint]
    url = url.format(**world)
    for role, status in zip(ROLES_IN_ORDER, expected, strict=True):
        client = app.test_client() if role == "anonymous" else as_user(role)
        kwargs = {"json": body} if url.startswith("/api/") and method in ("POST", "PATCH", "PUT") else {"data": body}
        response = client.open(url, method=method, **kwargs)
        response.close()
        assert response.status_code == status, f"{method} {url} as {role}"
        if role == "anonymous" and status == 302 and endpoint not in ("auth.index", "auth.logout"):
            assert "/login?next=" in response.headers["Location"]
