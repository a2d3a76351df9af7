"""Every route that changes something, fed bodies hypothesis makes up (issue 13): JSON of any shape, nesting
and type to the API, form fields of any text to the pages, as an admin (who may call every route), on
SQLite and PostgreSQL. Never a server error, and a refused request changes no row anywhere.

The keys are the ones the route declares (its model's fields, nested ones too), mixed with every key the
app's source reads, so the bodies reach past the declared shape into each validator; the values are
anything JSON can say."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests_support import ROUTES

from webapp.extensions import db

WEBAPP = Path(__file__).resolve().parent.parent / "webapp"
SKIPPED = {"auth.logout", "auth.log_out_everywhere"}  # they end the admin's session: every later example would
# meet only the login page
KEYS = sorted({key for path in WEBAPP.rglob("*.py")
               for key in re.findall(r"""(?:\.get\(|\[)["']([a-z][a-z0-9_]{1,40})["']""", path.read_text())})
WRITES = sorted(endpoint for endpoint, (method, _url, _body, _statuses) in ROUTES.items()
                if method in ("POST", "PUT", "PATCH") and endpoint not in SKIPPED)
# Per route and database (about 2,000 requests in all, a minute); FUZZ_EXAMPLES=200 for a longer hunt.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "12"))

scalars = (st.none() | st.booleans() | st.integers(min_value=-(2 ** 70), max_value=2 ** 70)
           | st.floats(allow_nan=True, allow_infinity=True) | st.text(max_size=40)
           | st.sampled_from(["", "P1", "closed", "2026-02-30", "2026-01-05T10:00:00+10:00", "²", "\u202e",
                              "Australia/Sydney", "commander", "x" * 5000]))
form_values = st.text(max_size=60) | st.sampled_from(["", "0", "-1", "²", "99999999999999999999", "on",
                                                     "2026-01-05", "19:00", "P1", "commander", "x" * 5000])


def declared_keys(view) -> list[str]:
    """Every field name in the models the view declares (common/schemas.py), at any depth."""
    spec = getattr(view, "declared", None)
    found: set[str] = set()
    for model in (spec.body, spec.form, spec.query) if spec else ():
        waiting = [model.model_json_schema()] if model else []
        while waiting:
            part = waiting.pop()
            if isinstance(part, dict):
                found.update(part.get("properties", {}))
                waiting.extend(part.values())
            elif isinstance(part, list):
                waiting.extend(part)
    return sorted(found)


def bodies(keys: list[str], api: bool):
    key = st.sampled_from(keys) | st.sampled_from(KEYS)
    if not api:
        return st.dictionaries(key, form_values | st.lists(form_values, max_size=3), max_size=8)
    values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                          | st.dictionaries(key | st.text(max_size=8), inner, max_size=5), max_leaves=25)
    return st.dictionaries(key, values, max_size=8) | values


def rows() -> dict[str, int]:
    db.session.rollback()
    return {name: db.session.scalar(db.select(db.func.count()).select_from(table))
            for name, table in db.metadata.tables.items()}


@pytest.mark.parametrize("endpoint", WRITES)
def test_made_up_bodies_never_break_a_route_or_half_change_anything(app, as_user, route_targets, endpoint,
                                                                    record_property):
    method, url, _body, _statuses = ROUTES[endpoint]
    sent = refused = 0
    url = url.format(**route_targets)
    admin = as_user("admin")
    api = url.startswith("/api/")

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(body=bodies(declared_keys(app.view_functions[endpoint]) or KEYS, api))
    def never_breaks(body):
        nonlocal sent, refused
        before = rows()
        response = admin.open(url, method=method, **({"json": body} if api else {"data": body}))
        response.close()
        sent, refused = sent + 1, refused + (response.status_code >= 400)
        assert response.status_code < 500, (method, url, body, response.get_data(as_text=True)[:300])
        if response.status_code >= 400:
            assert rows() == before, (method, url, body, response.status_code)

    try:
        never_breaks()
    finally:  # counted in the suite's summary (conftest.py)
        record_property("fuzz_requests", sent)
        record_property("fuzz_refused", refused)
