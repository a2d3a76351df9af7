"""Checking what admins send for teams, schedules, overrides and policies (JSON API and pages alike).

Pure: the caller passes what exists (user, team, schedule ids; site codes). Each function returns
clean values or raises Invalid with a message per bad key, so nothing half-valid is ever saved.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import available_timezones

from ..common.errors import Invalid
from ..incidents.models import INCIDENT_ROLES
from ..rules.classification import CATEGORIES, SEVERITIES
from .oncall import PERIOD_DAYS
from .policy import TARGET_KINDS

MAX_LEVELS = 10
MAX_TARGETS = 10
MAX_REPEATS = 9
MAX_DELAY_MINUTES = 24 * 60
MAX_OVERRIDE = timedelta(days=62)
MAX_NAME = 120
MAX_ROTATION = 100
MAX_RULES = 20


def _name(body: dict, errors: dict, partial: bool) -> str | None:
    if partial and "name" not in body:
        return None
    name = body.get("name")
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
        errors["name"] = f"give a name of 1 to {MAX_NAME} characters"
        return None
    return name.strip()


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _start(body: object, partial: bool, teams: set[int]) -> tuple[dict, dict, dict]:
    """The body, its errors so far, and the clean name and team_id that schedules and policies share."""
    body, errors, clean = _object(body), {}, {}
    name = _name(body, errors, partial)
    if name is not None:
        clean["name"] = name
    if "team_id" in body:
        clean["team_id"] = _team(body, errors, teams)
    return body, errors, clean


def _object(body: object) -> dict:
    if not isinstance(body, dict):
        raise Invalid({"": "send a JSON object"})
    return body


def _id(value: object, known: set[int]) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value in known else None


def _team(body: dict, errors: dict, teams: set[int]) -> int | None:
    value = body.get("team_id")
    if value is None:
        return None
    if _id(value, teams) is None:
        errors["team_id"] = "no such team"
    return value


def validate_team(body: object, *, users: set[int], taken: set[str], partial: bool = False) -> dict:
    body, errors, clean = _object(body), {}, {}
    name = _name(body, errors, partial)
    if name is not None:
        if name.lower() in {t.lower() for t in taken}:
            errors["name"] = "another team has this name"
        clean["name"] = name
    if not partial or "members" in body:
        members = body.get("members", [])
        if not isinstance(members, list) or any(_id(m, users) is None for m in members):
            errors["members"] = "must be a list of ids of active responders, supervisors or admins"
        else:
            clean["members"] = list(dict.fromkeys(members))
    if errors:
        raise Invalid(errors)
    return clean


def validate_schedule(body: object, *, users: set[int], teams: set[int], partial: bool = False) -> dict:
    """name, team_id, timezone, period (daily/weekly), handoff "HH:MM", first_day "YYYY-MM-DD",
    members (user ids in hand-off order; someone may appear twice)."""
    body, errors, clean = _start(body, partial, teams)
    if not partial or "timezone" in body:
        if not isinstance(body.get("timezone"), str) or body["timezone"] not in available_timezones():
            errors["timezone"] = "must be an IANA time zone such as Australia/Sydney"
        else:
            clean["timezone"] = body["timezone"]
    if not partial or "period" in body:
        if not isinstance(body.get("period"), str) or body["period"] not in PERIOD_DAYS:
            errors["period"] = f"must be one of: {', '.join(PERIOD_DAYS)}"
        else:
            clean["period"] = body["period"]
    if not partial or "handoff" in body:
        try:
            clean["handoff"] = time.fromisoformat(body.get("handoff"))
            if clean["handoff"].tzinfo is not None:
                raise ValueError
        except (TypeError, ValueError):
            errors["handoff"] = "must be a local time of day, HH:MM"
    if not partial or "first_day" in body:
        try:
            clean["first_day"] = date.fromisoformat(body.get("first_day"))
        except (TypeError, ValueError):
            errors["first_day"] = "must be a date, YYYY-MM-DD (a weekly rotation hands off on its weekday)"
    if not partial or "members" in body:
        members = body.get("members")
        if not isinstance(members, list) or not members or len(members) > MAX_ROTATION \
                or any(_id(m, users) is None for m in members):
            errors["members"] = (f"must list 1 to {MAX_ROTATION} ids of active responders, supervisors or admins, "
                                 "in hand-off order")
        else:
            clean["members"] = members
    if errors:
        raise Invalid(errors)
    return clean


def parse_instant(value: object) -> datetime:
    """An ISO 8601 date-time with its offset (a bare local time is ambiguous across time zones)."""
    if not isinstance(value, str):
        raise ValueError
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError
    return moment


def validate_override(body: object, *, users: set[int], now: datetime) -> dict:
    """user_id, start, end (ISO 8601 with offset): `user_id` is on call from start until end."""
    body, errors, clean = _object(body), {}, {}
    if _id(body.get("user_id"), users) is None:
        errors["user_id"] = "must be the id of an active responder, supervisor or admin"
    else:
        clean["user_id"] = body["user_id"]
    for key in ("start", "end"):
        try:
            clean[key] = parse_instant(body.get(key))
        except ValueError:
            errors[key] = "must be a date and time with its UTC offset, e.g. 2026-11-24T20:00:00+11:00"
    if "start" in clean and "end" in clean:
        if clean["end"] <= clean["start"]:
            errors["end"] = "must be after the start"
        elif clean["end"] <= now:
            errors["end"] = "is already past: an override covers time still to come"
        elif clean["end"] - clean["start"] > MAX_OVERRIDE:
            errors["end"] = "an override can last at most 62 days; change the rotation for longer"
    if errors:
        raise Invalid(errors)
    return clean


def _targets(targets: object, where: str, errors: dict, users: set[int], schedules: set[int]) -> list[dict]:
    if not isinstance(targets, list) or not 1 <= len(targets) <= MAX_TARGETS:
        errors[where] = f"must list 1 to {MAX_TARGETS} targets"
        return []
    clean = []
    for i, target in enumerate(targets):
        key = f"{where}.{i}"
        if not isinstance(target, dict) or target.get("kind") not in TARGET_KINDS:
            errors[key] = f"kind must be one of: {', '.join(TARGET_KINDS)}"
            continue
        kind, ref = target["kind"], target.get("ref")
        if kind == "user" and _id(ref, users) is None:
            errors[key] = "ref must be the id of an active responder, supervisor or admin"
        elif kind == "schedule" and _id(ref, schedules) is None:
            errors[key] = "ref must be the id of a schedule"
        elif kind == "role" and (not isinstance(ref, str) or ref not in INCIDENT_ROLES):
            errors[key] = f"ref must be an incident role: {', '.join(INCIDENT_ROLES)}"
        else:
            clean.append({"kind": kind, "ref": ref})
    return clean


def _choice_list(value: object, allowed: set[str], key: str, errors: dict) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list) or not value or any(not isinstance(v, str) or v not in allowed for v in value):
        errors[key] = f"must be null (any) or a list of: {', '.join(sorted(allowed))}"
        return None
    return sorted(set(value))


def validate_policy(body: object, *, users: set[int], schedules: set[int], teams: set[int], sites: set[str],
                    partial: bool = False) -> dict:
    """name, team_id, repeats, levels [{delay_minutes, targets [{kind, ref}]}], and rules
    [{priority, sites, categories, severities}] (null matches anything) that choose this policy for an
    incident; across all policies, rules are tried by priority (lower first) and the first match wins."""
    body, errors, clean = _start(body, partial, teams)
    if not partial or "repeats" in body:
        repeats = body.get("repeats", 0)
        if not _whole(repeats, 0, MAX_REPEATS):
            errors["repeats"] = f"must be a whole number from 0 to {MAX_REPEATS}"
        else:
            clean["repeats"] = repeats
    if not partial or "levels" in body:
        levels = body.get("levels")
        if not isinstance(levels, list) or not 1 <= len(levels) <= MAX_LEVELS:
            errors["levels"] = f"must list 1 to {MAX_LEVELS} levels"
        else:
            clean["levels"] = []
            for i, level in enumerate(levels):
                if not isinstance(level, dict):
                    errors[f"levels.{i}"] = "must be an object with delay_minutes and targets"
                    continue
                delay = level.get("delay_minutes")
                if not _whole(delay, 1, MAX_DELAY_MINUTES):
                    errors[f"levels.{i}.delay_minutes"] = (f"must be a whole number of minutes from 1 to "
                                                            f"{MAX_DELAY_MINUTES}")
                targets = _targets(level.get("targets"), f"levels.{i}.targets", errors, users, schedules)
                clean["levels"].append({"delay_minutes": delay, "targets": targets})
    if not partial or "rules" in body:
        rules = body.get("rules", [])
        if not isinstance(rules, list) or len(rules) > MAX_RULES:
            errors["rules"] = f"must be a list of up to {MAX_RULES} rules"
        else:
            clean["rules"] = []
            for i, rule in enumerate(rules):
                if not isinstance(rule, dict):
                    errors[f"rules.{i}"] = "must be an object with sites, categories and severities"
                    continue
                priority = rule.get("priority", 100)
                if not _whole(priority, 0, 1000):
                    errors[f"rules.{i}.priority"] = "must be a whole number from 0 to 1000 (lower is tried first)"
                clean["rules"].append({
                    "priority": priority,
                    "sites": _choice_list(rule.get("sites"), sites, f"rules.{i}.sites", errors),
                    "categories": _choice_list(rule.get("categories"), set(CATEGORIES), f"rules.{i}.categories",
                                               errors),
                    "severities": _choice_list(rule.get("severities"), set(SEVERITIES), f"rules.{i}.severities",
                                               errors),
                })
    if errors:
        raise Invalid(errors)
    return clean
