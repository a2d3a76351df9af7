"""The tests' push service decrypts as a browser does: the RFC 8291 example, and pywebpush's output."""
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from push_service import PushService, Subscriber, check_vapid, decrypt, unb64url
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

# RFC 8291, section 5 and appendix A: the receiver's keys and the encrypted message.
RFC_UA_PRIVATE = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94"
RFC_AUTH = "BTBZMqHH6r4Tts7J_aSIgg"
RFC_BODY = ("DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqK"
            "K6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN")


def test_the_rfc_8291_example_decrypts_with_the_same_code():
    key = ec.derive_private_key(int.from_bytes(unb64url(RFC_UA_PRIVATE), "big"), ec.SECP256R1())
    receiver = Subscriber("rfc", "https://push.example.net/push/JzLQ3raZJfFBR0aqvOMsLrt54w4rJUsV",
                          private_key=key, auth=unb64url(RFC_AUTH))
    assert receiver.p256dh == "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"
    assert decrypt(unb64url(RFC_BODY), receiver) == b"When I grow up, I want to be a watermelon"


@pytest.fixture
def vapid_key():
    key = Vapid02()
    key.generate_keys()
    return key


def test_a_signed_encrypted_push_is_accepted_and_read(vapid_key):
    with PushService() as service:
        phone = service.subscribe()
        webpush(phone.subscription(), data='{"hello": "phone"}', vapid_private_key=vapid_key,
                vapid_claims={"sub": "mailto:alerts@example.com"}, ttl=60, timeout=5)
        [message] = service.wait_for(1)
    assert message.json() == {"hello": "phone"}
    assert message.claims["aud"] == service.origin and message.headers["ttl"] == "60"


def test_it_refuses_what_a_real_push_service_refuses(vapid_key):
    with PushService() as service:
        phone = service.subscribe()
        with pytest.raises(WebPushException) as unsigned:
            webpush(phone.subscription(), data="x", ttl=60, timeout=5)  # no VAPID at all
        assert unsigned.value.response.status_code == 403
        stranger = Subscriber("x", phone.endpoint)  # keys the push service never saw
        with pytest.raises(WebPushException) as garbled:
            webpush(stranger.subscription(), data="x", vapid_private_key=vapid_key,
                    vapid_claims={"sub": "mailto:a@example.com"}, ttl=60, timeout=5)
        assert garbled.value.response.status_code == 400
        service.gone.add(phone.id)
        with pytest.raises(WebPushException) as gone:
            webpush(phone.subscription(), data="x", vapid_private_key=vapid_key,
                    vapid_claims={"sub": "mailto:a@example.com"}, ttl=60, timeout=5)
        assert gone.value.response.status_code == 410
        assert service.received == []


def test_a_forged_or_misaddressed_jwt_is_refused(vapid_key):
    claims = {"sub": "mailto:a@example.com", "aud": "http://127.0.0.1:1", "exp": 9999999999}
    header = vapid_key.sign(dict(claims))["Authorization"]
    with pytest.raises(ValueError, match="aud"):
        check_vapid(header, "http://127.0.0.1:2", None)
    with pytest.raises(ValueError, match="exp"):
        check_vapid(header, "http://127.0.0.1:1", None)  # 9999999999 is far more than 24 hours away
    impostor = Vapid02()
    impostor.generate_keys()
    token = impostor.sign(dict(claims))["Authorization"].split("t=")[1].split(",")[0]
    forged = header.split("t=")[0] + f"t={token}," + header.split(",")[1]  # our key, their signature
    with pytest.raises(ValueError, match="signature"):
        check_vapid(forged, "http://127.0.0.1:1", None)
    with pytest.raises(ValueError, match="not the one"):
        check_vapid(header, "http://127.0.0.1:1", "BAAA")
