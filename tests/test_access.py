"""Every route, requested as every role and anonymously, answers with the expected status."""

import pytest
from tests_support import ROLES_IN_ORDER, ROUTES


def test_every_route_is_in_the_matrix(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints == set(ROUTES), "add new routes to tests/tests_support.py ROUTES with their statuses"


def test_every_view_declares_who_may_call_it(app):
    for endpoint, view in app.view_functions.items():
        if endpoint != "static":
            assert hasattr(view, "access"), f"{endpoint} has no named access decorator"


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_access_matrix(app, route_targets, demo, as_user, endpoint):
    method, url, body, expected = ROUTES[endpoint]
    url = url.format(**route_targets)
    for role, status in zip(ROLES_IN_ORDER, expected, strict=True):
        client = app.test_client() if role == "anonymous" else as_user(role)
        kwargs = {"json": body} if url.startswith("/api/") and method in ("POST", "PATCH", "PUT") else {"data": body}
        response = client.open(url, method=method, **kwargs)
        response.close()
        assert response.status_code == status, f"{method} {url} as {role}"
        if role == "anonymous" and status == 302 and endpoint not in ("auth.index", "auth.logout"):
            assert "/login?next=" in response.headers["Location"]
