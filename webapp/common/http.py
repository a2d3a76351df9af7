"""What the views share: what kind of answer a request wants, the CSRF check for views that make it
themselves, and JSON API blueprints (CSRF for cookie sessions, errors as JSON, reading the body)."""
from __future__ import annotations

from flask import Blueprint, current_app, g, jsonify, render_template, request
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..extensions import csrf, db
from .errors import ActionRefused, Blocked, Conflict, Invalid, refusal_status


def wants_json() -> bool:
    """API paths, and the app's own scripts (the outbox) that ask for JSON."""
    if request.path.startswith("/api/"):
        return True
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def invalid_answer(error: Invalid):
    """A refused input (a declaration's or a validator's), each field named, nothing changed: JSON for the
    API and the app's scripts, the error page for a browser's form."""
    db.session.rollback()
    if wants_json():
        return jsonify(error="the request has errors: " + ", ".join(k or "body" for k in error.fields),
                       fields=error.fields), error.status
    listed = "; ".join(f"{k} {v}" if k else v for k, v in error.fields.items())
    return render_template("error.html", status=error.status,
                           message=f"What was sent has errors ({listed}). Nothing was changed."), error.status


def check_csrf() -> None:
    """CSRF check for views exempt from the global one (they handle the failure themselves)."""
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()


def check_csrf_unless_token() -> None:
    """A browser must send the CSRF token; a request carrying a valid API token need not (auth/security.py
    looks it up before any view). A junk `Authorization: Bearer` header exempts nothing. A request with no
    one signed in, to a view that needs someone, is left to that view's 401 (it changes nothing either way);
    a public view (an email's acknowledge link) is checked like any other."""
    if g.get("bearer_token") is not None:
        return
    view = current_app.view_functions.get(request.endpoint)
    if current_user.is_authenticated or getattr(view, "access", None) == "public":
        check_csrf()


def json_api(bp: Blueprint, token_authorised: tuple[str, ...] = ()) -> Blueprint:
    """Make `bp` answer like the rest of the API. A browser session (the app's own pages and outbox)
    must send the CSRF token; clients with a valid API token need not, nor the endpoints named in `token_authorised`,
    which check a signed token of their own. Register the blueprint exempt from the global CSRF check."""

    @bp.before_request
    def _csrf_for_cookie_sessions():
        if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in token_authorised:
            return
        check_csrf_unless_token()

    bp.register_error_handler(Invalid, invalid_answer)  # (a blueprint's page forms get the page)

    @bp.errorhandler(ActionRefused)
    def _refused(error: ActionRefused):
        """Nothing of a refused action is kept. 403: not for this person; 409: something blocks it
        (listed in `blocking`); 422: not possible as asked."""
        db.session.rollback()
        if isinstance(error, Blocked):
            return jsonify(error=str(error), blocking=error.blocking), refusal_status(error)
        if isinstance(error, Conflict) and error.current is not None:
            return jsonify(error=str(error), current=error.current), refusal_status(error)
        return jsonify(error=str(error)), refusal_status(error)

    @bp.errorhandler(StaleDataError)
    def _changed_meanwhile(_error: StaleDataError):
        """Two changes made at once on the same state: the second is refused whole (models' version)."""
        db.session.rollback()
        return jsonify(error="changed by someone else at the same moment; nothing you sent was changed: "
                             "GET it again and decide"), 409

    return bp

