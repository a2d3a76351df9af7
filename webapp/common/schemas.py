"""Declared inputs: every JSON body, query string and form a view takes is a pydantic model, parsed before
the view's own logic runs. A wrong type, an unknown key, a value out of range, text too long or a body
nested too deep is an `Invalid` (400) naming each field, so no handler meets a shape it did not declare.
The same declarations, with the answers a view declares, make the OpenAPI document (`api/openapi.py`).

Why pydantic: its models are plain typed classes (readable as the contract), it validates in compiled
code, says where each problem is (`loc`), and writes JSON Schema 2020-12, which OpenAPI 3.1 uses as is.

    @bp.post("/teams")
    @admin_required
    @declare(body=TeamIn, answers={201: TeamOut})
    def create_team(body: TeamIn): ...

Access decorators go above `declare`, so a stranger gets 401/403 before their body is looked at.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Annotated, Any, get_args, get_origin

from flask import request
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from .errors import Invalid
from .types import MAX_TEXT, ROW_ID, FormId, OptionalFormId, RowId, blank_is_none, text_up_to

__all__ = ["ROW_ID", "Answer", "Body", "Declared", "Form", "FormId", "OptionalFormId", "Problem", "Query", "RowId",
           "blank_is_none", "declare", "limit_body", "parse_form", "parse_json", "parse_query", "problems",
           "text_up_to"]


class Body(BaseModel):
    """A JSON object: unknown keys are refused and types are strict (1 is not "1", "1" is not 1, true is
    not 1); a key sent as null is "clear it" where the model allows None."""
    model_config = ConfigDict(extra="forbid", strict=True, str_max_length=MAX_TEXT)

    def given(self) -> dict[str, Any]:
        """The keys the client sent, as JSON values (for the validators and partial updates)."""
        return self.model_dump(mode="json", exclude_unset=True)


class Query(BaseModel):
    """A query string: unknown parameters are refused; values arrive as text and are read by type."""
    model_config = ConfigDict(extra="forbid", str_max_length=1000)


class Form(BaseModel):
    """A posted HTML form: unknown fields are refused, a field given twice that is not a list is refused,
    values arrive as text and are read by type (an id must be ASCII digits). The CSRF token is the
    framework's, not the form's."""
    model_config = ConfigDict(extra="forbid", str_max_length=MAX_TEXT)


class Answer(BaseModel):
    """A JSON answer's shape, for the document only (the views write their answers themselves): more
    keys may appear in later versions, so clients ignore keys they do not know."""
    model_config = ConfigDict(extra="allow")


class Problem(Answer):
    """What every refusal answers."""
    error: str
    fields: dict[str, str] = Field(default_factory=dict,
                                   description="each bad field, by its dotted path, with what is wrong")


def _words(error: dict) -> str:
    kind, message = error["type"], error["msg"]
    if kind == "extra_forbidden":
        return "is not a field here"
    if kind == "missing":
        return "is required"
    if kind in ("model_type", "dict_type") and not error["loc"]:
        return "send a JSON object"
    for prefix in ("Value error, ", "Input "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]


def problems(error: ValidationError) -> dict[str, str]:
    """Each bad field by its dotted path (`levels.0.targets`), with what is wrong in words."""
    fields: dict[str, str] = {}
    for item in error.errors(include_url=False):
        # (a union's member, "list[int]", is not a field: left out of the path)
        path = ".".join(str(part) for part in item["loc"] if "[" not in str(part))
        fields.setdefault(path, _words(item))
    return fields


def parse_json(model: type[Body]) -> Body:
    if not request.is_json:
        raise Invalid({"": "send JSON with Content-Type: application/json"})
    raw = request.get_data(cache=True)
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise Invalid({"": "the body is not valid JSON"}) from None
        raise Invalid(problems(error)) from None


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return get_origin(annotation) is list or any(get_origin(a) is list for a in get_args(annotation))


def _multi(model: type[BaseModel], pairs) -> dict[str, Any]:
    """A form's or query's fields as the model reads them: a list field takes every value, another field
    its one value (given twice is refused: which one was meant?)."""
    data: dict[str, Any] = {}
    twice: dict[str, str] = {}
    for key, values in pairs:
        declared = model.model_fields.get(key)
        if declared is not None and _is_list(declared.annotation):
            data[key] = values
        elif len(values) > 1:
            twice[key] = "is given more than once"
        else:
            data[key] = values[0]
    if twice:
        raise Invalid(twice)
    return data


def parse_form(model: type[Form]) -> Form:
    if request.method != "GET" and request.is_json:  # a form's view reads fields, never a JSON body
        raise Invalid({"": "send the form's fields (application/x-www-form-urlencoded or multipart/form-data), "
                           "not JSON"})
    pairs = [(k, v) for k, v in request.form.lists() if k != "csrf_token"]
    try:
        return model.model_validate(_multi(model, pairs))
    except ValidationError as error:
        raise Invalid(problems(error)) from None


def parse_query(model: type[Query]) -> Query:
    try:
        return model.model_validate(_multi(model, request.args.lists()))
    except ValidationError as error:
        raise Invalid(problems(error)) from None


def limit_body(limit: int, check: Callable[[], object] | None = None) -> Callable:
    """Above `declare` on a view that takes photos: the request's own size limit (instead of the app's
    MAX_CONTENT_LENGTH) and `check` (a CSRF check that may answer instead of the view) come before
    anything reads the body."""
    def wrap(view: Callable) -> Callable:
        @wraps(view)
        def limited(*args, **kwargs):
            request.max_content_length = limit
            return (check() if check else None) or view(*args, **kwargs)

        return limited

    return wrap


@dataclass(frozen=True)
class Declared:
    """What a view takes and answers: read by `declare` to parse, and by the OpenAPI document."""
    body: type[Body] | None = None
    query: type[Query] | None = None
    form: type[Form] | None = None
    upload: dict[str, Any] | None = None  # a multipart body's JSON Schema (photos), documented only
    answers: dict[int, type[BaseModel] | str | None] = field(default_factory=dict)
    tags: tuple[str, ...] = ()


def declare(*, body: type[Body] | None = None, query: type[Query] | None = None, form: type[Form] | None = None,
            upload: dict[str, Any] | None = None, answers: dict[int, type[BaseModel] | str | None] | None = None,
            tags: tuple[str, ...] = ()) -> Callable:
    """Parse what the view declares before it runs and hand it over as `body`, `query` or `form`.
    `answers` maps each success status to the model of its JSON (None: no body; a string: that content
    type); refusals are documented for every view."""
    spec = Declared(body, query, form, upload, dict(answers or {}), tags)

    def wrap(view: Callable) -> Callable:
        @wraps(view)
        def parsed(*args, **kwargs):
            if spec.query is not None:
                kwargs["query"] = parse_query(spec.query)
            if spec.body is not None:
                kwargs["body"] = parse_json(spec.body)
            if spec.form is not None:
                kwargs["form"] = parse_form(spec.form)
            if spec.body is spec.form is spec.upload is None and request.is_json and request.get_data(cache=True):
                parse_json(Body)  # a view that takes nothing: a JSON body may hold no key either
            return view(*args, **kwargs)

        parsed.declared = spec
        return parsed

    return wrap
