"""Checking a browser's PushSubscription JSON before we store it. Pure."""
from __future__ import annotations

import base64
import binascii
import ipaddress
from urllib.parse import urlsplit

from ..rules.errors import Invalid

MAX_ENDPOINT = 2000


def _b64url(value: object) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def endpoint_problem(endpoint: object, allow_loopback_http: bool) -> str | None:
    if not isinstance(endpoint, str) or not endpoint:
        return "is required: the push service's URL"
    if len(endpoint) > MAX_ENDPOINT:
        return f"is longer than {MAX_ENDPOINT} characters"
    try:
        parts = urlsplit(endpoint)
        host = parts.hostname or ""
    except ValueError:
        return "is not a URL"
    if not host or parts.username or parts.password:
        return "is not a push service URL"
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and allow_loopback_http and is_loopback(host):
        return None
    if parts.scheme == "http" and is_loopback(host):
        return "must use https (http to a local push service is off: PUSH_ALLOW_LOOPBACK_HTTP=0)"
    return "must use https"


def validate_subscription(body: object, allow_loopback_http: bool) -> dict:
    """{endpoint, p256dh, auth} from `PushSubscription.toJSON()`, or Invalid naming each bad key."""
    if not isinstance(body, dict):
        raise Invalid({"": "send the subscription as a JSON object"})
    errors = {}
    problem = endpoint_problem(body.get("endpoint"), allow_loopback_http)
    if problem:
        errors["endpoint"] = problem
    keys = body.get("keys")
    if not isinstance(keys, dict):
        errors["keys"] = "must be an object with p256dh and auth"
        keys = {}
    p256dh = _b64url(keys.get("p256dh"))
    if p256dh is None or len(p256dh) != 65 or p256dh[0] != 4:
        errors["keys.p256dh"] = "must be the base64url P-256 public key (65 bytes, uncompressed)"
    auth = _b64url(keys.get("auth"))
    if auth is None or len(auth) != 16:
        errors["keys.auth"] = "must be the base64url 16-byte auth secret"
    expiration = body.get("expirationTime")
    if expiration is not None and (isinstance(expiration, bool) or not isinstance(expiration, (int, float))):
        errors["expirationTime"] = "must be null or a number"
    if errors:
        raise Invalid(errors)
    return {"endpoint": body["endpoint"], "p256dh": keys["p256dh"], "auth": keys["auth"]}


def device_label(user_agent: str) -> str:
    """A short name for the device list: "Chrome on Android"."""
    ua = user_agent or ""
    browser = next((name for token, name in (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("SamsungBrowser", "Samsung Internet"),
                                             ("Chrome/", "Chrome"), ("Safari/", "Safari")) if token in ua), "Browser")
    system = next((name for token, name in (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
                                            ("Windows", "Windows"), ("Mac OS", "Mac"), ("Linux", "Linux")) if token in ua), "")
    return f"{browser} on {system}" if system else browser
