"""Sending one page to one phone with pywebpush: encrypted (aes128gcm), signed (VAPID), with TTL,
Urgency and Topic. A 404/410 from the push service means the subscription is gone: it is removed."""
from __future__ import annotations

import threading

import requests
from flask import current_app
from pywebpush import WebPushException, webpush

from ..database import utcnow
from ..escalation.errors import PermanentFailure, SendFailed
from ..extensions import db
from ..incidents.models import Incident
from ..rules.classification import SEVERITY_NAMES
from . import payload, tokens
from .keys import subject, vapid
from .models import PushSubscription

_local = threading.local()


def _session() -> requests.Session:
    """One HTTP session per thread: connections to the push service are reused between pages."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def build(notification) -> tuple[str, dict[str, str]]:
    """The payload text and headers for a page (or a test alert)."""
    receipt = tokens.issue("receipt", notification.id)
    if notification.incident_id is None:
        body = payload.test_payload(page_id=notification.id, receipt_token=receipt, url="/account/alerts")
        return payload.encode(body), payload.headers(False, "test-alert")
    incident = db.session.get(Incident, notification.incident_id)
    if notification.about:
        body = payload.reminder_payload(page_id=notification.id, reference=incident.reference,
                                        severity=incident.severity, about=notification.about,
                                        url=f"/incidents/{incident.reference}", receipt_token=receipt)
        # A deadline wakes the phone whatever the incident's severity.
        return payload.encode(body), payload.headers(True, f"deadline-{incident.reference}")
    body = payload.incident_payload(
        page_id=notification.id, reference=incident.reference, severity=incident.severity,
        severity_name=SEVERITY_NAMES[incident.severity], site=incident.site.name,
        description=incident.description if incident.can_view(notification.user) else None,
        url=f"/incidents/{incident.reference}", ack_token=tokens.issue("ack", notification.id),
        receipt_token=receipt, repeat=notification.step is None)
    urgent = payload.is_urgent(incident.severity)
    return payload.encode(body), payload.headers(urgent, f"incident-{incident.reference}")


def send_push(notification) -> None:
    subscription = db.session.get(PushSubscription, notification.subscription_id) \
        if notification.subscription_id else None
    if subscription is None:
        raise PermanentFailure("push: the phone's subscription was removed")
    data, headers = build(notification)
    config = current_app.config
    try:
        webpush(subscription.info(), data=data, vapid_private_key=vapid(), headers=headers,
                vapid_claims={"sub": subject()},  # a new dict each time: pywebpush adds aud and exp to it
                ttl=config["PUSH_TTL_SECONDS"], timeout=config["PUSH_TIMEOUT_SECONDS"],
                requests_session=_session())
    except WebPushException as exc:
        status = exc.response.status_code if exc.response is not None else None
        text = (exc.response.text[:200] if exc.response is not None else str(exc)).strip()
        message = f"push: the push service answered {status}: {text}"
        subscription.last_error, subscription.last_error_at = message[:500], utcnow()
        if status in (404, 410):
            db.session.delete(subscription)  # the browser unsubscribed or the subscription expired
            raise PermanentFailure(f"push: subscription gone ({status}); removed from {notification.user.name}'s "
                                   "devices") from None
        if status is not None and 400 <= status < 500 and status not in (408, 429):
            raise PermanentFailure(message) from None
        raise SendFailed(message) from None
    except requests.RequestException as exc:
        raise SendFailed(f"push: {type(exc).__name__}: {exc}"[:500]) from None
    subscription.last_success_at, subscription.last_error = utcnow(), None
