"""What every JSON API blueprint shares: CSRF for cookie sessions, errors as JSON, reading the body."""
from __future__ import annotations

from flask import Blueprint, jsonify, request

from ..rules.errors import Invalid
from ..security import check_csrf


def json_api(bp: Blueprint, token_authorised: tuple[str, ...] = ()) -> Blueprint:
    """Make `bp` answer like the rest of the API. A browser session (the app's own pages and outbox)
    must send the CSRF token; bearer clients need not, nor the endpoints named in `token_authorised`,
    which check a signed token of their own. Register the blueprint exempt from the global CSRF check."""

    @bp.before_request
    def _csrf_for_cookie_sessions():
        if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in token_authorised:
            return
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            check_csrf()

    @bp.errorhandler(Invalid)
    def _invalid(error: Invalid):
        message = "the request has errors: " + ", ".join(k or "body" for k in error.fields)
        return jsonify(error=message, fields=error.fields), error.status

    return bp


def json_body() -> object:
    """The request's JSON, or Invalid (400) that says what is wrong with it."""
    if not request.is_json:
        raise Invalid({"": "send JSON with Content-Type: application/json"})
    body = request.get_json(silent=True)
    if body is None:
        raise Invalid({"": "the body is not valid JSON"})
    return body
