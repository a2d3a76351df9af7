"""Turning the HTML form's strings into the typed answers the validator expects. Pure."""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..common.timewords import local_input_value, read_local_datetime
from .answers import ANSWER_KEYS

BOOL_WORDS = {"yes": True, "true": True, "on": True, "no": False, "false": False}


def _local_datetime(text: str, tz: ZoneInfo) -> str:
    try:
        return read_local_datetime(text, tz).isoformat()
    except ValueError:
        return text  # the validator will name the problem


def _number(text: str, whole: bool) -> Any:
    try:
        return int(text) if whole else float(text)
    except ValueError:
        return text


def form_values(answers: Mapping[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    """Stored answers as the strings the form's fields show (the inverse of answers_from_form)."""
    values: dict[str, Any] = {}
    for key, value in answers.items():
        spec = ANSWER_KEYS.get(key)
        if spec is None:
            continue
        if spec.kind == "multi":
            values[key] = list(value)
        elif spec.kind == "bool":
            values[key] = "yes" if value else "no"
        elif spec.kind == "datetime":
            values[key] = local_input_value(datetime.fromisoformat(value), tz)
        elif spec.kind == "number":
            values[key] = f"{value:g}"
        else:
            values[key] = str(value)
    return values


def answers_from_form(form: Mapping, getlist, tz: ZoneInfo) -> dict[str, Any]:
    """Raw answers from form fields; type errors stay as strings for the validator to report."""
    raw: dict[str, Any] = {}
    for key, spec in ANSWER_KEYS.items():
        if spec.kind == "multi":
            raw[key] = getlist(key)
            continue
        if spec.kind == "location":
            continue
        text = (form.get(key) or "").strip() if spec.kind != "text" else form.get(key, "")
        if text == "":
            continue
        if spec.kind == "bool":
            raw[key] = BOOL_WORDS.get(text.lower(), text)
        elif spec.kind in ("int", "number"):
            raw[key] = _number(text, spec.kind == "int")
        elif spec.kind == "datetime":
            raw[key] = _local_datetime(text, tz)
        else:
            raw[key] = text
    lat, lon = form.get("location_lat", "").strip(), form.get("location_lon", "").strip()
    if lat and lon:
        location = {"lat": _number(lat, False), "lon": _number(lon, False)}
        accuracy = form.get("location_accuracy", "").strip()
        if accuracy:
            location["accuracy_m"] = _number(accuracy, False)
        raw["location"] = location
    return raw
