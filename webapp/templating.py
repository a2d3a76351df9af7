"""Jinja filters and globals shared by every page."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from .database import utcnow
from .incidents.lifecycle import STATUS_LABELS
from .reporting.form import local_input_value
from .rules.classification import CATEGORIES, SEVERITY_NAMES


def local_time(moment: datetime | None, zone: str = "UTC") -> str:
    """'Sun 22 Nov 2026, 14:05 AEDT' in the given time zone."""
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %Y, %H:%M %Z")


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """A short age: 'just now', '12 min ago', '3 h ago', '2 d ago'."""
    if moment is None:
        return "—"
    seconds = int(((now or utcnow()) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit} ago"
    return "just now"


def countdown(deadline: datetime | None, now: datetime | None = None) -> str:
    """'due in 2 h 10 min', 'overdue by 3 d 4 h'."""
    if deadline is None:
        return "no fixed time"
    seconds = int((deadline - (now or utcnow())).total_seconds())
    if abs(seconds) < 60:
        return "due now"
    span = abs(seconds) // 60
    days, hours, minutes = span // 1440, span % 1440 // 60, span % 60
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes and not days else []
    text = " ".join(parts) or "less than a minute"
    return f"due in {text}" if seconds > 0 else f"overdue by {text}"


PAGE_STATES = {"pending": "waiting to send", "sending": "sending", "sent": "sent, not confirmed yet",
               "delivered": "delivered", "shown": "shown on the phone", "failed": "failed"}


def category_names(codes: list[str]) -> str:
    return ", ".join(CATEGORIES.get(c, c) for c in codes)


def engine_warning() -> str | None:
    """For supervisors: a warning when the escalation worker has stopped reporting."""
    from flask_login import current_user

    from .escalation.worker import engine_status
    if not (current_user.is_authenticated and current_user.is_supervisor):
        return None
    status = engine_status(utcnow())
    if not status["stale"]:
        return None
    if status["last_beat"] is None:
        return "Alerts are not being sent: no escalation worker has run yet."
    minutes = int(status["age_seconds"] // 60)
    return f"Alerts are not being sent: the escalation worker last reported {minutes} min ago."


def coverage_warning() -> int:
    """For supervisors: how many policy levels would page nobody reachable right now."""
    from flask_login import current_user

    from .escalation.manage import all_gaps
    if not (current_user.is_authenticated and current_user.is_supervisor):
        return 0
    return len(all_gaps(utcnow()))


def init_app(app: Flask) -> None:
    app.jinja_env.globals["engine_warning"] = engine_warning
    app.jinja_env.globals["coverage_warning"] = coverage_warning
    app.jinja_env.filters["category_names"] = category_names
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_input"] = lambda moment, zone: local_input_value(moment, ZoneInfo(zone))
    app.jinja_env.filters["ago"] = ago
    app.jinja_env.filters["fromiso"] = datetime.fromisoformat
    app.jinja_env.filters["countdown"] = countdown
    app.jinja_env.globals.update(PAGE_STATES=PAGE_STATES, STATUS_LABELS=STATUS_LABELS, SEVERITY_NAMES=SEVERITY_NAMES,
                                 CATEGORY_LABELS=CATEGORIES)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
