"""Error pages: JSON under /api/, a readable page (or HTMX fragment) elsewhere."""
from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .common.errors import Invalid
from .common.http import invalid_answer, wants_json
from .extensions import db

MESSAGES = {
    400: "The request could not be understood.",
    403: "You do not have access to this.",
    404: "Not found.",
    405: "That action is not allowed here.",
    413: "That is too large to upload.",
    429: "Too many attempts. Wait a minute and try again.",
    500: "Something went wrong on our side. Nothing you sent was lost; try again shortly.",
}


def _render(status: int, message: str):
    if wants_json():
        return jsonify(error=message, fields={}), status
    return render_template("error.html", status=status, message=message), status


class RowId(IntegerConverter):
    """`<int:...>` in a URL: a number that fits a database id (a larger one is simply not found)."""

    def __init__(self, map, *args, **kwargs):  # noqa: A002 (werkzeug's name)
        kwargs.setdefault("max", 2**31 - 1)
        super().__init__(map, *args, **kwargs)


MAX_DEPTH = 32  # no request of ours nests deeper than a few levels: a deeper body is refused, not walked


class TooDeep(ValueError):
    pass


def _has_nul(value) -> bool:
    """Whether any text in a JSON value holds a NUL, walked without recursion (a body nested thousands
    deep must not exhaust the stack): TooDeep past MAX_DEPTH levels."""
    waiting = [(value, 0)]
    while waiting:
        item, depth = waiting.pop()
        if depth > MAX_DEPTH:
            raise TooDeep
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            waiting.extend((part, depth + 1) for pair in item.items() for part in pair)
        elif isinstance(item, list):
            waiting.extend((part, depth + 1) for part in item)
    return False


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = RowId  # before the blueprints' rules are bound

    @app.before_request
    def refuse_nul_characters():
        """No keyboard types a NUL character, and PostgreSQL cannot store one in text (SQLite would):
        refuse it everywhere, the same on both, before anything is stored."""
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        # Uploads (multipart) are left to their views, which set their own size limits before reading;
        # the report's text is checked by its validator.
        form = request.form if request.mimetype == "application/x-www-form-urlencoded" else None
        try:
            body = request.get_json(silent=True) if request.is_json else None
            texts = [text for key, values in form.lists() for text in (key, *values)] if form else []
            nul = any("\x00" in text for text in texts) or _has_nul(body)
        except (TooDeep, RecursionError):
            return _render(400, f"What you sent is nested more than {MAX_DEPTH} levels deep. Nothing was changed.")
        if nul:
            return _render(400, "What you sent contains a NUL character, which text cannot hold. Nothing was changed.")
        return None

    # Input its view's declaration refuses (common/schemas.py), or a validator's refusal left to the app.
    app.register_error_handler(Invalid, invalid_answer)

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(error):
        """A value the database cannot hold (an id typed into a form or a JSON body too large for its
        column): nothing is stored, and the sender is told."""
        db.session.rollback()
        if isinstance(error, OverflowError) or "out of range" in str(getattr(error, "orig", "")):
            return _render(400, "A number in what you sent is too large. Nothing was changed.")
        return _render(400, "Something in what you sent cannot be stored. Nothing was changed.")

    @app.errorhandler(StaleDataError)
    def changed_meanwhile(_error):
        """Two changes made at once on the same incident: the second is refused whole."""
        db.session.rollback()
        return _render(409, "Someone else changed this at the same moment. Nothing you sent was changed: "
                            "reload the page to see it as it is now.")

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return _render(400, "Your form expired (security token missing or old). Reload the page and "
                            "try again; what you typed is kept if you use the back button.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        message = MESSAGES.get(error.code, error.description)
        if error.code in (400, 404) and error.description and wants_json():
            message = error.description
        return _render(error.code or 500, message)
