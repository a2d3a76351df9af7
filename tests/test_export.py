"""The incident list as CSV: what a spreadsheet user needs, quoted by RFC 4180, safe from formulas,
with the list's filters, read back with Python's csv module."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from helpers import file_incident
from sqlalchemy import text

from webapp.common.csvtext import safe_cell
from webapp.extensions import db
from webapp.incidents.models import Incident

UTC = UTC


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


# A child process streams the export and reads its own peak memory (resident set) after the first rows
# and at the end: memory that grew with the rows would show as a difference of tens of megabytes.
STREAM_AND_MEASURE = r"""
import json, resource, sys
sys.path.insert(0, sys.argv[4])
from helpers import make_app
app = make_app(sys.argv[1], sys.argv[2])
client = app.test_client()
with app.app_context():
    from webapp.auth.models import LoginSession, User
    from webapp.database import utcnow
    from webapp.extensions import db
    user = db.session.scalar(db.select(User).filter_by(email=sys.argv[3]))
    user_id, secret = user.id, LoginSession.open(user, utcnow())[1]
    db.session.commit()
with client.session_transaction() as session:
    session["_user_id"], session["_fresh"], session["sid"] = str(user_id), True, secret
client.get("/api/v1/incidents.csv?to=2000-01-01")  # an empty export first: the app is warm, its code loaded
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
response = client.get("/api/v1/incidents.csv", buffered=False)
lines, early = 0, None
for chunk in response.response:
    lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
    if early is None and lines > 10_000:
        early = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
response.close()
print(json.dumps({"lines": lines, "before_kb": before, "early_kb": early,
                  "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def copy_incident(source: Incident, count: int) -> None:
    """`count` copies of an incident, reported a minute apart, made by the database in one statement."""
    table = Incident.__table__
    kept = [c.name for c in table.columns if c.name not in ("id", "client_id", "reported_at")]
    listed = ", ".join(kept)
    if db.engine.dialect.name == "postgresql":
        numbers, shifted = "generate_series(1, :count) AS n(i)", "reported_at - i * interval '1 minute'"
        prefix = ""
    else:
        numbers, shifted = "n", "datetime(reported_at, '-' || i || ' minutes')"
        prefix = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :count) "
    db.session.execute(text(
        f"INSERT INTO incident ({listed}, client_id, reported_at) {prefix}"
        f"SELECT {listed}, 'copy-' || i, {shifted} FROM incident, {numbers} WHERE incident.id = :source"),
        {"count": count, "source": source.id})
    db.session.commit()


def test_a_100000_row_export_streams_in_constant_memory(demo, database_url, tmp_path):
    source = file_incident(demo, site="SYD", description='A copied report, "quoted", 100,000 times over')
    db.session.commit()
    copy_incident(source, 99_999)
    child = subprocess.run(
        [sys.executable, "-c", STREAM_AND_MEASURE, database_url, str(tmp_path / "child"), "supervisor@test.example",
         str(Path(__file__).parent)], capture_output=True, text=True, timeout=600)
    assert child.returncode == 0, child.stderr[-2000:]
    measured = json.loads(child.stdout.strip().splitlines()[-1])
    assert measured["lines"] == 100_001  # the heading and every incident
    grown_mb = (measured["peak_kb"] - measured["early_kb"]) / 1024
    used_mb = (measured["peak_kb"] - measured["before_kb"]) / 1024
    # Loaded at once, 100,000 incidents would take hundreds of megabytes before the first row went out;
    # streamed a thousand at a time, the export takes a few, and no more after 10,000 rows than at the end.
    assert used_mb < 40, f"the export took {used_mb:.1f} MB"
    assert grown_mb < 8, f"peak memory grew {grown_mb:.1f} MB from 10,000 rows to 100,000"
    print(f"\n{db.engine.dialect.name}: the export took {used_mb:.1f} MB, {grown_mb:.1f} MB of it after 10,000 rows")
