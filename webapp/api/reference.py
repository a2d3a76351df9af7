"""The API's document as JSON (`/api/v1/openapi.json`) and as a readable page (`/api-reference`), both public
and served by the app itself (no CDN, no script: the page is rendered here from the same document)."""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template
from markupsafe import Markup, escape

from ..auth.security import public
from .openapi import document

bp = Blueprint("api_docs", __name__)


def _document() -> dict:
    """The app's document, made once: it follows the routes and their declarations, fixed at start-up (it
    takes some 40 ms to make, too much to spend on every request to a public page)."""
    app = current_app._get_current_object()
    if "openapi" not in app.extensions:
        app.extensions["openapi"] = document(app)
    return app.extensions["openapi"]


@bp.app_template_filter("ticks")
def ticks(text: str) -> Markup:
    """`code` in a docstring as <code>code</code> (the text is escaped first)."""
    parts = str(text).split("`")
    if len(parts) % 2 == 0:  # an unpaired backtick: shown as it is
        return escape(text)
    return Markup("").join(Markup("<code>{}</code>").format(part) if i % 2 else escape(part)
                           for i, part in enumerate(parts))


@bp.get("/api/v1/openapi.json")
@public
def openapi_json():
    return jsonify(_document())


def _resolve(schema: dict, schemas: dict) -> dict:
    while "$ref" in schema:
        schema = schemas[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _nullable(schema: dict) -> tuple[dict, bool]:
    options = schema.get("anyOf")
    if options and any(o.get("type") == "null" for o in options):
        rest = [o for o in options if o.get("type") != "null"]
        others = {k: v for k, v in schema.items() if k != "anyOf"}
        return ({**rest[0], **others} if len(rest) == 1 else {"anyOf": rest, **others}), True
    return schema, False


def _number(value: float | None) -> str | None:
    if value is None:
        return None
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def type_words(schema: dict, schemas: dict) -> str:
    """A schema as a reader says it: "text, at most 200 characters", "whole number 1–200", "one of: …"."""
    schema, nullable = _nullable(schema)
    name = schema["$ref"].rsplit("/", 1)[-1] if "$ref" in schema else None
    schema = _resolve(schema, schemas)
    kind = schema.get("type")
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        words = " or ".join(type_words(option, schemas) for option in options)
    elif "enum" in schema or "const" in schema:
        words = "one of: " + ", ".join(str(v) if v != "" else '"" (none)'
                                        for v in schema.get("enum", [schema.get("const")]))
    elif kind == "string":
        words = {"date-time": "date and time (ISO 8601 with offset)", "date": "date (YYYY-MM-DD)",
                 "uuid": "UUID", "binary": "file"}.get(schema.get("format", ""), "text")
        if "maxLength" in schema:
            words += f", at most {schema['maxLength']:,} characters"
    elif kind in ("integer", "number"):
        words = "whole number" if kind == "integer" else "number"
        low, high = (_number(schema.get(k)) for k in ("minimum", "maximum"))
        if low is not None and high is not None:
            words += f" from {low} to {high}"
        elif low is not None:
            words += f" ≥ {low}"
    elif kind == "boolean":
        words = "true or false"
    elif kind == "array":
        words = "list of " + type_words(schema.get("items", {}), schemas)
        if "maxItems" in schema:
            words += f" (at most {schema['maxItems']})"
    elif kind == "object":
        words = f"object ({name})" if name else "object"
    else:
        words = name or "any"
    return words + (", or null" if nullable else "")


def fields(schema: dict, schemas: dict, prefix: str = "", depth: int = 0) -> Iterator[dict]:
    """Each field of an object schema as a row (path, type in words, required, description), nested objects'
    fields after their own row, to three levels."""
    schema = _resolve(_nullable(schema)[0], schemas)
    required = set(schema.get("required", ()))
    for name, part in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield {"path": path, "type": type_words(part, schemas), "required": name in required,
               "description": part.get("description") or _resolve(_nullable(part)[0], schemas).get("description", ""),
               "depth": depth}
        inner = _resolve(_nullable(part)[0], schemas)
        if inner.get("type") == "array":
            inner = _resolve(_nullable(inner.get("items", {}))[0], schemas)
            path += "[]"
        if depth >= 2:
            continue
        for variant in inner.get("anyOf") or inner.get("oneOf") or [inner]:  # each shape a union may take
            if _resolve(variant, schemas).get("properties"):
                yield from fields(variant, schemas, path + ".", depth + 1)


def sections(doc: dict) -> list[dict]:
    """The document's operations grouped by tag, in the order their paths come."""
    schemas = doc["components"]["schemas"]
    grouped: dict[str, list[dict[str, Any]]] = {}
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            body = op.get("requestBody", {}).get("content", {})
            body_schema = next(iter(body.values()), {}).get("schema") if body else None
            answers = []
            for status, answer in op["responses"].items():
                content = answer.get("content", {})
                media, spec = next(iter(content.items()), (None, {}))
                schema = spec.get("schema", {})
                answers.append({"status": status, "description": answer["description"], "media": media,
                                "fields": list(fields(schema, schemas)) if int(status) < 300 and "$ref" in schema
                                else []})
            grouped.setdefault(op["tags"][0], []).append({
                "id": op["operationId"].replace(".", "-"), "method": method.upper(), "path": path,
                "summary": op["summary"], "description": op.get("description", ""), "roles": op.get("x-roles", []),
                "parameters": [{**p, "type": type_words(p["schema"], schemas)} for p in op.get("parameters", [])],
                "body": list(fields(body_schema, schemas)) if body_schema else [],
                "body_media": next(iter(body), None), "answers": answers})
    order = [t["name"] for t in doc.get("tags", [])]
    words = {t["name"]: t["description"] for t in doc.get("tags", [])}
    tags = sorted(grouped, key=lambda tag: order.index(tag) if tag in order else len(order))
    return [{"tag": tag, "id": tag.lower().replace(" ", "-"), "description": words.get(tag, ""),
             "operations": grouped[tag]} for tag in tags]


@bp.get("/api-reference")
@public
def page():
    doc = _document()
    return render_template("api/reference.html", info=doc["info"], sections=sections(doc), uses_htmx=False)
