"""Times in words and in form fields: what pages, messages and timelines say about a moment. Pure."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from ..database import utcnow


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
    text = span_words(abs(seconds))
    return f"due in {text}" if seconds > 0 else f"overdue by {text}"


def span_words(seconds: float | None) -> str:
    """A length of time: '45 s', '12 min', '2 h 10 min', '3 d 4 h' ('—' for none)."""
    if seconds is None:
        return "—"
    if seconds < 60:
        return f"{int(seconds)} s"
    span = int(seconds) // 60
    days, hours, minutes = span // 1440, span % 1440 // 60, span % 60
    parts = [f"{days} d"] if days else []
    parts += [f"{hours} h"] if hours else []
    parts += [f"{minutes} min"] if minutes and not days else []
    return " ".join(parts) or "less than a minute"


def local_input_value(moment: datetime, tz: ZoneInfo) -> str:
    """A datetime as the value of <input type=datetime-local> in the site's time zone."""
    return moment.astimezone(tz).strftime("%Y-%m-%dT%H:%M")


def read_local_datetime(text: str, tz: ZoneInfo) -> datetime:
    """A datetime-local value (or ISO 8601 with offset) read in the site's time zone; ValueError if bad."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)
