"""The API's contract: the OpenAPI 3.1 document made from the views' declarations, and schemathesis (a
third-party API tester) sending generated requests, valid and not, to every operation on both databases:
no server error, and no answer (status, content type, headers, body) that breaks the document.
SCHEMATHESIS_EXAMPLES sets the examples per operation (default 15).

Every check schemathesis has runs but one: "schema-valid data is accepted". What a schema cannot say is
checked by the validators after it (a user id that exists, a schedule's hand-offs in order, a site's code
not yet taken), and they refuse such data with a 400 naming the field, as they should."""
from __future__ import annotations

import os

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
