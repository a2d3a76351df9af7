"""Web push end to end on the server side: subscriptions, encrypted pages through a real (local) push
service, the push service's answers (RFC 8030), acknowledgement from the notification with single-use
tokens, receipts, and email fallback."""
from datetime import timedelta

import pytest
from helpers import T0, file_incident, paged, subject, text_of

from webapp.database import utcnow
from webapp.escalation.engine import run_due
from webapp.escalation.models import Escalation
from webapp.extensions import db
from webapp.notify import render, schemas, tokens
from webapp.notify.models import Message, PushSubscription
from webapp.notify.outbox import queue
from webapp.notify.worker import work_once


@pytest.fixture
def app_config(smtp_server):
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port, "PUSH_FALLBACK_SECONDS": 60}


def pages():
    """The pages that reach someone (the in-app copies are left out)."""
    db.session.commit()
    return list(db.session.scalars(db.select(Message).where(Message.channel != "app").order_by(Message.id)))


# ---- subscriptions ----

def test_a_responder_subscribes_a_phone_and_the_same_phone_again_updates_it(as_user, push_service, demo):
    phone = push_service.subscribe()
    client = as_user("responder")
    first = client.post("/api/v1/push-subscriptions", json=phone.subscription(),
                        headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile"})
    assert first.status_code == 201 and first.get_json()["label"] == "Chrome on Android"
    again = client.post("/api/v1/push-subscriptions", json=phone.subscription())
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    assert [s["id"] for s in client.get("/api/v1/push-subscriptions").get_json()["subscriptions"]] == \
        [first.get_json()["id"]]
    # Someone else posts the same endpoint: refused, never a takeover (the browser makes a new one instead).
    other = as_user("supervisor").post("/api/v1/push-subscriptions", json=phone.subscription())
    assert other.status_code == 409 and "another person" in other.get_json()["fields"]["endpoint"]
    assert [s["id"] for s in client.get("/api/v1/push-subscriptions").get_json()["subscriptions"]] == \
        [first.get_json()["id"]]
    assert as_user("supervisor").get("/api/v1/push-subscriptions").get_json()["subscriptions"] == []


@pytest.mark.parametrize("change, field", [
    ({"endpoint": "http://push.example.com/abc"}, "endpoint"),  # not https, not loopback
    ({"endpoint": "ftp://push.example.com/abc"}, "endpoint"),
    ({"endpoint": "https://user:pw@push.example.com/abc"}, "endpoint"),
    ({"endpoint": "https://push.example.com/" + "a" * 2000}, "endpoint"),
    ({"endpoint": 42}, "endpoint"),
    ({"keys": None}, "keys"),
    ({"keys": {"p256dh": "AAAA", "auth": "BTBZMqHH6r4Tts7J_aSIgg"}}, "keys.p256dh"),
    ({"keys": {"p256dh": "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
               "auth": "short"}}, "keys.auth"),
    ({"expirationTime": "soon"}, "expirationTime"),
])
def test_a_bad_subscription_is_refused_with_the_reason_and_nothing_stored(as_user, push_service, demo, change, field):
    body = {**push_service.subscribe().subscription(), **change}
    response = as_user("responder").post("/api/v1/push-subscriptions", json=body)
    assert response.status_code == 400 and field in response.get_json()["fields"]
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 0


def test_a_local_push_service_is_only_allowed_when_the_setting_is_on(app, as_user, push_service, demo):
    app.config["ALLOW_LOOPBACK_TARGETS"] = False
    response = as_user("responder").post("/api/v1/push-subscriptions", json=push_service.subscribe().subscription())
    assert response.status_code == 400
    assert "ALLOW_LOOPBACK_TARGETS=1" in response.get_json()["fields"]["endpoint"]


def test_not_json_reporters_and_other_peoples_devices(as_user, phone, demo):
    assert as_user("responder").post("/api/v1/push-subscriptions", data="x").status_code == 400
    assert as_user("reporter").post("/api/v1/push-subscriptions", json={}).status_code == 403
    mine = phone("responder")
    assert as_user("responder2").delete(f"/api/v1/push-subscriptions/{mine.server_id}").status_code == 404
    assert as_user("responder2").post(f"/account/alerts/{mine.server_id}/remove").status_code == 404
    assert as_user("responder").delete(f"/api/v1/push-subscriptions/{mine.server_id}").status_code == 204
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 0


def test_subscribing_from_a_browser_session_needs_the_csrf_token(app, as_user, push_service, demo):
    app.config["WTF_CSRF_ENABLED"] = True
    response = as_user("responder").post("/api/v1/push-subscriptions", json=push_service.subscribe().subscription())
    assert response.status_code == 400
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 0


# ---- paging by push ----

def test_a_page_reaches_the_phone_encrypted_signed_and_marked_urgent(demo, p1_policy, phone, push_service,
                                                                     smtp_server):
    device = phone("responder")
    incident = file_incident(demo)
    work_once(T0)
    [message] = push_service.wait_for(1)
    alert = message.json()
    assert message.subscriber == device.id
    assert alert["reference"] == incident.reference and alert["severity"] == "P1"
    assert alert["site"] == "Manchester plant" and alert["body"].startswith("Manchester plant: ")
    assert alert["title"] == f"P1 Critical · {incident.reference}"
    assert alert["tag"] == f"incident-{incident.reference}" and alert["requireInteraction"] is True
    assert alert["url"] == f"/incidents/{incident.reference}"
    assert message.headers["urgency"] == "high" and message.headers["topic"] == f"incident-{incident.reference}"
    assert message.headers["ttl"] == "3600"
    assert message.headers["content-type"] == "application/octet-stream"  # some push services refuse a body without it
    assert message.claims["sub"] == "mailto:alerts@field-incidents.example"
    [page] = pages()
    assert (page.channel, page.state, page.attempts) == ("push", "sent", 1)
    assert smtp_server.messages == []  # a phone is the channel; email only falls back


def test_a_deadline_reminder_wakes_the_phone_even_for_a_low_severity_incident(demo, phone, push_service):
    phone("supervisor")
    incident = file_incident(demo, treatment="first_aid")  # P4
    queue("deadline", "test-reminder", T0, user=demo["supervisor"], incident_id=incident.id,
          about="GDPR: Notify the ICO: due in 18 h")
    db.session.commit()
    work_once(T0)
    [message] = push_service.wait_for(1)
    alert = message.json()
    assert incident.severity == "P4" and message.headers["urgency"] == "high"
    assert (alert["kind"], alert["tag"], alert["body"]) == ("reminder", f"deadline-{incident.reference}",
                                                            "GDPR: Notify the ICO: due in 18 h")
    assert alert["requireInteraction"] is True and "ack" not in alert  # Open only: it is not a page to ack


def test_low_severity_pages_do_not_wake_the_phone_or_stay_on_screen():
    assert not render.is_urgent("P3") and render.is_urgent("P2")
    assert render.push_headers(False, "incident-INC-000001") == {"Urgency": "normal", "Topic": "incident-INC-000001"}
    facts = render.IncidentFacts(reference="INC-000001", severity="P4", severity_name="Low", site="Depot",
                                 description="word " * 500, path="/incidents/INC-000001")
    words = render.page(facts, base_url="https://x.example", message_id=1, receipt_token="r", push_ack_token="a",
                        email_ack_url=None)
    body = words.push
    assert words.urgent is False and body["requireInteraction"] is False
    assert len(body["body"]) < 200 and body["body"].endswith("…")
    assert len(render.encode(body)) < render.MAX_PAYLOAD_BYTES


def ack(client, token):
    return client.post("/api/v1/push/ack", json={"token": token})


def test_acknowledging_from_the_notification_stops_the_escalation_once(app, demo, p1_policy, phone, push_service):
    phone("responder")
    incident = file_incident(demo)
    work_once(T0)
    alert = push_service.wait_for(1)[0].json()
    anonymous = app.test_client()  # the service worker's request may carry no session at all
    response = ack(anonymous, alert["ack"])
    assert response.status_code == 200 and response.get_json()["reference"] == incident.reference
    db.session.refresh(incident)
    assert incident.acknowledged_at is not None
    assert incident.timeline[-1].summary == "Acknowledged by Responder from the alert on their phone"
    assert incident.timeline[-1].actor_id == demo["responder"].id
    again = ack(anonymous, alert["ack"])
    assert again.status_code == 409 and "already used" in again.get_json()["error"]
    run_due(T0 + timedelta(minutes=10))
    assert paged() == [("responder", 0)]  # the supervisor is not woken
    assert db.session.scalar(db.select(Escalation)).state == "acknowledged"


def test_an_expired_forged_or_wrong_token_acknowledges_nothing(app, demo, p1_policy, phone, push_service,
                                                               monkeypatch):
    phone("responder")
    incident = file_incident(demo)
    work_once(T0)
    alert = push_service.wait_for(1)[0].json()
    page_id = alert["page"]
    client = app.test_client()
    with app.test_request_context():
        from itsdangerous.timed import TimestampSigner
        real = TimestampSigner.get_timestamp
        monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: real(self) - 13 * 3600)
        old = tokens.issue("ack", page_id)  # signed 13 hours ago; tokens live 12
        monkeypatch.setattr(TimestampSigner, "get_timestamp", real)
    expired = ack(client, old)
    assert expired.status_code == 401 and "too old" in expired.get_json()["error"]
    assert ack(client, alert["receipt"]).status_code == 401  # a receipt token is not an ack token
    assert ack(client, alert["ack"][:-3] + "abc").status_code == 401
    assert ack(client, None).status_code == 400  # not a token at all: a bad body, named
    assert client.post("/api/v1/push/ack", data="token").status_code == 400
    db.session.refresh(incident)
    assert incident.acknowledged_at is None
    assert ack(client, alert["ack"]).status_code == 200  # the real one still works


def test_a_deactivated_responder_cannot_acknowledge_with_an_old_alert(app, demo, p1_policy, phone, push_service):
    phone("responder")
    file_incident(demo)
    work_once(T0)
    alert = push_service.wait_for(1)[0].json()
    demo["responder"].active = False
    db.session.commit()
    assert ack(app.test_client(), alert["ack"]).status_code == 403


def test_the_phone_reports_delivery_and_a_confirmed_page_needs_no_email(app, demo, p1_policy, phone, push_service,
                                                                        smtp_server, as_user):
    phone("responder")
    incident = file_incident(demo)
    work_once(T0)
    alert = push_service.wait_for(1)[0].json()
    client = app.test_client()
    assert client.post("/api/v1/push/receipts", json={"receipt": alert["receipt"], "state": "shown"}).status_code == 200
    assert client.post("/api/v1/push/receipts",
                       json={"receipt": alert["receipt"], "state": "delivered"}).status_code == 200
    [page] = pages()
    assert page.state == "shown" and page.delivered_at and page.shown_at  # never steps back
    detail = as_user("supervisor").get(f"/incidents/{incident.reference}").get_data(as_text=True)
    assert "Alerts sent (1)" in detail and "Responder</strong>\n        phone:" in detail
    assert "shown on the phone" in detail
    assert client.post("/api/v1/push/receipts", json={"receipt": alert["receipt"], "state": "read"}).status_code == 400
    assert client.post("/api/v1/push/receipts", json={"receipt": alert["ack"], "state": "shown"}).status_code == 400
    work_once(T0 + timedelta(minutes=2))
    assert smtp_server.messages == []


def test_a_page_no_phone_confirms_goes_by_email_once(demo, p1_policy, phone, push_service, smtp_server):
    phone("responder")
    incident = file_incident(demo)
    work_once(T0)
    push_service.wait_for(1)
    work_once(T0 + timedelta(seconds=59))
    assert smtp_server.messages == []
    work_once(T0 + timedelta(seconds=60))
    work_once(T0 + timedelta(seconds=90))
    [email] = smtp_server.messages
    assert email["To"] == "responder@test.example" and incident.reference in subject(email)
    assert [(p.channel, p.state) for p in pages()] == [("push", "sent"), ("email", "sent")]
    db.session.refresh(incident)
    assert incident.timeline[-1].summary == "Paged Responder by email: no phone confirmed the alert within 60 s"


def test_a_subscription_the_push_service_says_is_gone_is_removed_and_email_takes_over(
        demo, p1_policy, phone, push_service, smtp_server):
    device = phone("responder")
    push_service.gone.add(device.id)
    incident = file_incident(demo)
    work_once(T0)
    [push] = pages()
    assert push.state == "failed" and "410" in push.last_error
    db.session.refresh(incident)
    assert incident.timeline[-1].summary.startswith("Alert to Responder by phone failed: push: subscription gone (410)")
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 0
    work_once(T0 + timedelta(seconds=1))  # failed outright: no need to wait for the fallback window
    assert [m["To"] for m in smtp_server.messages] == ["responder@test.example"]


def test_an_unreachable_push_service_is_retried_with_backoff(demo, p1_policy, phone, push_service):
    device = phone("responder")
    sub = db.session.get(PushSubscription, device.server_id)
    sub.endpoint = "http://127.0.0.1:9/push/nobody-listens"
    db.session.commit()
    file_incident(demo)
    work_once(T0)
    [page] = pages()
    assert page.state == "pending" and page.attempts == 1 and "ConnectionError" in page.last_error
    assert page.next_attempt_at == T0 + timedelta(seconds=15)


def test_two_phones_each_get_the_page_and_one_confirmation_is_enough(app, demo, p1_policy, phone, push_service,
                                                                    smtp_server):
    phone("responder")
    phone("responder")
    file_incident(demo)
    work_once(T0)
    alerts = [m.json() for m in push_service.wait_for(2)]
    assert len({a["page"] for a in alerts}) == 2 and len({a["tag"] for a in alerts}) == 1
    app.test_client().post("/api/v1/push/receipts", json={"receipt": alerts[0]["receipt"], "state": "delivered"})
    work_once(T0 + timedelta(minutes=2))
    assert smtp_server.messages == []
    work_once(T0 + timedelta(minutes=5))  # level 2: the supervisor, who has no phone, by email
    assert [m["To"] for m in smtp_server.messages] == ["supervisor@test.example"]


def test_a_test_alert_goes_to_each_of_my_phones(as_user, demo, phone, push_service):
    phone("responder")
    client = as_user("responder")
    response = client.post("/account/alerts/test", follow_redirects=True)
    assert "Test alert queued for 1 device(s)" in response.get_data(as_text=True)
    work_once(utcnow())  # queued by the request, on the real clock
    [message] = push_service.wait_for(1)
    assert message.json()["kind"] == "test" and "ack" not in message.json()
    page = client.get("/account/alerts").get_data(as_text=True)
    assert "Chrome on Android" in page and "sent, not confirmed yet" in page


def test_a_confidential_incident_is_named_not_described_to_someone_who_may_not_read_it(
        demo, p1_policy, phone, push_service, smtp_server, app):
    phone("responder")
    app.config["PUSH_FALLBACK_SECONDS"] = 0
    incident = file_incident(demo, confidential=True)
    assert incident.confidential and not incident.can_view(demo["responder"])
    work_once(T0)
    alert = push_service.wait_for(1)[0].json()
    assert incident.description not in alert["body"]
    assert alert["body"] == "Manchester plant: " + render.CONFIDENTIAL
    work_once(T0 + timedelta(seconds=1))  # unconfirmed: the email fallback says no more
    [email] = smtp_server.messages
    assert subject(email).endswith("confidential incident")
    assert incident.description not in text_of(email) and "/incidents/" not in text_of(email)
    assert "/ack/" in text_of(email)  # they were paged: they can still acknowledge without reading it


def test_a_failed_phone_says_email_follows_only_when_it_will(app, demo, p1_policy, phone, push_service):
    app.config["MAIL_SERVER"] = ""
    device = phone("responder")
    push_service.gone.add(device.id)
    incident = file_incident(demo)
    work_once(T0)
    db.session.refresh(incident)
    failed = [e.summary for e in incident.timeline if e.summary.startswith("Alert to Responder by phone failed")]
    assert failed and "email follows" not in failed[0]


# ---- what the service worker sends (service_worker/sw.js), declared (schemas.py) ----

def exactly(model, body: dict) -> dict:
    """The answer has the keys its declared model names, no others, of the declared types."""
    model.model_validate(body)
    assert set(body) == {field.alias or name for name, field in model.model_fields.items()}
    return body


def test_receipts_and_acknowledgements_take_exactly_what_the_service_worker_sends(app, demo, p1_policy, phone,
                                                                                  push_service):
    phone("responder")
    incident = file_incident(demo)
    work_once(T0)
    alert = push_service.wait_for(1)[0].json()
    client = app.test_client()
    refused = {
        "receipts": [({"receipt": alert["receipt"], "state": "shown", "at": "now"}, "at"),
                     ({"receipt": alert["receipt"], "state": ["shown"]}, "state"),
                     ({"receipt": [alert["receipt"]], "state": "shown"}, "receipt"),
                     ({"receipt": 7, "state": "shown"}, "receipt"),
                     ({"state": "shown"}, "receipt")],
        "ack": [({"token": alert["ack"], "again": True}, "again"),  # was acknowledged, `again` ignored
                ({"token": [alert["ack"]]}, "token"),
                ({"token": "x" * 501}, "token")],
    }
    for path, cases in refused.items():
        for body, field in cases:
            response = client.post(f"/api/v1/push/{path}", json=body)
            assert response.status_code == 400 and field in response.get_json()["fields"], (body, response.get_json())
    [page] = pages()
    assert page.state == "sent" and page.delivered_at is None and page.acked_at is None
    db.session.refresh(incident)
    assert incident.acknowledged_at is None
    receipt = client.post("/api/v1/push/receipts", json={"receipt": alert["receipt"], "state": "delivered"})
    assert exactly(schemas.ReceiptOut, receipt.get_json()) == {"page": page.id, "state": "delivered"}
    acknowledged = client.post("/api/v1/push/ack", json={"token": alert["ack"]})
    assert exactly(schemas.AckOut, acknowledged.get_json())["reference"] == incident.reference


def test_subscriptions_answer_their_declared_shape(as_user, push_service, demo):
    client = as_user("responder")
    subscription = push_service.subscribe().subscription()
    assert set(subscription) == {"endpoint", "expirationTime", "keys"}  # what PushSubscription.toJSON() gives
    exactly(schemas.SubscriptionOut, client.post("/api/v1/push-subscriptions", json=subscription).get_json())
    [listed] = exactly(schemas.SubscriptionList, client.get("/api/v1/push-subscriptions").get_json())["subscriptions"]
    exactly(schemas.SubscriptionOut, listed)


def test_the_phones_page_forms_take_nothing_but_their_token(as_user, demo, phone):
    mine = phone("responder")
    client = as_user("responder")
    before = db.session.scalar(db.select(db.func.count(Message.id)))
    test = client.post("/account/alerts/test", data={"to": "everyone"})  # was queued, `to` ignored
    assert test.status_code == 400 and "is not a field here" in test.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count(Message.id))) == before
    remove = client.post(f"/account/alerts/{mine.server_id}/remove", data={"sub_id": ["1", "2"]})
    assert remove.status_code == 400
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 1
