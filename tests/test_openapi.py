"""The API's contract: the OpenAPI 3.1 document made from the views' declarations, and schemathesis (a
third-party API tester) sending generated requests, valid and not, to every operation on both databases:
no server error, and no answer (status, content type, headers, body) that breaks the document.
SCHEMATHESIS_EXAMPLES sets the examples per operation (default 15).

Every check schemathesis has runs but one: "schema-valid data is accepted". What a schema cannot say is
checked by the validators after it (a user id that exists, a schedule's hand-offs in order, a site's code
not yet taken), and they refuse such data with a 400 naming the field, as they should."""
from __future__ import annotations

import os
import re

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import positive_data_acceptance

from webapp.auth.models import ApiToken
from webapp.extensions import db

EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))


def test_every_operation_keeps_the_document(app, demo, route_targets, record_property):
    _token, secret = ApiToken.issue(demo["admin"], "schemathesis")
    db.session.commit()
    # (schemathesis's WSGI transport reads bodies as sent: ask for them uncompressed, as HTTP clients decode them)
    headers = {"Authorization": f"Bearer {secret}", "Accept-Encoding": "identity"}
    def in_its_own_context(environ, start_response):  # as in production (and FreshContextClient): its own `g`
        db.session.commit()
        with app.app_context():
            return app.wsgi_app(environ, start_response)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", in_its_own_context)
    failures: dict[str, str] = {}
    calls = 0
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
                  database=None)
        def check(case):
            nonlocal calls
            calls += 1
            db.session.rollback()
            case.call_and_validate(headers=headers, excluded_checks=[positive_data_acceptance])

        try:
            check()
        except BaseException as failure:  # each operation's first failure, all reported together
            if isinstance(failure, (KeyboardInterrupt, SystemExit)):
                raise
            failures[operation.label] = str(failure)[:1500]
    record_property("schemathesis_operations", len(operations))  # counted in the suite's summary (conftest.py)
    record_property("schemathesis_requests", calls)
    record_property("schemathesis_failures", len(failures))
    assert len(operations) > 40
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_the_document_covers_every_api_route_and_the_reference_page_shows_each_operation(app, client):
    """Public (they say how to use the API, not what is in it); every /api/v1 route is in the document with
    a summary; the page lists each operation, its body's fields in words, and loads nothing from elsewhere."""
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.1.0"
    operations = {(method.upper(), path) for path, methods in doc["paths"].items() for method in methods}
    routes = {(method, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)) for rule in app.url_map.iter_rules()
              if rule.rule.startswith("/api/v1/") and rule.endpoint != "api_docs.openapi_json"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert operations == routes
    summaries = [op["summary"] for methods in doc["paths"].values() for op in methods.values()]
    assert all(summaries)
    create = doc["paths"]["/api/v1/incidents"]["post"]
    assert set(create["responses"]) >= {"201", "200", "400", "401", "403", "413"}
    report = doc["components"]["schemas"]["ReportIn"]
    assert report["additionalProperties"] is False and "what_happened" in report["properties"]

    page = client.get("/api-reference")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for methods in doc["paths"].values():
        for op in methods.values():
            assert f'id="{op["operationId"].replace(".", "-")}"' in html
    assert "<code>what_happened</code>" in html and "one of: injury, near_miss" in html
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing from a CDN
