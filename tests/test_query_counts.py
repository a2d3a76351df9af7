"""No query per row (issue 14): each list answers in the same number of SQL statements however many rows it
shows. Counted at the engine, for a request, with a few rows and with four times as many."""
from __future__ import annotations

from contextlib import contextmanager

import pytest
from helpers import file_incident
from sqlalchemy import event

from webapp.extensions import db

LISTS = {
    "the API list": ("responder", "/api/v1/incidents?limit=50"),
    "the queue": ("supervisor", "/incidents"),
    "the queue's poll": ("supervisor", "/incidents"),
    "my reports": ("reporter", "/reports/mine"),
    "the CSV export": ("supervisor", "/api/v1/incidents.csv"),
    "a metric's incidents": ("supervisor", "/metrics/incidents?figure=recordable&from=2025-01-01&to=2026-12-31"),
}


@contextmanager
def statements():
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def file(demo, how_many: int) -> None:
    for n in range(how_many):
        incident = file_incident(demo, site="SYD" if n % 2 else "MAN", treatment="first_aid" if n % 3 else "medical")
        incident.commander = demo["supervisor"]
    db.session.commit()


@pytest.mark.parametrize("what", LISTS)
def test_a_list_costs_the_same_statements_for_few_rows_and_many(as_user, demo, what):
    who, url = LISTS[what]
    headers = {"HX-Request": "true"} if what == "the queue's poll" else {}
    counts, shown = [], []
    for how_many in (3, 9):
        file(demo, how_many)
        client = as_user(who)
        client.get(url, headers=headers)  # warm: sessions, the organisation
        with statements() as seen:
            response = client.get(url, headers=headers)
            response.get_data()  # a streamed answer's rows are read as it is sent
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        counts.append(len(seen))
        shown.append(response.get_data(as_text=True).count("INC-"))
    assert shown[1] > shown[0] > 0  # the rows are there: more of them the second time
    assert counts[0] == counts[1], f"{what}: {counts[0]} statements for {shown[0]} rows, {counts[1]} for {shown[1]}"
