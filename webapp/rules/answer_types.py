"""The report's answer keys (answers.ANSWER_KEYS) as typed fields, for the declared models of the API's report
and correction bodies and of the report form: one table, so the form, the API and the document agree. Pure.

A value of null is "not given" (as in validate_report); the validator still does what types cannot say
(site codes, times against now, the questions asked).
"""
from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

from ..common.types import MAX_TEXT, text_up_to
from .answers import ANSWER_KEYS, ENVELOPE, Key


class Location(BaseModel):
    """Where it happened, from the phone's location (WGS 84)."""
    model_config = ConfigDict(extra="forbid", strict=True)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=1e7, description="metres, as the phone gave it")


def _listed(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


def _choice(spec: Key) -> Any:
    return Literal[tuple(spec.choices)]


def _json_type(spec: Key) -> Any:
    kind = spec.kind
    if kind == "text":
        return Annotated[str, Field(max_length=int(spec.maximum))]
    if kind == "uuid":
        return uuid.UUID
    if kind == "datetime":
        return AwareDatetime
    if kind == "site":
        return Annotated[str, Field(max_length=20, description="a site's code")]
    if kind == "location":
        return Location
    if kind == "choice":
        return _choice(spec)
    if kind == "multi":  # one choice alone may come as its value
        return Annotated[list[_choice(spec)], BeforeValidator(_listed), Field(max_length=len(spec.choices))]
    if kind == "bool":
        return bool
    if kind == "int":
        return Annotated[int, Field(ge=int(spec.minimum), le=int(spec.maximum))]
    if kind == "number":
        return Annotated[float, Field(ge=spec.minimum, le=spec.maximum)]
    raise AssertionError(f"unknown kind {kind}")




def report_fields() -> dict[str, Any]:
    """Every answer key as an optional, nullable field of a JSON report (what is required is the
    validator's to say, with the report's own message)."""
    return {key: (_json_type(spec) | None, Field(default=None, description=spec.question))
            for key, spec in ANSWER_KEYS.items()}


def correction_fields() -> dict[str, Any]:
    """The answers a correction may change (not the envelope: description, site, times); null removes one."""
    return {key: field for key, field in report_fields().items() if key not in ENVELOPE}


def form_fields() -> dict[str, Any]:
    """The report form's answer fields as the browser posts them: text, a list for each multiple choice,
    no location (a phone's location comes as lat/lon fields of its own)."""
    fields: dict[str, Any] = {}
    for key, spec in ANSWER_KEYS.items():
        if spec.kind == "location":
            continue
        if spec.kind == "multi":
            fields[key] = (list[Annotated[str, Field(max_length=40)]], Field(default_factory=list))
        elif spec.kind == "text":  # what a person types: its limit is the validator's, with the form kept
            fields[key] = (text_up_to(MAX_TEXT), "")
        else:
            fields[key] = (Annotated[str, Field(max_length=100)], "")
    return fields
