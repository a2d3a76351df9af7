"""The VAPID key pair that signs every push (RFC 8292): from configuration, or made on first run.

The private key is kept in `instance/vapid_private.pem` (mode 0600) unless `VAPID_PRIVATE_KEY` gives
one (a PEM file path, or the base64url raw/DER key). Browsers bind a subscription to the public key,
so every app process and worker must use the same pair: the first process to start creates the file
atomically and the others read it.
"""
from __future__ import annotations

import base64
import os
import tempfile
from email.utils import parseaddr
from pathlib import Path

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
