"""The OpenAPI 3.1 document, made from what each API view declares (common/schemas.py `declare`): its
path parameters from the URL rule, its query, body and answers from the models, its summary from the
docstring. Every view under /api/v1 is in it; one that declares nothing is documented as taking nothing.
"""
from __future__ import annotations

import inspect
import re
from typing import Any

from flask import Flask
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema
from werkzeug.routing import Rule

from ..common.schemas import ROW_ID, Declared, Problem

PREFIX = "/api/v1"
REF = "#/components/schemas/{model}"
REFUSALS = {
    400: "Bad input: `fields` names each bad field by its path. Nothing was changed.",
    401: "Not signed in: send `Authorization: Bearer <token>` (an API token) or a session cookie.",
    403: "Not for this person (their role, or whose the thing is).",
    404: "No such thing, or one this person may not see.",
    409: "Something blocks it, or someone changed it meanwhile. Nothing was changed.",
    413: "Too large.",
    422: "Not possible as asked (the message says why). Nothing was changed.",
    429: "Too many requests: wait and try again.",
}
SUCCESS = {200: "OK", 201: "Created", 204: "Done; no content"}
TAGS = {  # in the order a reader meets them
    "Incidents": "Report, read, acknowledge, move along the lifecycle, correct; the list and its CSV.",
    "Photos": "Upload a photo first, then name it by its SHA-256 in a report or a completed action.",
    "Learning": "Investigation, post-incident review, corrective actions, lessons.",
    "On call": "Teams, schedules with overrides, escalation policies.",
    "Alerts and push": "Web push subscriptions, and what the service worker reports back.",
    "Metrics": "The figures on the metrics page.",
    "Organisation and sites": "The organisation's profile, its sites and their hours worked.",
    "Session": "Who is signed in (the app's own scripts).",
}


def _path(rule: Rule) -> tuple[str, list[dict]]:
    """`/incidents/<reference>` as `/incidents/{reference}`, with each part as a path parameter."""
    parameters = []
    for match in re.finditer(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", rule.rule):
        converter, name = match.group(1) or "default", match.group(2)
        schema: dict[str, Any] = ({"type": "integer", "minimum": 0, "maximum": ROW_ID} if converter == "int"
                                  else {"type": "string", "pattern": "^[^/]+$"})
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule), parameters


def _models(declared: list[Declared]) -> list[type[BaseModel]]:
    found: dict[str, type[BaseModel]] = {"Problem": Problem}
    for spec in declared:
        for model in (spec.body, spec.query, *spec.answers.values()):
            if not (isinstance(model, type) and issubclass(model, BaseModel)):
                continue
            if found.setdefault(model.__name__, model) is not model:  # a $ref would name the wrong one
                raise TypeError(f"two answer or input models are named {model.__name__}: rename one")
    return list(found.values())


def _query_parameters(model: type[BaseModel], schema: dict) -> list[dict]:
    required = set(schema.get("required", ()))
    return [{"name": name, "in": "query", "required": name in required, "schema": part,
             **({"description": part["description"]} if "description" in part else {})}
            for name, part in schema.get("properties", {}).items()]


def _answer(status: int, model: Any) -> dict:
    described = SUCCESS.get(status) or REFUSALS.get(status, "")
    if model is None:
        return {"description": described}
    if isinstance(model, str):
        return {"description": described, "content": {model: {"schema": {"type": "string"}}}}
    return {"description": model.__doc__.strip().splitlines()[0] if model.__doc__ and status < 300 else described,
            "content": {"application/json": {"schema": {"$ref": REF.format(model=model.__name__)}}}}


def _words_of(doc: str) -> tuple[str, str]:
    """A docstring as the operation's summary (its first sentence) and description (the rest)."""
    first, _, rest = doc.partition("\n\n")
    first = " ".join(first.split())
    sentence = re.match(r"(.+?[.!?])\s+([A-Z`].*)", first)
    if sentence:
        return sentence.group(1), (sentence.group(2) + "\n\n" + rest).strip()
    return first, rest.strip()


def _operation(endpoint: str, view: Any, spec: Declared, path_parameters: list[dict], schemas: dict) -> dict:
    summary, description = _words_of(inspect.getdoc(view) or "")
    access = getattr(view, "access", None)
    answers = {status: _answer(status, model) for status, model in sorted(spec.answers.items())}
    refusals = ([400] + ([] if access == "public" else [401, 403]) + ([404] if path_parameters else [])
                + ([413] if spec.body or spec.upload else []))
    for status in refusals:
        answers.setdefault(status, _answer(status, Problem))
    operation: dict[str, Any] = {
        "operationId": endpoint, "summary": summary.strip(),
        "tags": list(spec.tags) or ["Other"], "parameters": list(path_parameters), "responses":
        {str(status): answer for status, answer in answers.items()}}
    if description.strip():
        operation["description"] = description.strip()
    if access != "public" and access is not None:
        operation["x-roles"] = list(access)
    elif access == "public":
        operation["security"] = []
    if spec.query is not None:
        operation["parameters"] += _query_parameters(spec.query, schemas[spec.query.__name__])
    if spec.body is not None:
        operation["requestBody"] = {"required": True, "content": {
            "application/json": {"schema": {"$ref": REF.format(model=spec.body.__name__)}}}}
    elif spec.upload is not None:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": spec.upload}}}
    return operation


def document(app: Flask) -> dict:
    """The API as OpenAPI 3.1 (its schemas are JSON Schema 2020-12, as pydantic writes them)."""
    rules = sorted((r for r in app.url_map.iter_rules()
                    if r.rule.startswith(PREFIX) and not r.endpoint.startswith("api_docs.")), key=lambda r: r.rule)
    specs = [getattr(app.view_functions[r.endpoint], "declared", None) or Declared() for r in rules]
    _, definitions = models_json_schema([(m, "validation") for m in _models(specs)], ref_template=REF)
    schemas = definitions.get("$defs", {})
    paths: dict[str, dict] = {}
    for rule, spec in zip(rules, specs, strict=True):
        path, parameters = _path(rule)
        view = app.view_functions[rule.endpoint]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation(rule.endpoint, view, spec, parameters, schemas)
    return {
        "openapi": "3.1.0",
        "info": {"title": f"{app.config.get('APP_NAME', 'Incidents')} API", "version": "1",
                 "description": "Report, triage, page and learn from incidents. Every request needs an API token "
                                "(`Authorization: Bearer …`, made by an admin) or the app's session cookie with "
                                "its CSRF token; a token acts as the person it belongs to, with their role."},
        "servers": [{"url": "/"}],
        "security": [{"token": []}, {"session": []}],
        "tags": [{"name": name, "description": words} for name, words in TAGS.items()],
        "paths": paths,
        "components": {"schemas": schemas, "securitySchemes": {
            "token": {"type": "http", "scheme": "bearer", "description": "an API token an admin made"},
            "session": {"type": "apiKey", "in": "cookie", "name": "session",
                        "description": "the app's own pages (state changes also need X-CSRFToken)"}}},
    }
