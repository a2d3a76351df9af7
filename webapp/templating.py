"""Jinja filters and globals shared by every page (features add their own from their init_app)."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from .common.timewords import ago, countdown, local_input_value, local_time, span_words
from .incidents.lifecycle import STATUS_LABELS
from .rules.classification import CATEGORIES, SEVERITY_NAMES


def category_names(codes: list[str]) -> str:
    return ", ".join(CATEGORIES.get(c, c) for c in codes)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["category_names"] = category_names
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_input"] = lambda moment, zone: local_input_value(moment, ZoneInfo(zone))
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["fromiso"] = datetime.fromisoformat
    app.jinja_env.filters["countdown"] = countdown
    app.jinja_env.filters["span"] = span_words
    app.jinja_env.globals.update(STATUS_LABELS=STATUS_LABELS, SEVERITY_NAMES=SEVERITY_NAMES, CATEGORY_LABELS=CATEGORIES)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
