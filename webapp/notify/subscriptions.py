"""Checking a browser's PushSubscription JSON before we store it.

The keys must be usable: `p256dh` a real P-256 public key (a point on the curve, not just 65 bytes
starting 0x04) and `auth` 16 bytes. The endpoint must be `https` on a host that resolves only to
public addresses, since the worker will post to it: no private, loopback, link-local (the cloud
metadata address among them), multicast, reserved or translated ranges. Loopback (and plain `http`
to it) only when ALLOW_LOOPBACK_TARGETS is on, for local test push services. The send is checked
again when connecting (push.py), since DNS can change.
"""
from __future__ import annotations

import base64
import binascii
import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from requests_hardened.ip_filter import EXTRA_BLOCKED_NET_RANGES

from ..common.errors import Invalid

MAX_ENDPOINT = 2000
Resolver = Callable[[str, int], list[str]]  # host, port -> IP addresses

# Not public, though Python's ipaddress may call some of them global (shared address space, 6to4 relays,
# NAT64 and 6to4 translations, ORCHIDv2...): the same list the send-time filter (requests-hardened) uses,
# so what is accepted here is what the worker may connect to.
EXTRA_BLOCKED = EXTRA_BLOCKED_NET_RANGES


def resolve(host: str, port: int) -> list[str]:
    """Every address the host name resolves to (an IP literal resolves to itself)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in infos))


def address_kind(text: str) -> str:
    """'public', 'loopback', or the reason an address is not one a push may go to."""
    ip = ipaddress.ip_address(text.split("%")[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if ip.is_loopback:
        return "loopback"
    if ip.is_unspecified:
        return "unspecified (this machine)"
    if ip.is_link_local:
        return "link-local (cloud metadata lives there)"
    if ip.is_multicast:
        return "multicast"
    if ip.is_private or any(ip in net for net in EXTRA_BLOCKED):
        return "private"
    if not ip.is_global or ip.is_reserved:
        return "reserved"
    return "public"


def _b64url(value: object) -> bytes | None:
    if not isinstance(value, str) or not value or len(value) > 200:
        return None
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def key_problem(p256dh: object) -> str | None:
    raw = _b64url(p256dh)
    if raw is None or len(raw) != 65 or raw[0] != 4:
        return "must be the base64url P-256 public key (65 bytes, uncompressed)"
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
    except ValueError:
        return "is not a valid P-256 public key (not a point on the curve)"
    return None


def endpoint_shape_problem(endpoint: object) -> str | None:
    """What is wrong with the URL itself, before its host is looked up."""
    if not isinstance(endpoint, str) or not endpoint:
        return "is required: the push service's URL"
    if len(endpoint) > MAX_ENDPOINT:
        return f"is longer than {MAX_ENDPOINT} characters"
    try:
        parts = urlsplit(endpoint)
        _host, _port = parts.hostname or "", parts.port
    except ValueError:
        return "is not a URL"
    if not parts.hostname or parts.username or parts.password or parts.scheme not in ("https", "http"):
        return "is not a push service URL (https://...)"
    return None


def endpoint_problem(endpoint: str, allow_loopback: bool, resolver: Resolver | None = None) -> str | None:
    """What is wrong with where the endpoint leads (its shape already checked)."""
    parts = urlsplit(endpoint)
    host, port = parts.hostname, parts.port
    try:
        addresses = (resolver or resolve)(host, port or (443 if parts.scheme == "https" else 80))
    except (OSError, UnicodeError, ValueError):
        return f"its host {host} does not resolve"
    kinds = {address_kind(a) for a in addresses} or {"nothing"}
    if kinds == {"public"}:
        return None if parts.scheme == "https" else "must use https"
    if kinds == {"loopback"}:
        if allow_loopback:
            return None
        return "points at this machine (loopback), which is only allowed for local test push services " \
               "(ALLOW_LOOPBACK_TARGETS=1)"
    refused = sorted(k for k in kinds if k != "public")
    return f"must be a public push service: {host} resolves to a {' and '.join(refused)} address"


def validate_subscription(body: object, allow_loopback: bool, resolver: Resolver | None = None) -> dict:
    """{endpoint, p256dh, auth} from `PushSubscription.toJSON()`, or Invalid naming each bad key."""
    if not isinstance(body, dict):
        raise Invalid({"": "send the subscription as a JSON object"})
    errors = {}
    keys = body.get("keys")
    if not isinstance(keys, dict):
        errors["keys"] = "must be an object with p256dh and auth"
        keys = {}
    problem = endpoint_shape_problem(body.get("endpoint"))
    if problem:
        errors["endpoint"] = problem
    problem = key_problem(keys.get("p256dh")) if keys else None
    if problem:
        errors["keys.p256dh"] = problem
    auth = _b64url(keys.get("auth"))
    if keys and (auth is None or len(auth) != 16):
        errors["keys.auth"] = "must be the base64url 16-byte auth secret"
    expiration = body.get("expirationTime")
    if expiration is not None and (isinstance(expiration, bool) or not isinstance(expiration, (int, float))):
        errors["expirationTime"] = "must be null or a number"
    if not errors:  # resolve the host only for an otherwise good subscription
        problem = endpoint_problem(body.get("endpoint"), allow_loopback, resolver)
        if problem:
            errors["endpoint"] = problem
    if errors:
        raise Invalid(errors)
    return {"endpoint": body["endpoint"], "p256dh": keys["p256dh"], "auth": keys["auth"]}


def device_label(user_agent: str) -> str:
    """A short name for the device list: "Chrome on Android"."""
    ua = user_agent or ""
    browsers = (("Edg/", "Edge"), ("Firefox/", "Firefox"), ("SamsungBrowser", "Samsung Internet"),
                ("Chrome/", "Chrome"), ("Safari/", "Safari"))
    browser = next((name for token, name in browsers if token in ua), "Browser")
    systems = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Windows", "Windows"),
               ("Mac OS", "Mac"), ("Linux", "Linux"))
    system = next((name for token, name in systems if token in ua), "")
    return f"{browser} on {system}" if system else browser
