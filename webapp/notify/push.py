"""Sending one message to one phone: encrypted (aes128gcm, pywebpush), signed (VAPID, RFC 8292), with
TTL, Urgency, Topic and `Content-Type: application/octet-stream` (some push services, such as the
web-push-libs test service, refuse a body without it), and the push service's answer handled as
RFC 8030 says:

- 201 (any 2xx): sent;
- 404, 410: the subscription is gone: removed, and the email fallback may run at once;
- 413: the payload is too large for this service: sent again at once without the optional words;
- 408, 429, 5xx: retried, no sooner than the service's Retry-After;
- any other 4xx: this subscription is failing: marked with the service's answer, the message fails,
  and the email fallback runs at its usual time; when the answer says the subscription itself is
  malformed or unknown (Apple's BadDeviceToken, an invalid token or registration), it is turned off
  with that answer, as nothing sent to it can ever arrive.

A subscription the encryption refuses (a p256dh that is not a point on the curve, a bad auth secret)
or whose push service stops resolving to a public address is turned off with the reason, which its
owner sees on their Alerts page. Connections go only to public addresses (checked when connecting, on
the address actually used, so a DNS change cannot redirect them), unless ALLOW_LOOPBACK_TARGETS lets
loopback through for local test push services.
"""
from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import partial
from urllib.parse import urlsplit

import requests
from flask import current_app
from pywebpush import WebPusher
from requests_hardened import Config, HTTPSession
from requests_hardened.ip_filter import InvalidIPAddress

from ..common.types import digits
from ..extensions import db
from . import render
from .compose import compose
from .errors import PermanentFailure, Result, SendFailed, Transmit
from .models import Message, PushSubscription
from .vapid import subject, vapid

_local = threading.local()
JWT_LIFETIME = 12 * 3600
# What push services answer (with a 400 or 403) about a subscription that can never work: the phone must
# subscribe again. Lower case; matched in the answer's body.
# (Not the answers about a VAPID key that does not match: that can be our own key, one misconfigured
# worker, and must not turn every phone off.)
MALFORMED_ANSWERS = ("invalid subscription", "invalid token", "invalidtoken", "baddevicetoken",
                     "invalidregistration", "invalid url endpoint", "malformed subscription",
                     "subscription is malformed")


def _session(allow_loopback: bool) -> requests.Session:
    """One HTTP session per thread (connections to a push service are reused between messages), that
    connects only to public addresses and never follows a redirect."""
    sessions = _local.__dict__.setdefault("sessions", {})
    if allow_loopback not in sessions:
        session = HTTPSession(Config(ip_filter_enable=True, ip_filter_allow_loopback_ips=allow_loopback,
                                     never_redirect=True, default_timeout=(5, 10)))
        session.trust_env = False  # no proxy from the environment: the address check is on the push service
        sessions[allow_loopback] = session
    return sessions[allow_loopback]


def _authorization(endpoint: str) -> str:
    """The VAPID header for this push service; a signed token is reused until an hour before it
    expires (signing each of a thousand pushes would cost more than sending them)."""
    audience = "{0.scheme}://{0.netloc}".format(urlsplit(endpoint))
    cache = _local.__dict__.setdefault("jwt", {})
    key = (audience, subject(), id(vapid()))
    header, expires = cache.get(key, (None, 0))
    if header is None or expires - time.time() < 3600:
        expires = int(time.time()) + JWT_LIFETIME
        header = vapid().sign({"sub": subject(), "aud": audience, "exp": expires})["Authorization"]
        cache[key] = (header, expires)
    return header


def retry_after(headers, now: datetime) -> timedelta | None:
    """A Retry-After header in seconds or as an HTTP date (RFC 9110), or None."""
    value = (headers.get("Retry-After") or "").strip()
    if not value:
        return None
    if digits(value):
        return timedelta(seconds=min(int(value), 24 * 3600))
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(timedelta(0), min(moment - now, timedelta(hours=24)))


def _update_phone(subscription_id: int, keys: str, **values) -> None:
    """Only the subscription as it was sent to: a phone that subscribed again since has new keys."""
    db.session.execute(db.update(PushSubscription).where(PushSubscription.id == subscription_id,
                                                         PushSubscription.p256dh == keys).values(**values)
                       .execution_options(synchronize_session=False))


def disable(subscription_id: int, keys: str, reason: str, now: datetime) -> None:
    """Nothing more is sent to this phone until it subscribes again; its owner sees why."""
    _update_phone(subscription_id, keys, disabled_at=now, disabled_reason=reason[:500], last_error=reason[:500],
                  last_error_at=now)


def _failing(subscription_id: int, keys: str, said: str):
    return lambda now: _update_phone(subscription_id, keys, last_error=said[:500], last_error_at=now)


class Malformed(Exception):
    """The encryption refused the phone's keys."""


def _encrypt(subscription: PushSubscription, text: str) -> bytes:
    try:
        return WebPusher(subscription.info()).encode(text.encode(), "aes128gcm")["body"]
    except Exception as exc:  # noqa: BLE001  any refusal of the keys: this phone's subscription is broken
        raise Malformed(f"{type(exc).__name__}: {exc}") from None


def _payload(payload: dict) -> str:
    try:
        return render.encode(payload)
    except ValueError:
        raise PermanentFailure("push: even the shortest form of this alert is too large to push") from None


def prepare(message: Message, now: datetime) -> Transmit:
    """Everything but the network: the subscription, the words, the encryption, the headers."""
    subscription = db.session.get(PushSubscription, message.subscription_id) if message.subscription_id else None
    if subscription is None:
        raise PermanentFailure("push: the phone's subscription was removed")
    if subscription.disabled_at is not None:
        raise PermanentFailure(f"push: the phone's alerts are off: {subscription.disabled_reason}")
    rendered = compose(message)
    config = current_app.config
    headers = {"TTL": str(config["PUSH_TTL_SECONDS"]), "Content-Encoding": "aes128gcm",
               "Content-Type": "application/octet-stream", **render.push_headers(rendered.urgent, rendered.topic),
               "Authorization": _authorization(subscription.endpoint)}
    slim = _payload(render.minimal_payload(rendered.push))
    try:
        full = render.encode(rendered.push)
    except ValueError:  # over what a push may carry: only the slim one goes
        full = slim
    try:
        body = _encrypt(subscription, full)
    except Malformed as refusal:  # turned off when the outcome is recorded: preparing only reads
        reason = f"the phone's subscription keys are malformed ({refusal}); enable alerts on that phone again"
        return partial(Result, PermanentFailure(f"push: {reason}"),
                       partial(disable, subscription.id, subscription.p256dh, reason))  # values taken now
    smaller = partial(_encrypt_again, subscription.info(), slim) if full != slim else None
    return partial(_transmit, subscription.id, subscription.p256dh, subscription.endpoint, body, smaller, headers,
                   message.recipient, config["ALLOW_LOOPBACK_TARGETS"], config["PUSH_TIMEOUT_SECONDS"], now)


def _encrypt_again(info: dict, text: str) -> bytes:
    """The slim payload, encrypted only when a push service asks for less (the keys already worked)."""
    return WebPusher(info).encode(text.encode(), "aes128gcm")["body"]


def _post(session: requests.Session, endpoint: str, body: bytes, headers: dict, timeout: float):
    """The answer's status, and at most the first 512 bytes of what it says (read within `timeout`: a
    push service that trickles its answer cannot hold the worker)."""
    with session.post(endpoint, data=body, headers=headers, timeout=timeout, allow_redirects=False,
                      stream=True) as response:
        said, deadline = b"", time.monotonic() + timeout
        for chunk in response.iter_content(64):  # read to the end (usually nothing), so the connection is reused
            said += chunk
            if len(said) >= 512 or time.monotonic() > deadline:
                break
        return response.status_code, response.headers, said.decode("utf-8", "replace")


def _transmit(subscription_id: int, keys: str, endpoint: str, body: bytes, smaller, headers: dict, recipient: str,
              allow_loopback: bool, timeout: float, now: datetime) -> Result:
    """Post to the push service and say what its answer means (RFC 8030). Network only."""
    session = _session(allow_loopback)
    try:
        status, answer_headers, text = _post(session, endpoint, body, headers, timeout)
        if status == 413 and smaller:  # too large for this service: without the optional words
            status, answer_headers, text = _post(session, endpoint, smaller(), headers, timeout)
    except InvalidIPAddress as exc:
        reason = f"its push service is no longer at a public address ({exc}); enable alerts on that phone again"
        return Result(PermanentFailure(f"push: {reason}"), partial(disable, subscription_id, keys, reason))
    except requests.RequestException as exc:
        return Result(SendFailed(f"push: {type(exc).__name__}: {exc}"[:500]))
    if 200 <= status < 300:
        return Result(phone_worked=subscription_id)
    answer = " ".join(text[:200].split())
    said = f"the push service answered {status}{': ' + answer if answer else ''}"
    if status in (404, 410):  # the browser unsubscribed or the subscription expired
        def gone(now: datetime) -> None:
            db.session.execute(db.delete(PushSubscription).where(PushSubscription.id == subscription_id)
                               .execution_options(synchronize_session=False))
        return Result(PermanentFailure(f"push: subscription gone ({status}); removed from {recipient}'s devices"),
                      gone)
    if status in (408, 429) or status >= 500:
        return Result(SendFailed(f"push: {said}", retry_after=retry_after(answer_headers, now)),
                      _failing(subscription_id, keys, f"push: {said}"))
    if status in (400, 403) and any(words in answer.lower() for words in MALFORMED_ANSWERS):
        reason = f"the push service refused the subscription: {said}; enable alerts on that phone again"
        return Result(PermanentFailure(f"push: {said}"), partial(disable, subscription_id, keys, reason))
    return Result(PermanentFailure(f"push: {said}"), _failing(subscription_id, keys, f"push: {said}"))
