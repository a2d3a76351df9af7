"""Sending pages: by email through a real SMTP server, with retries, leases and no page lost."""
from datetime import timedelta

import pytest
from helpers import T0, file_incident, subject, text_of

from webapp.escalation.engine import run_due, start_new
from webapp.extensions import db
from webapp.notify.models import Message
from webapp.notify.outbox import MAX_ATTEMPTS, claim, deliver_due, lease, renew_leases


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "PUBLIC_URL": "https://incidents.example"}


def pages():
    """The pages that reach someone (the in-app copies are left out)."""
    db.session.commit()
    return list(db.session.scalars(db.select(Message).where(Message.channel != "app").order_by(Message.id)))


def test_a_page_is_emailed_once_with_what_the_responder_needs(demo, p1_policy, smtp_server):
    incident = file_incident(demo)
    start_new(T0)
    run_due(T0)
    assert deliver_due(T0) == 1  # the email (the in-app alert is in the list already: nothing to send)
    assert deliver_due(T0) == 0
    [message] = smtp_server.messages
    assert message["To"] == "responder@test.example"
    assert subject(message).startswith(f"[P1] {incident.reference} at Manchester plant:")
    body = text_of(message)
    assert "P1: a person was admitted to hospital" in body
    assert f"https://incidents.example/incidents/{incident.reference}" in body
    [page] = pages()
    assert page.state == "sent" and page.sent_at == T0 and page.attempts == 1


def test_a_failing_mail_server_is_retried_with_backoff_then_given_up(app, demo, p1_policy):
    app.config["MAIL_PORT"] = 1  # nothing listens there
    file_incident(demo)
    start_new(T0)
    run_due(T0)
    deliver_due(T0)
    [page] = pages()
    assert page.state == "pending" and "email: ConnectionRefusedError" in page.last_error
    assert page.next_attempt_at == T0 + timedelta(seconds=15)
    assert deliver_due(T0 + timedelta(seconds=14)) == 0  # not before its time
    clock = T0
    for _ in range(MAX_ATTEMPTS):
        clock += timedelta(hours=1)
        deliver_due(clock)
    [page] = pages()
    assert page.state == "failed" and page.attempts == MAX_ATTEMPTS


def test_a_page_whose_sender_died_is_sent_again_after_its_lease(demo, p1_policy, smtp_server):
    file_incident(demo)
    start_new(T0)
    run_due(T0)
    assert len(claim(T0)) == 1  # a worker took it... and was killed before sending
    assert deliver_due(T0 + lease() - timedelta(seconds=1)) == 0  # still leased
    assert deliver_due(T0 + lease()) == 1
    [page] = pages()
    assert page.state == "sent" and page.attempts == 2
    assert len(smtp_server.messages) == 1


def test_a_worker_whose_lease_ran_out_does_not_send_what_another_took_over(demo, p1_policy, smtp_server):
    """A slow worker and the one that took its message over once the lease ran out: one email, not two."""
    file_incident(demo)
    start_new(T0)
    run_due(T0)
    slow = claim(T0)  # the slow worker's claim
    assert deliver_due(T0 + lease()) == 1  # its lease ran out: another worker sends it
    assert renew_leases(slow, T0 + lease()) == []  # the slow one finds it taken: sends nothing
    assert len(smtp_server.messages) == 1
