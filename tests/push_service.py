"""A local push service for tests and benchmarks: the receiving side of Web Push, done for real.

It plays what Mozilla's or Google's push service does with our requests (RFC 8030, 8291, 8292):
checks the VAPID JWT (ES256 signature, `aud` = this service's origin, `exp` in the future and at most
24 hours away, `sub` a mailto: or https: contact, and the key `k` the subscription was made with),
requires TTL and `Content-Encoding: aes128gcm`, and decrypts the body with the subscriber's private
key and auth secret. A message counts as accepted only when its 201 answer has gone back to a sender
that is still there, as a real service's commit would. It can also answer 410 for a subscription
that is gone, answer what a test scripts for a subscription (429 with Retry-After, 500, 400...), refuse
bodies over a size (413), or hold requests (to kill a sender mid-send).
"""
from __future__ import annotations

import base64
import json
import os
import select
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscriber:
    """One phone's subscription, made as a browser makes it: a P-256 key pair and a 16-byte secret."""

    id: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(serialization.Encoding.X962,
                                                                 serialization.PublicFormat.UncompressedPoint))

    def subscription(self) -> dict:
        """What `PushSubscription.toJSON()` gives in a browser."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)}}

    def private_jwk(self) -> dict:
        numbers = self.private_key.private_numbers()
        def coord(n: int) -> str:
            return b64url(n.to_bytes(32, "big"))
        return {"kty": "EC", "crv": "P-256", "d": coord(numbers.private_value),
                "x": coord(numbers.public_numbers.x), "y": coord(numbers.public_numbers.y)}


@dataclass
class Received:
    subscriber: str
    payload: str
    headers: dict  # lower-case names
    claims: dict
    at: float

    def json(self) -> dict:
        return json.loads(self.payload)


def decrypt(body: bytes, subscriber: Subscriber) -> bytes:
    return http_ece.decrypt(body, private_key=subscriber.private_key, auth_secret=subscriber.auth,
                            version="aes128gcm")


def check_vapid(authorization: str, audience: str, expected_key: str | None) -> dict:
    """The JWT's claims if the VAPID header is valid; ValueError saying what is wrong otherwise."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError("Authorization is not vapid t=..., k=...")
    parts = dict(item.strip().split("=", 1) for item in rest.split(",") if "=" in item)
    if "t" not in parts or "k" not in parts:
        raise ValueError("vapid header lacks t or k")
    if expected_key and parts["k"].rstrip("=") != expected_key.rstrip("="):
        raise ValueError("the key is not the one this subscription was made with")
    if not Vapid02.verify(f"vapid t={parts['t']},k={parts['k']}"):  # RFC 8292 allows spaces; py_vapid not
        raise ValueError("bad JWT signature")
    claims = json.loads(unb64url(parts["t"].split(".")[1]))
    now = time.time()
    if claims.get("aud") != audience:
        raise ValueError(f"aud {claims.get('aud')!r} is not {audience!r}")
    if not now < int(claims.get("exp", 0)) <= now + 24 * 3600:
        raise ValueError("exp is not within the next 24 hours")
    if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
        raise ValueError("sub is not a mailto: or https: contact")
    return claims


class PushService:
    def __init__(self, application_server_key: str | None = None):
        self.application_server_key = application_server_key
        self.subscribers: dict[str, Subscriber] = {}
        self.received: list[Received] = []
        self.refused: list[tuple[int, str]] = []
        self.abandoned = 0  # requests whose sender went away before the answer
        self.gone: set[str] = set()
        self.scripted: dict[str, list[tuple[int, dict, str]]] = {}  # subscriber -> answers to give first
        self.max_body: int | None = None  # a smaller limit than RFC 8030's 4096 bytes: larger bodies get 413
        self.hold = threading.Event()  # cleared: requests wait until it is set
        self.hold.set()
        self.holding = threading.Event()  # set while a request is being held
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def subscribe(self) -> Subscriber:
        sub_id = uuid.uuid4().hex
        subscriber = Subscriber(sub_id, f"{self.origin}/push/{sub_id}")
        self.subscribers[sub_id] = subscriber
        return subscriber

    def wait_for(self, count: int, timeout: float = 20) -> list[Received]:
        """Block until `count` messages have been accepted; return them all."""
        with self.arrived:
            if not self.arrived.wait_for(lambda: len(self.received) >= count, timeout):
                raise AssertionError(f"the push service got {len(self.received)} of {count} messages "
                                     f"(refused: {self.refused})")
            return list(self.received)

    def _handler(self):
        service = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):  # quiet
                pass

            def _answer(self, status: int, reason: str = "", headers: dict | None = None) -> None:
                body = reason.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if status == 201:
                    self.send_header("Location", f"{service.origin}/message/{uuid.uuid4().hex}")
                self.end_headers()
                self.wfile.write(body)
                if status >= 400:
                    with service.lock:
                        service.refused.append((status, reason))

            def _sender_left(self) -> bool:
                readable, _, _ = select.select([self.connection], [], [], 0)
                if not readable:
                    return False
                try:
                    return self.connection.recv(1, socket.MSG_PEEK) == b""
                except OSError:
                    return True

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                sub_id = self.path.rsplit("/", 1)[-1]
                subscriber = service.subscribers.get(sub_id)
                if not self.path.startswith("/push/") or subscriber is None:
                    return self._answer(404, "no such subscription")
                if sub_id in service.gone:
                    return self._answer(410, "subscription expired")
                with service.lock:
                    scripted = service.scripted.get(sub_id)
                    answer = scripted.pop(0) if scripted else None
                if answer is not None:
                    status, headers, text = answer
                    return self._answer(status, text, headers)
                if service.max_body is not None and length > service.max_body:
                    return self._answer(413, "payload too large")
                try:
                    claims = check_vapid(self.headers.get("Authorization", ""), service.origin,
                                         service.application_server_key)
                except (ValueError, KeyError, AssertionError) as problem:
                    return self._answer(403, f"VAPID: {problem}")
                if not (self.headers.get("TTL") or "").isdigit():
                    return self._answer(400, "TTL header missing")
                if self.headers.get("Content-Encoding") != "aes128gcm":
                    return self._answer(415, "Content-Encoding must be aes128gcm")
                try:
                    payload = decrypt(body, subscriber).decode()
                except Exception as problem:  # any decryption failure is the sender's fault
                    return self._answer(400, f"cannot decrypt: {problem}")
                if not service.hold.is_set():
                    service.holding.set()
                    service.hold.wait(60)
                    service.holding.clear()
                    if self._sender_left():
                        with service.lock:
                            service.abandoned += 1
                        self.close_connection = True
                        return None
                self._answer(201)
                with service.arrived:
                    service.received.append(Received(sub_id, payload, {k.lower(): v for k, v in self.headers.items()},
                                                     claims, time.time()))
                    service.arrived.notify_all()
                return None

        return Handler
