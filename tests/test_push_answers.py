"""What the push service answers decides what happens next (RFC 8030), and one bad phone stalls nobody."""
from datetime import timedelta
from email.utils import format_datetime

import pytest
from helpers import T0, file_incident
from test_subscriptions import OFF_CURVE

from webapp.auth.models import User
from webapp.escalation.models import EscalationPolicy, PolicyChoice, PolicyLevel
from webapp.extensions import db
from webapp.incidents.models import Incident
from webapp.notify import outbox
from webapp.notify.models import Message, PushSubscription
from webapp.notify.routes import routes_for
from webapp.notify.worker import work_once


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "PUSH_FALLBACK_SECONDS": 60}


def pushes() -> list[Message]:
    db.session.commit()
    return list(db.session.scalars(db.select(Message).where(Message.channel == "push").order_by(Message.id)))


def timeline(incident) -> list[str]:
    db.session.expire_all()
    return [entry.summary for entry in db.session.get(Incident, incident.id).timeline]


def test_a_body_too_large_for_the_service_is_sent_again_without_the_optional_words(demo, p1_policy, phone,
                                                                                  push_service):
    phone("responder")
    push_service.max_body = 560  # below our full page, above the slim one
    file_incident(demo, description="A long account of what happened at the dock. " * 20)
    work_once(T0)
    [message] = push_service.wait_for(1)
    alert = message.json()
    assert push_service.refused[0][0] == 413
    assert alert["body"] == "Open the app for the details." and alert["ack"] and alert["title"].startswith("P1")
    assert [p.state for p in pushes()] == ["sent"]


@pytest.mark.parametrize("answer, wait", [
    ((429, {"Retry-After": "120"}, "slow down"), timedelta(seconds=120)),  # longer than our backoff: theirs wins
    ((503, {"Retry-After": format_datetime(T0 + timedelta(minutes=5), usegmt=True)}, "maintenance"),
     timedelta(minutes=5)),
    ((500, {}, "oops"), timedelta(seconds=15)),  # no Retry-After: our backoff
    ((429, {"Retry-After": "2"}, ""), timedelta(seconds=15)),  # shorter than our backoff: ours
])
def test_a_busy_or_broken_push_service_is_retried_no_sooner_than_it_asks(demo, p1_policy, phone, push_service, answer,
                                                                         wait):
    device = phone("responder")
    push_service.scripted[device.id] = [answer]
    file_incident(demo)
    work_once(T0)
    [push] = pushes()
    assert push.state == "pending" and f"answered {answer[0]}" in push.last_error
    # Counted from when the answer came (the pass's clock moves on while it sends: a second or two on a
    # busy machine), never sooner than asked.
    assert T0 + wait <= push.next_attempt_at <= T0 + wait + timedelta(seconds=5)
    work_once(push.next_attempt_at)
    assert push_service.wait_for(1)[0].subscriber == device.id
    assert pushes()[0].state == "sent"


@pytest.mark.parametrize("status, said", [(400, "invalid request"), (403, "BadJwtToken"), (401, "unauthorised")])
def test_a_push_service_that_refuses_marks_the_phone_failing_and_email_follows_at_its_time(
        demo, p1_policy, phone, push_service, smtp_server, as_user, status, said):
    device = phone("responder")
    push_service.scripted[device.id] = [(status, {}, said)]
    incident = file_incident(demo)
    work_once(T0)
    [push] = pushes()
    assert push.state == "failed" and f"the push service answered {status}: {said}" in push.last_error
    subscription = db.session.get(PushSubscription, device.server_id)
    assert subscription.disabled_at is None and said in subscription.last_error  # failing, not turned off
    work_once(T0 + timedelta(seconds=30))
    assert smtp_server.messages == []  # not at once: the fallback keeps its time
    work_once(T0 + timedelta(seconds=60))
    assert [m["To"] for m in smtp_server.messages] == ["responder@test.example"]
    assert timeline(incident)[-1] == ("Paged Responder by email: the alert did not reach their phone "
                                      f"(the push service answered {status}: {said})")
    alerts_page = as_user("responder").get("/account/alerts").get_data(as_text=True)
    assert f"Last alert failed: push: the push service answered {status}: {said}" in alerts_page


def test_a_subscription_the_encryption_refuses_is_turned_off_with_the_reason(demo, p1_policy, push_service,
                                                                             smtp_server, as_user):
    """Stored before keys were checked (the API now refuses it): sending to it fails that phone alone."""
    bad = PushSubscription(user_id=demo["responder"].id, endpoint=f"{push_service.origin}/push/bad",
                           endpoint_hash="b" * 64, p256dh=OFF_CURVE, auth="BTBZMqHH6r4Tts7J_aSIgg", label="Old phone")
    db.session.add(bad)
    db.session.commit()
    incident = file_incident(demo)
    work_once(T0)
    [push] = pushes()
    assert push.state == "failed" and "malformed" in push.last_error
    db.session.refresh(bad)
    assert bad.disabled_at == T0 and "malformed" in bad.disabled_reason
    work_once(T0 + timedelta(seconds=1))  # nothing on that phone can confirm it: email at once
    assert [m["To"] for m in smtp_server.messages] == ["responder@test.example"]
    assert "malformed" in timeline(incident)[-1]
    page = as_user("responder").get("/account/alerts").get_data(as_text=True)
    assert "Alerts are off for this device" in page and "malformed" in page
    # The next page goes by email straight away: a turned-off phone is no route.
    assert [r.channel for r in routes_for(db.session.get(User, demo["responder"].id))] == ["email", "app"]


def test_a_push_service_that_moves_to_a_private_address_is_not_posted_to(app, demo, p1_policy, phone, push_service):
    phone("responder")
    app.config["ALLOW_LOOPBACK_TARGETS"] = False  # what production sees when the name now resolves to 127.0.0.1
    file_incident(demo)
    work_once(T0)
    assert push_service.received == [] and push_service.refused == []  # not even a connection
    [push] = pushes()
    assert push.state == "failed" and "no longer at a public address" in push.last_error
    assert db.session.scalar(db.select(PushSubscription.disabled_at)) is not None


@pytest.fixture
def crowd(demo, push_service, as_user):
    """Fifty responders with a phone each, and one whose stored subscription is malformed; a P1 pages
    them all at once."""
    people = [User(email=f"r{n}@test.example", name=f"R{n}", role="responder", home_site=demo["sites"]["MAN"],
                   password_hash="x", active=True) for n in range(51)]
    db.session.add_all(people)
    db.session.commit()
    good = {}
    for person in people[:50]:
        subscriber = push_service.subscribe()
        db.session.add(PushSubscription(user_id=person.id, endpoint=subscriber.endpoint,
                                        endpoint_hash=subscriber.id.ljust(64, "0"), p256dh=subscriber.p256dh,
                                        auth=subscriber.subscription()["keys"]["auth"], label="Phone"))
        good[subscriber.id] = person
    bad = PushSubscription(user_id=people[50].id, endpoint=f"{push_service.origin}/push/bad", endpoint_hash="f" * 64,
                           p256dh=OFF_CURVE, auth="BTBZMqHH6r4Tts7J_aSIgg", label="Broken phone")
    db.session.add(bad)
    policy = EscalationPolicy(name="Everyone", repeats=0)
    policy.levels = [PolicyLevel(position=0, delay_minutes=5,
                                 targets=[{"kind": "user", "ref": p.id} for p in [people[50], *people[:50]]])]
    db.session.add(policy)
    db.session.flush()
    db.session.add(PolicyChoice(position=0, policy_id=policy.id, severities=["P1"]))
    db.session.commit()
    return good, bad


def test_one_malformed_subscription_among_fifty_good_ones_stalls_nobody(demo, crowd, push_service):
    good, bad = crowd
    incidents = [file_incident(demo) for _ in range(3)]
    work_once(T0)  # one pass: every page claimed, the bad one fails alone and the batch goes on
    received = push_service.wait_for(150, timeout=60)
    by_phone = {}
    for message in received:
        by_phone.setdefault(message.subscriber, set()).add(message.json()["reference"])
    assert by_phone == {sub_id: {i.reference for i in incidents} for sub_id in good}
    db.session.refresh(bad)
    assert bad.disabled_at is not None and "malformed" in bad.disabled_reason
    states = db.session.execute(db.select(Message.state, db.func.count()).where(Message.channel == "push")
                                .group_by(Message.state)).all()
    assert dict(states) == {"sent": 150, "failed": 3}  # nothing left in sending
    assert db.session.scalar(db.select(db.func.count()).where(Message.state == "sending")) == 0


def test_a_library_exception_fails_that_message_alone_and_it_is_retried(demo, p1_policy, phone, push_service,
                                                                         monkeypatch):
    phone("responder")
    phone("responder")
    real = outbox.SENDERS["push"]
    victim = []

    def flaky(message, now):
        if not victim:
            victim.append(message.id)
        if message.id == victim[0]:
            raise KeyError("a surprise deep inside a library")
        return real(message, now)
    monkeypatch.setitem(outbox.SENDERS, "push", flaky)
    file_incident(demo)
    work_once(T0)
    assert len(push_service.wait_for(1)) == 1  # the other phone got it in the same pass
    first, second = pushes()
    assert (first.state, first.attempts, first.next_attempt_at) == ("pending", 1, T0 + timedelta(seconds=15))
    assert "KeyError" in first.last_error and second.state == "sent"
    for attempt in range(2, outbox.MAX_ATTEMPTS + 1):
        work_once(T0 + timedelta(hours=attempt))
    first = pushes()[0]
    assert first.state == "failed" and first.attempts == outbox.MAX_ATTEMPTS


def test_a_message_that_kills_every_worker_is_failed_after_the_limit_not_retried_forever(demo, p1_policy, phone,
                                                                                          push_service):
    phone("responder")
    incident = file_incident(demo)
    work_once(T0)
    push = pushes()[0]
    push.state, push.attempts, push.next_attempt_at = "sending", outbox.MAX_ATTEMPTS, T0  # its workers all died
    db.session.commit()
    outbox.deliver_due(T0 + outbox.lease())
    push = pushes()[0]
    assert push.state == "failed" and "the worker stopped while sending it" in push.last_error
    assert any("the worker stopped while sending it" in line for line in timeline(incident))


def test_a_subscription_the_push_service_calls_invalid_is_turned_off_and_email_goes_at_once(
        demo, p1_policy, phone, push_service, smtp_server, as_user):
    device = phone("responder")
    push_service.scripted[device.id] = [(400, {}, '{"reason": "UnauthorizedRegistration: invalid token"}')]
    incident = file_incident(demo)
    work_once(T0)
    subscription = db.session.get(PushSubscription, device.server_id)
    assert subscription.disabled_at == T0 and "UnauthorizedRegistration" in subscription.disabled_reason
    work_once(T0 + timedelta(seconds=1))  # nothing on that phone can confirm it: no need to wait
    assert [m["To"] for m in smtp_server.messages] == ["responder@test.example"]
    assert "UnauthorizedRegistration" in timeline(incident)[-1]
    assert "Alerts are off for this device" in as_user("responder").get("/account/alerts").get_data(as_text=True)


def test_a_refused_push_does_not_keep_the_worker_awake_until_its_fallback_is_due(app, demo, p1_policy, phone,
                                                                                push_service):
    from webapp.notify.fallback import next_fallback
    from webapp.notify.worker import next_due
    device = phone("responder")
    push_service.scripted[device.id] = [(400, {}, "bad request")]
    file_incident(demo)
    work_once(T0)
    assert next_fallback(T0 + timedelta(seconds=1)) == T0 + timedelta(seconds=60)
    assert next_due(T0 + timedelta(seconds=1), interval=1.0) == 1.0  # the usual pause, not a spin


def test_a_library_exception_on_the_network_fails_that_message_alone(demo, p1_policy, phone, push_service,
                                                                     monkeypatch):
    phone("responder")
    phone("responder")
    real = outbox.SENDERS["push"]
    victim = []

    def prepare(message, now):
        transmit = real(message, now)
        if victim and victim[0] != message.id:
            return transmit
        victim.append(message.id)

        def broken():
            raise ConnectionAbortedError("the socket library gave up in an unexpected way")
        return broken
    monkeypatch.setitem(outbox.SENDERS, "push", prepare)
    file_incident(demo)
    work_once(T0)
    assert len(push_service.wait_for(1)) == 1
    first, second = pushes()
    assert first.state == "pending" and "ConnectionAbortedError" in first.last_error and second.state == "sent"


def test_a_push_service_that_never_answers_holds_up_nobody_else(app, demo, p1_policy, phone, push_service,
                                                                 monkeypatch):
    slow, quick = phone("responder"), phone("responder")
    monkeypatch.setattr(outbox, "MAX_WAIT_SECONDS", 1)
    app.config["PUSH_TIMEOUT_SECONDS"] = 30
    push_service.hold.clear()  # every request waits...
    push_service.scripted[quick.id] = [(201, {}, "")]  # ...but the quick phone's service answers at once
    file_incident(demo)
    try:
        work_once(T0)
        by_phone = {p.subscription_id: p for p in pushes()}
        assert by_phone[quick.server_id].state == "sent"
        held = by_phone[slow.server_id]
        assert held.state == "pending" and "no answer within 1 s" in held.last_error  # tried again later
    finally:
        push_service.hold.set()


def test_an_outcome_from_a_worker_that_lost_its_claim_changes_nothing(demo, p1_policy, phone, push_service):
    phone("responder")
    file_incident(demo)
    from webapp.escalation.engine import run_due, start_new
    start_new(T0)
    run_due(T0)
    [stale] = outbox.claim(T0)
    taken_over = outbox.claim(T0 + outbox.lease())  # its lease ran out: another worker has it now
    assert taken_over and taken_over[0][1] == stale[1] + 1
    assert outbox._record_failure(stale, outbox.PermanentFailure("push: too late"), T0) is False
    [push] = pushes()
    assert push.state == "sending" and push.last_error is None


def test_a_phone_that_subscribed_again_is_not_turned_off_by_an_answer_about_its_old_keys(demo, phone):
    from webapp.notify import push as push_sender
    device = phone("responder")
    push_sender.disable(device.server_id, "the-old-keys", "malformed", T0)
    db.session.commit()
    assert db.session.get(PushSubscription, device.server_id).disabled_at is None


def test_a_subscription_the_push_service_does_not_know_is_removed_and_email_goes_at_once(
        demo, p1_policy, phone, push_service, smtp_server):
    device = phone("responder")
    push_service.scripted[device.id] = [(404, {}, "no such subscription")]
    file_incident(demo)
    work_once(T0)
    [push] = pushes()
    assert push.state == "failed" and "subscription gone (404)" in push.last_error
    assert db.session.get(PushSubscription, device.server_id) is None
    work_once(T0 + timedelta(seconds=1))
    assert [m["To"] for m in smtp_server.messages] == ["responder@test.example"]
