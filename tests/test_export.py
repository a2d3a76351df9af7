"""The incident list as CSV: what a spreadsheet user needs, quoted by RFC 4180, safe from formulas,
with the list's filters, read back with Python's csv module."""
from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta, timezone

from helpers import file_incident

from webapp.common.csvtext import safe_cell
from webapp.extensions import db

UTC = timezone.utc


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="incidents-')
    return list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8"), newline="")))


def test_each_incident_is_a_row_with_its_times_roles_and_sla_outcomes(as_user, demo):
    first = file_incident(demo, description='Forklift hit "rack 4", then\na pallet fell')
    first.commander = demo["supervisor"]
    first.acknowledged_at = first.reported_at + timedelta(minutes=5)
    second = file_incident(demo, site="SYD", what_happened=["near_miss"], treatment=None,
                           worst_credible_outcome="fatality", description="=HYPERLINK(\"http://x\")")
    db.session.commit()
    got = rows(as_user("supervisor").get("/api/v1/incidents.csv"))
    assert [r["reference"] for r in got] == [first.reference, second.reference]
    one, two = got
    assert one["description"] == 'Forklift hit "rack 4", then\na pallet fell'  # quotes and a line break survive
    assert one["severity"] == "P1" and one["site"] == "MAN" and one["categories"] == "safety"
    assert one["commander"] == "supervisor@test.example" and one["reporter"] == "reporter@test.example"
    assert datetime.fromisoformat(one["reported_at"]) == first.reported_at  # ISO 8601 with its offset
    assert one["reported_at"].endswith("+00:00") and one["resolved_at"] == ""
    assert one["response_sla"] == "met" and one["resolution_sla"] in ("running", "breached")
    assert two["high_potential"] == "yes" and two["severity"] == "P2"
    assert two["description"] == "'=HYPERLINK(\"http://x\")"  # a formula is written as text


def test_the_lists_filters_apply_and_bad_ones_are_400s(as_user, demo):
    old = file_incident(demo)
    old.reported_at = datetime(2026, 1, 15, 10, tzinfo=UTC)
    file_incident(demo, site="SYD", what_happened=["hazard"], treatment=None)
    db.session.commit()
    supervisor = as_user("supervisor")
    assert [r["site"] for r in rows(supervisor.get("/api/v1/incidents.csv?site=SYD"))] == ["SYD"]
    assert [r["severity"] for r in rows(supervisor.get("/api/v1/incidents.csv?severity=P1"))] == ["P1"]
    assert [r["reference"] for r in rows(supervisor.get("/api/v1/incidents.csv?from=2026-01-15&to=2026-01-15"))] == [
        old.reference]
    assert rows(supervisor.get("/api/v1/incidents.csv?from=2026-01-16&to=2026-01-31")) == []
    for query, field in (("from=2026-02-30", "from"), ("to=soon", "to"), ("site=NOPE", "site"), ("limit=5", "limit")):
        answer = supervisor.get(f"/api/v1/incidents.csv?{query}")
        assert answer.status_code == 400 and field in answer.get_json()["fields"], query


def test_a_reporter_exports_only_their_own_and_a_confidential_incident_only_to_those_named(as_user, demo):
    mine = file_incident(demo)
    secret = file_incident(demo, confidential=True)
    db.session.commit()
    assert {r["reference"] for r in rows(as_user("reporter2").get("/api/v1/incidents.csv"))} == set()
    assert {r["reference"] for r in rows(as_user("reporter").get("/api/v1/incidents.csv"))} == {
        mine.reference, secret.reference}
    assert {r["reference"] for r in rows(as_user("responder").get("/api/v1/incidents.csv"))} == {mine.reference}


def test_formula_cells_are_text():
    assert [safe_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "plain", None, 5)] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "plain", "", "5"]
