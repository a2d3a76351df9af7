"""Signed tokens carried in a push payload, so the phone can act without opening the app.

An acknowledgement token names one page (which names the person and the incident), is signed with the
app's SECRET_KEY, expires after ACK_TOKEN_MINUTES and works once (the page records its use). A receipt
token lets the service worker say "delivered" or "shown" for that page; it does nothing else.
"""
from __future__ import annotations

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

PURPOSES = ("ack", "receipt")
RECEIPT_MAX_AGE = 7 * 24 * 3600


class TokenRefused(Exception):
    """Not a token we issued for this purpose, or too old; the message says which, for the user."""


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    if purpose not in PURPOSES:
        raise ValueError(f"unknown token purpose {purpose!r}")
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"push-{purpose}")


def issue(purpose: str, page_id: int) -> str:
    return _serializer(purpose).dumps(page_id)


def read(purpose: str, token: object) -> int:
    """The page id in a valid token; TokenRefused otherwise."""
    if not isinstance(token, str) or not token or len(token) > 500:
        raise TokenRefused("the alert's token is missing")
    max_age = current_app.config["ACK_TOKEN_MINUTES"] * 60 if purpose == "ack" else RECEIPT_MAX_AGE
    try:
        page_id = _serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise TokenRefused("this alert is too old to acknowledge from the notification: open the incident") from None
    except BadSignature:
        raise TokenRefused("this alert's token is not valid") from None
    if not isinstance(page_id, int):
        raise TokenRefused("this alert's token is not valid")
    return page_id
