"""Error pages: JSON under /api/, a readable page (or HTMX fragment) elsewhere."""
from flask import Flask, jsonify, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DataError
from werkzeug.exceptions import HTTPException
from werkzeug.routing import IntegerConverter

from .security import wants_json

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


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = RowId  # before the blueprints' rules are bound

    @app.errorhandler(OverflowError)
    @app.errorhandler(DataError)
    def out_of_range(error):
        """A number too large for the database (an id typed into a form or a JSON body): nothing is
        stored, and the sender is told."""
        from .extensions import db
        db.session.rollback()
        return _render(400, "A number in what you sent is too large. Nothing was changed.")

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
