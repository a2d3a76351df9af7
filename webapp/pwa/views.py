"""The installable app: web app manifest, service worker (served from the root so its scope is the
whole app), the offline page, and the session details the offline outbox needs."""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from ..auth.security import any_user_required, public
from ..common.schemas import declare
from .schemas import TAGS, SessionOut

bp = Blueprint("pwa", __name__)
THEME = "#0b4f6c"
# The app shell: precached when the service worker installs.
SHELL_STATIC = ("css/app.css", "js/app.js", "js/outbox.js", "js/report.js", "vendor/htmx.min.js",
                "icons/icon-192.png", "icons/icon-512.png", "icons/maskable-512.png")


def _root() -> Path:
    return Path(current_app.root_path).parent


@lru_cache(maxsize=8)
def _version(stamp: tuple, salt: str) -> str:
    """A short hash of the worker and the shell files: any change makes a new worker (and caches)."""
    digest = hashlib.sha256(salt.encode())
    for path, _mtime in stamp:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


def shell_version() -> str:
    files = [_root() / "service_worker" / "sw.js"] + [Path(current_app.static_folder) / f for f in SHELL_STATIC]
    # SHELL_VERSION_SALT forces a new version without a file change (a release that changes templates).
    return _version(tuple((str(f), f.stat().st_mtime_ns) for f in files), current_app.config["SHELL_VERSION_SALT"])


@bp.get("/manifest.webmanifest")
@public
def manifest():
    icons = [
        {"src": url_for("static", filename="icons/icon-192.png"), "sizes": "192x192", "type": "image/png"},
        {"src": url_for("static", filename="icons/icon-512.png"), "sizes": "512x512", "type": "image/png"},
        {"src": url_for("static", filename="icons/maskable-512.png"), "sizes": "512x512", "type": "image/png",
         "purpose": "maskable"},
    ]
    body = {"name": "Field Incidents", "short_name": "Incidents", "id": "/", "start_url": "/report?source=pwa",
            "scope": "/", "display": "standalone", "orientation": "any", "background_color": "#f4f6f8",
            "theme_color": THEME, "description": "Report and work incidents from the field, even with no signal.",
            "icons": icons}
    return Response(json.dumps(body), mimetype="application/manifest+json",
                    headers={"Cache-Control": "no-cache"})


@bp.get("/sw.js")
@public
def service_worker():
    """The worker with its version and precache list written in; never cached by HTTP."""
    source = (_root() / "service_worker" / "sw.js").read_text()
    config = {
        "VERSION": shell_version(),
        "PRECACHE": [url_for("static", filename=f) for f in SHELL_STATIC] + [url_for("pwa.offline")],
        "SHELL_PAGES": [url_for("reporting.new"), url_for("reporting.mine")],
    }
    preamble = "".join(f"const {k} = {json.dumps(v)};\n" for k, v in config.items())
    return Response(preamble + source, mimetype="text/javascript",
                    headers={"Cache-Control": "no-cache", "Service-Worker-Allowed": "/"})


@bp.get("/offline")
@public
def offline():
    """Shown when a page is not cached and there is no network. It holds nobody's data."""
    return render_template("pwa/offline.html")


@bp.get("/api/v1/session")
@any_user_required
@declare(answers={200: SessionOut}, tags=TAGS)
def session_info():
    """Who is logged in and a CSRF token: what the outbox needs before it sends."""
    return jsonify(user=current_user.to_json(), csrf_token=generate_csrf())
