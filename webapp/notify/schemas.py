"""What the alerts API takes and answers: a browser's push subscription, what a phone's service worker
reports back (service_worker/sw.js), and the header's alert badge.

The models say what a type can; `subscriptions.validate_subscription` still checks that the keys are a
real P-256 key and auth secret and that the endpoint leads to a public push service.
"""
from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from ..common.schemas import Answer, Body
from .models import KINDS, STATES
from .service import RECEIPT_STATES
from .subscriptions import MAX_ENDPOINT

TAGS = ("Alerts and push",)
MAX_TOKEN = 500  # tokens.read's limit


class SubscriptionKeys(Body):
    """The subscription's encryption keys, base64url."""
    p256dh: str = Field(min_length=1, max_length=200, description="the browser's P-256 public key")
    auth: str = Field(min_length=1, max_length=200, description="the 16-byte auth secret")


class SubscriptionIn(Body):
    """A browser's PushSubscription, as its toJSON() gives it."""
    endpoint: str = Field(min_length=1, max_length=MAX_ENDPOINT, description="the push service's https URL")
    expirationTime: float | None = Field(None, description="when it expires (ms since 1970), or null")
    keys: SubscriptionKeys


class ReceiptIn(Body):
    """The service worker got a page (`delivered`) or showed it (`shown`)."""
    receipt: str = Field(min_length=1, max_length=MAX_TOKEN, description="the receipt token the push carried")
    state: Literal[RECEIPT_STATES]


class AckIn(Body):
    """"Acknowledge" tapped on a page's notification."""
    token: str = Field(min_length=1, max_length=MAX_TOKEN, description="the page's single-use acknowledgement token")


class SubscriptionOut(Answer):
    """One of my phones (or browsers) that receive alerts."""
    id: int
    label: str = Field(description='the browser and system, e.g. "Chrome on Android"')
    created_at: datetime
    last_success_at: datetime | None
    last_error: str | None
    disabled: bool = Field(description="turned off after the push service refused it: subscribe again")
    disabled_reason: str | None


class SubscriptionList(Answer):
    """My phones, oldest first."""
    subscriptions: list[SubscriptionOut]


class ReceiptOut(Answer):
    """The page the receipt was for, and its state now."""
    page: int
    state: Literal[tuple(STATES)]


class AckOut(Answer):
    """The incident the page was about, now acknowledged."""
    reference: str
    acknowledged_at: datetime


class LatestAlert(Answer):
    """My newest in-app alert."""
    id: int
    kind: Literal[tuple(KINDS)]
    title: str
    url: str | None
    waiting: bool = Field(description="whether it still wants an answer")
    at: datetime


class AlertsSummary(Answer):
    """What the header's badge shows."""
    waiting: int = Field(description="how many of my alerts still want an answer")
    latest: LatestAlert | None
