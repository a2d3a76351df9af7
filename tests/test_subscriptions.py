"""Only valid subscriptions are stored: a real P-256 key, a 16-byte secret, and a push service at a public
address (the worker will post to it). Each refusal names the field and says why; nothing is stored."""
import base64

import pytest
from push_service import Subscriber

from webapp.extensions import db
from webapp.notify import subscriptions
from webapp.notify.models import PushSubscription
from webapp.notify.subscriptions import address_kind, endpoint_problem, key_problem

GOOD = Subscriber("x", "https://fcm.googleapis.com/fcm/send/abc").subscription()
# 65 bytes starting 0x04, the right shape, but (0, 1) is not a point on P-256.
OFF_CURVE = base64.urlsafe_b64encode(b"\x04" + bytes(31) + b"\x00" + bytes(31) + b"\x01").decode().rstrip("=")


def resolver(table: dict[str, list[str]]):
    """A DNS answer the test chooses (this machine reaches no public name)."""
    def resolve(host, port):
        if host in table:
            return table[host]
        try:
            return [str(subscriptions.ipaddress.ip_address(host.strip("[]")))]
        except ValueError:
            raise OSError(f"{host}: name does not resolve") from None
    return resolve


PUBLIC_DNS = {"fcm.googleapis.com": ["142.250.70.170", "2404:6800:4006:80a::200a"],
              "updates.push.services.mozilla.com": ["34.107.221.82"],
              "push.internal.example": ["10.1.2.3"], "metadata.google.internal": ["169.254.169.254"],
              "sneaky.example": ["142.250.70.170", "127.0.0.1"], "localhost": ["127.0.0.1", "::1"]}


@pytest.mark.parametrize("address, kind", [
    ("142.250.70.170", "public"), ("2404:6800:4006:80a::200a", "public"),
    ("10.0.0.8", "private"), ("172.16.5.4", "private"), ("192.168.1.1", "private"), ("fd00::1", "private"),
    ("100.64.0.1", "private"),  # shared address space (carrier-grade NAT)
    ("127.0.0.1", "loopback"), ("::1", "loopback"), ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
    ("169.254.169.254", "link-local (cloud metadata lives there)"),
    ("fe80::1", "link-local (cloud metadata lives there)"),
    ("224.0.0.1", "multicast"), ("ff02::1", "multicast"),
    ("0.0.0.0", "unspecified (this machine)"), ("::", "unspecified (this machine)"), ("240.0.0.1", "private"),
    ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
])
def test_addresses_are_told_apart(address, kind):
    assert address_kind(address) == kind


@pytest.mark.parametrize("endpoint, problem", [
    ("https://fcm.googleapis.com/fcm/send/abc", None),
    ("https://updates.push.services.mozilla.com/wpush/v2/abc", None),
    ("http://fcm.googleapis.com/fcm/send/abc", "must use https"),
    ("https://10.0.0.8/push", "resolves to a private address"),
    ("https://169.254.169.254/latest/meta-data", "resolves to a link-local"),
    ("https://[::1]/push", "ALLOW_LOOPBACK_TARGETS=1"),
    ("http://localhost:6379/", "ALLOW_LOOPBACK_TARGETS=1"),
    ("https://push.internal.example/x", "resolves to a private address"),
    ("https://metadata.google.internal/computeMetadata", "resolves to a link-local"),
    ("https://sneaky.example/x", "resolves to a loopback address"),  # one bad address among good ones
    ("https://nowhere.invalid/x", "does not resolve"),
])
def test_an_endpoint_must_lead_to_a_public_push_service(endpoint, problem):
    found = endpoint_problem(endpoint, allow_loopback=False, resolver=resolver(PUBLIC_DNS))
    assert (found is None) if problem is None else (problem in found), found


def test_loopback_is_allowed_only_with_the_setting():
    local = resolver(PUBLIC_DNS)
    assert endpoint_problem("http://localhost:8099/notify/x", allow_loopback=True, resolver=local) is None
    assert endpoint_problem("http://127.0.0.1:8099/push/x", allow_loopback=True, resolver=local) is None
    assert "private" in endpoint_problem("http://10.0.0.8/push", allow_loopback=True, resolver=local)


def test_a_key_must_be_a_point_on_the_curve():
    assert key_problem(GOOD["keys"]["p256dh"]) is None
    assert "not a point on the curve" in key_problem(OFF_CURVE)
    assert "65 bytes" in key_problem("BAAA")
    assert "65 bytes" in key_problem(None)


@pytest.fixture
def dns(monkeypatch):
    monkeypatch.setattr(subscriptions, "resolve", resolver(PUBLIC_DNS))


def post(client, body):
    return client.post("/api/v1/push-subscriptions", json=body,
                       headers={"User-Agent": "Mozilla/5.0 (Linux; Android 14) Chrome/130.0 Mobile"})


@pytest.mark.parametrize("change, field, words", [
    ({"endpoint": "https://10.20.30.40/push/1"}, "endpoint", "private address"),
    ({"endpoint": "https://169.254.169.254/push/1"}, "endpoint", "link-local"),
    ({"endpoint": "https://[::1]:8443/push/1"}, "endpoint", "ALLOW_LOOPBACK_TARGETS=1"),
    ({"endpoint": "http://localhost:6379/"}, "endpoint", "ALLOW_LOOPBACK_TARGETS=1"),
    ({"endpoint": "https://push.internal.example/1"}, "endpoint", "private address"),
    ({"endpoint": "https://metadata.google.internal/1"}, "endpoint", "link-local"),
    ({"endpoint": "https://224.0.0.9/push"}, "endpoint", "multicast"),
    ({"endpoint": "http://fcm.googleapis.com/fcm/send/abc"}, "endpoint", "must use https"),
    ({"endpoint": "ftp://push.example.com/abc"}, "endpoint", "not a push service URL"),
    ({"endpoint": "https://user:pw@fcm.googleapis.com/abc"}, "endpoint", "not a push service URL"),
    # the declared model (schemas.SubscriptionIn) refuses a wrong type or length before the validator looks
    ({"endpoint": "https://fcm.googleapis.com/" + "a" * 2000}, "endpoint", "at most 2000 characters"),
    ({"endpoint": 42}, "endpoint", "should be a valid string"),
    ({"keys": None}, "keys", "should be an object"),
    ({"keys": {"p256dh": OFF_CURVE, "auth": GOOD["keys"]["auth"]}}, "keys.p256dh", "not a point on the curve"),
    ({"keys": {"p256dh": "AAAA", "auth": GOOD["keys"]["auth"]}}, "keys.p256dh", "65 bytes"),
    ({"keys": {"p256dh": GOOD["keys"]["p256dh"], "auth": "c2hvcnQ"}}, "keys.auth", "16-byte"),
    ({"keys": {"p256dh": GOOD["keys"]["p256dh"], "auth": 7}}, "keys.auth", "should be a valid string"),
    ({"expirationTime": "soon"}, "expirationTime", "should be a valid number"),
    ({"keys": {**GOOD["keys"], "kid": "x"}}, "keys.kid", "is not a field here"),
    ({"endpoint": ["https://fcm.googleapis.com/fcm/send/abc"]}, "endpoint", "should be a valid string"),
])
def test_a_bad_subscription_is_refused_with_the_reason_and_nothing_stored(app, as_user, demo, dns, change, field,
                                                                          words):
    app.config["ALLOW_LOOPBACK_TARGETS"] = False  # as in production
    response = post(as_user("responder"), {**GOOD, **change})
    assert response.status_code == 400
    assert words in response.get_json()["fields"][field]
    assert db.session.scalar(db.select(db.func.count(PushSubscription.id))) == 0


def test_a_public_push_service_is_accepted_and_another_users_same_endpoint_is_a_conflict(app, as_user, demo, dns):
    app.config["ALLOW_LOOPBACK_TARGETS"] = False
    mine = post(as_user("responder"), GOOD)
    assert mine.status_code == 201 and mine.get_json()["label"] == "Chrome on Android"
    theirs = post(as_user("responder2"), GOOD)
    assert theirs.status_code == 409 and "another person" in theirs.get_json()["fields"]["endpoint"]
    [stored] = db.session.scalars(db.select(PushSubscription))
    assert stored.user_id == demo["responder"].id  # not taken over


def test_a_turned_off_subscription_is_turned_on_again_when_the_phone_subscribes_afresh(app, as_user, demo, dns):
    post(as_user("responder"), GOOD)
    stored = db.session.scalar(db.select(PushSubscription))
    stored.disabled_at, stored.disabled_reason = stored.created_at, "the keys were malformed"
    db.session.commit()
    again = post(as_user("responder"), GOOD)
    assert again.status_code == 200 and again.get_json()["disabled"] is False
