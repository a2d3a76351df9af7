"""The VAPID key pair that signs every push (RFC 8292), and the contact it names (`sub`).

The private key is kept in `instance/vapid_private.pem` (mode 0600) unless `VAPID_PRIVATE_KEY` gives
one (a PEM file path, or the base64url raw/DER key). Browsers bind a subscription to the public key,
so every app process and worker must use the same pair: the first process to start creates the file
atomically and the others read it.
"""
from __future__ import annotations

import base64
import ipaddress
import os
import tempfile
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from flask import Flask, current_app
from py_vapid import Vapid02


def _from_config(value: str) -> Vapid02:
    if os.path.isfile(value):
        return Vapid02.from_file(value)
    return Vapid02.from_string(value)


def _from_instance(instance: Path) -> Vapid02:
    path = instance / "vapid_private.pem"
    if not path.exists():
        fresh = Vapid02()
        fresh.generate_keys()
        fd, tmp = tempfile.mkstemp(dir=instance, prefix=".vapid-")
        try:
            os.write(fd, fresh.private_pem())
            os.close(fd)
            os.chmod(tmp, 0o600)
            try:
                os.link(tmp, path)  # atomic, and refuses if another process made the key first
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    return Vapid02.from_file(str(path))


def vapid(app: Flask | None = None) -> Vapid02:
    """The app's VAPID key (loaded once per process)."""
    app = app or current_app
    key = app.extensions.get("vapid")
    if key is None:
        configured = app.config.get("VAPID_PRIVATE_KEY")
        key = _from_config(configured) if configured else _from_instance(Path(app.instance_path))
        app.extensions["vapid"] = key
    return key


def application_server_key(app: Flask | None = None) -> str:
    """The public key as browsers want it for `pushManager.subscribe` (base64url, uncompressed point)."""
    raw = vapid(app).public_key.public_bytes(serialization.Encoding.X962,
                                             serialization.PublicFormat.UncompressedPoint)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def subject(app: Flask | None = None) -> str:
    """The `sub` claim: who the push service can contact about our traffic (mailto: or https:)."""
    config = (app or current_app).config
    if config.get("VAPID_SUBJECT"):
        return config["VAPID_SUBJECT"]
    address = parseaddr(config["MAIL_FROM"])[1] or "alerts@localhost"
    return f"mailto:{address}"


LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".localdomain")


def subject_problem(value: str, development: bool) -> str | None:
    """Why push services would refuse this contact, or None. Apple's answers 403 BadJwtToken to a
    `mailto:` at localhost; every service wants a `mailto:` address or an `https:` URL."""
    if value.startswith("mailto:"):
        host = parseaddr(value[len("mailto:"):])[1].rpartition("@")[2].lower()
        if not host or "@" not in value:
            return "a mailto: contact needs an email address (mailto:alerts@example.org)"
    elif value.startswith("https://"):
        host = (urlsplit(value).hostname or "").lower()
        if not host:
            return "an https: contact needs a host name (https://example.org/contact)"
    else:
        return "it must start with mailto: or https://"
    if not development and (host.endswith(LOCAL_NAMES) or host in LOCAL_NAMES or _is_ip(host)):
        return f"{host} is not a public name that a push service's operator could write to"
    return None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


class VapidSubjectInvalid(RuntimeError):
    """The app refuses to start with a push contact that push services would refuse."""


def check_subject(app: Flask) -> None:
    """At start-up: a clear error naming the setting, instead of every push refused in production."""
    value = subject(app)
    problem = subject_problem(value, app.config.get("DEVELOPMENT", False))
    if problem:
        origin = "VAPID_SUBJECT" if app.config.get("VAPID_SUBJECT") else \
            "VAPID_SUBJECT (unset, so taken from MAIL_FROM)"
        raise VapidSubjectInvalid(f"{origin} is {value!r}: {problem}. Set VAPID_SUBJECT to a real contact, "
                                  "e.g. mailto:alerts@yourcompany.example or https://yourcompany.example/contact "
                                  "(DEVELOPMENT=1 allows localhost on a developer's machine).")
