"""Migration 0013 carries pages and stakeholder emails into the one outbox, and back, with their data:
each row keeps its kind, its person, its state, and PostgreSQL's ids go on after the copied ones."""
import uuid
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade
from helpers import make_app, postgres_database

from webapp.auth.models import User
from webapp.extensions import db
from webapp.organisation.models import Site

AT = datetime(2026, 11, 20, 9, 0)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path):
    """A database with nothing in it, for the migrations to build."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'outbox.sqlite3'}"
        return
    with postgres_database("fieldincident_migrate") as url:
        yield url


def rows(sql: str) -> list[tuple]:
    found = [tuple(row) for row in db.session.execute(sa.text(sql))]
    db.session.commit()  # no transaction left open to hold locks the next migration needs
    return found


def test_pages_and_stakeholder_emails_move_to_the_outbox_and_back(empty_database, tmp_path):
    app = make_app(empty_database, str(tmp_path / "instance"))
    with app.app_context():
        upgrade(revision="0012_clock_check")
        site = Site(code="SYD", name="Sydney", jurisdiction="AU-NSW", timezone="Australia/Sydney")
        person = User(email="r@test.example", name="R", role="responder", home_site=site, password_hash="x")
        db.session.add_all([site, person])
        db.session.flush()
        # The incident as the table was at 0012 (today's model has columns added since).
        i = db.session.execute(sa.text(
            "INSERT INTO incident (client_id, reporter_id, site_id, status, severity, classified_severity, "
            "severity_reasons, answers, description, confidential, occurred_at, reported_at, aware_at) VALUES "
            "(:client, :person, :site, 'reported', 'P1', 'P1', '[]', '{}', 'd', false, :at, :at, :at) RETURNING id"),
            {"client": str(uuid.uuid4()), "person": person.id, "site": site.id, "at": AT}).scalar_one()
        db.session.commit()
        u = person.id
        old = [  # (key, page_key, incident, step, about, channel, state)
            (f"e1:s0:u{u}:push", f"e1:s0:u{u}", i, 0, None, "push", "sent"),
            (f"e1:s0:u{u}:email", f"e1:s0:u{u}", i, 0, None, "email", "pending"),
            (f"e1:r1700:u{u}:email", f"e1:r1700:u{u}", i, None, None, "email", "sent"),
            (f"o3:nearly:1800:u{u}:push", f"o3:nearly:1800:u{u}", i, None, "WHS: notify: due in 2 h", "push", "failed"),
            (f"o3:nearly:1800:u{u}:email", f"o3:nearly:1800:u{u}", i, None, None, "email", "pending"),  # its fallback
            (f"sla1:P1:response:near:u{u}:push", f"sla1:P1:response:near:u{u}", i, None, "P1 response", "push", "sent"),
            (f"test:ab12:u{u}:push", f"test:ab12:u{u}", None, None, None, "push", "sent"),
            (f"e2:s1:u{u}:email", None, i, 1, None, "email", "sent"),  # from before page keys
        ]
        for n, (key, page_key, incident_id, step, about, channel, state) in enumerate(old, start=10):
            db.session.execute(sa.text(
                "INSERT INTO notification (id, key, page_key, incident_id, user_id, step, about, channel, state, "
                "attempts, next_attempt_at, created_at) VALUES (:id, :key, :page_key, :incident, :user, :step, "
                ":about, :channel, :state, 1, :at, :at)"),
                {"id": n, "key": key, "page_key": page_key, "incident": incident_id, "user": u, "step": step,
                 "about": about, "channel": channel, "state": state, "at": AT})
        db.session.execute(sa.text(
            "INSERT INTO status_update (id, incident_id, audience, text, author_id, at, recipients, email_state, "
            "email_attempts, email_next_at, email_error) VALUES (5, :i, 'customer', 'Plant reopens at 14:00', :u, "
            ":at, :recipients, 'sent', 1, NULL, NULL)"),
            {"i": i, "u": u, "at": AT, "recipients": '["a@customer.example", "b@customer.example"]'})
        db.session.commit()

        upgrade(revision="0013_one_outbox")
        moved = rows("SELECT id, kind, occasion, group_key, channel, state, user_id, address FROM message ORDER BY id")
        assert [(r[1], r[2], r[4], r[5]) for r in moved] == [
            ("page", "e1:s0", "push", "sent"), ("page", "e1:s0", "email", "pending"),
            ("repage", "e1:r1700", "email", "sent"),
            ("deadline", "o3:nearly:1800", "push", "failed"), ("deadline", "o3:nearly:1800", "email", "pending"),
            ("clock", "sla1:P1:response:near", "push", "sent"), ("test", "ab12", "push", "sent"),
            ("page", "e2:s1", "email", "sent"),
            ("stakeholder", "upd5", "email", "sent"), ("stakeholder", "upd5", "email", "sent")]
        assert [r[0] for r in moved[:8]] == list(range(10, 18))  # the pages keep their ids (their tokens name them)
        assert moved[3][3] == moved[4][3] == f"deadline:o3:nearly:1800:u{u}"  # a reminder and its fallback: one group
        assert [r[7] for r in moved[8:]] == ["a@customer.example", "b@customer.example"]
        assert {r[6] for r in moved[8:]} == {None}
        # New rows take ids after the copied ones (PostgreSQL's sequence moved on).
        db.session.execute(sa.text(
            "INSERT INTO message (key, group_key, kind, occasion, user_id, channel, state, attempts, "
            "next_attempt_at, created_at) VALUES ('k', 'g', 'page', 'e9:s0', :u, 'app', 'sent', 0, :at, :at)"),
            {"u": u, "at": AT})
        db.session.commit()
        assert rows("SELECT max(id) FROM message")[0][0] > 19

        downgrade(revision="0012_clock_check")
        back = rows("SELECT id, key, page_key, channel, state FROM notification ORDER BY id")
        assert [r[0] for r in back] == list(range(10, 18))  # the in-app row has no place in the old table
        assert back[3][1:] == (f"deadline:o3:nearly:1800:u{u}:push", f"deadline:o3:nearly:1800:u{u}", "push", "failed")
        assert rows("SELECT email_state, email_attempts FROM status_update") == [("sent", 1)]
        upgrade()  # and forward again
        assert rows("SELECT count(*) FROM message")[0][0] == 10
        db.session.remove()
        db.engine.dispose()
