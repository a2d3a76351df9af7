"""Security by default: who may call what, who is logged in, and the response headers."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, g, jsonify, redirect, request, url_for
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from ..common.http import is_htmx, wants_json
from ..common.types import digits
from ..database import utcnow
from ..extensions import db, login_manager
from .models import ROLES, STAFF_ROLES, ApiToken, User
from .sessions import current_session

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; object-src 'none'; "
       "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")



def role_required(*roles: str) -> Callable:
    """Let only logged-in users with one of `roles` through; others get 401/redirect or 403."""
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        guarded.access = roles  # read by the authorisation tests
        return guarded
    return decorator


any_user_required = role_required(*ROLES)
staff_required = role_required(*STAFF_ROLES)
supervisor_required = role_required("supervisor", "admin")
admin_required = role_required("admin")


def not_from_other_sites(view: Callable) -> Callable:
    """For a download that goes on an incident's timeline in the reader's name: refused (403) when a page
    of another site started it (the browser says `Sec-Fetch-Site: cross-site`), so no page elsewhere can
    make a logged-in browser fetch it and leave entries in someone's name. A link in the app, a bookmark
    or a typed address, and API clients (which send no such header), are let through."""
    @wraps(view)
    def guarded(*args, **kwargs):
        if request.headers.get("Sec-Fetch-Site") == "cross-site":
            abort(403, description="Open this from the app: downloads started by other sites are refused.")
        return view(*args, **kwargs)
    return guarded


def per_user() -> str:
    """A rate limit's key: the logged-in user (a site's shared address must not lock out its colleagues)."""
    return f"user:{current_user.id}" if current_user.is_authenticated else f"address:{request.remote_addr}"


def public(view: Callable) -> Callable:
    """Mark a view as open to anonymous users, on purpose."""
    view.access = "public"
    return view


def safe_next(target: str | None) -> str | None:
    """Only same-site paths are followed after login: no scheme or host, and no backslash or control
    character (browsers read "/\\evil.example" and "/<tab>/evil.example" as "//evil.example")."""
    if not target or "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@login_manager.user_loader
def _load_user(user_id: str) -> User | None:
    """The signed-in user, only while the session is live on the server (sessions.py) and the user active:
    a deactivated user's open sessions stop working at once, not when they expire."""
    user = db.session.get(User, int(user_id)) if digits(user_id) else None
    if user is None or not user.active or current_session(user.id, utcnow()) is None:
        return None
    return user


def _bearer_token() -> ApiToken | None:
    """The valid API token the request's `Authorization: Bearer` header carries, looked up once a request
    (common/http.py exempts a request from CSRF only when there is one, never for a junk header)."""
    if "bearer_token" not in g:
        header = request.headers.get("Authorization", "")
        g.bearer_token = (ApiToken.authenticate(header[len("Bearer "):].strip())
                          if header.startswith("Bearer ") else None)
    return g.bearer_token


def _look_up_bearer_token() -> None:
    _bearer_token()


@login_manager.request_loader
def _load_user_from_token(_req) -> User | None:
    """API clients send `Authorization: Bearer <token>`; the token acts as its owner."""
    token = _bearer_token()
    if token is None:
        return None
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        db.session.commit()
    g.api_token = token
    return token.user


@login_manager.unauthorized_handler
def _unauthorised():
    if wants_json():
        response = jsonify(error="authentication required: log in or send a bearer token")
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if is_htmx():
        current = urlsplit(request.headers.get("HX-Current-URL", "/"))
        target = current.path + (f"?{current.query}" if current.query else "")
        response = jsonify(error="your session has ended: log in again")
        response.status_code = 401
        response.headers["HX-Redirect"] = url_for("auth.login", next=safe_next(target))
        return response
    return redirect(url_for("auth.login", next=safe_next(request.full_path.rstrip("?"))))


def _buffer_static(response):
    """Read a static file into the response before it is compressed.

    Flask-Compress compresses a streamed file through a generator that never closes the file; a
    buffered body is compressed whole and Werkzeug closes the file at once. Static files are small.
    """
    if request.endpoint == "static" and response.direct_passthrough and response.status_code == 200:
        response.direct_passthrough = False
        response.make_sequence()  # reads the file and closes it when the response closes
    return response


HSTS_SECONDS = 365 * 24 * 3600  # a year: what the HSTS preload list asks at the least


def _headers(response):
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Permissions-Policy", "geolocation=(self), camera=(self)")
    if request.endpoint != "static" and current_user and current_user.is_authenticated:
        response.headers.setdefault("Cache-Control", "private, no-store")
    if response.mimetype == "text/html":
        response.vary.add("HX-Request")  # pages answer htmx with a fragment of themselves
    if request.is_secure:  # served over HTTPS (directly, or behind TRUSTED_PROXIES): never over HTTP again
        response.headers.setdefault("Strict-Transport-Security", f"max-age={HSTS_SECONDS}; includeSubDomains")
    return response


def init_app(app: Flask) -> None:
    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:
        # Behind a reverse proxy: take the client address and scheme from its X-Forwarded-* headers.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.session_protection = "basic"
    app.before_request(_look_up_bearer_token)
    app.after_request(_headers)
    app.after_request(_buffer_static)  # after_request runs last-registered first: before compression
