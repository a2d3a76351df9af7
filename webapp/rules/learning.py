"""After the incident (REFERENCE section 7) as pure functions: when a post-incident review is required
and due, what stops an incident closing, repeat causes, blameless wording, the hierarchy of controls,
and the shapes of an investigation, a review and a corrective action. No Flask, no database.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ..common.calendar import add_business_days
from ..common.errors import Invalid
from .answers import parse_datetime

ROOT_CAUSE_CATEGORIES = {
    "people": "People", "process": "Process", "plant": "Plant and equipment", "environment": "Environment",
    "organisation": "Organisation", "technology": "Technology",
}
CONTRIBUTING_FACTORS = {
    "fatigue": "Fatigue", "time_pressure": "Time pressure", "training": "Training", "supervision": "Supervision",
    "communication": "Communication", "procedure": "Procedure missing or unclear",
    "equipment_design": "Equipment design", "maintenance": "Maintenance", "housekeeping": "Housekeeping",
    "weather": "Weather", "monitoring_gap": "Monitoring gap", "change_not_managed": "Change not managed",
}
MAX_WHYS = 7
# The hierarchy of controls, most effective first.
CONTROLS = {
    "elimination": "Elimination: remove the hazard",
    "substitution": "Substitution: replace it with something safer",
    "engineering": "Engineering: isolate people from it (guards, interlocks)",
    "administrative": "Administrative: change how people work (procedures, training, signs)",
    "ppe": "PPE: protect the person",
}
WEAK_CONTROLS = ("administrative", "ppe")
PRIORITIES = {"high": "High", "medium": "Medium", "low": "Low"}
REVIEW_STATES = {"draft": "Draft", "in_review": "In review", "published": "Published"}
ACTION_STATES = {"open": "Open", "done": "Done: waiting for verification", "verified": "Verified"}

REVIEW_P2_AFTER = timedelta(hours=2)
REVIEW_P1_WITHIN = timedelta(hours=48)
REVIEW_BUSINESS_DAYS = 5
REPEAT_WINDOW = timedelta(days=90)

MAX_TEXT = 5000
MAX_LINE = 1000
MAX_ITEMS = 30
MAX_STATEMENTS = 50
MAX_TITLE = 200


# --- When a review is required, and by when ---------------------------------------------------------

def review_required(severity: str, major: bool, high_potential: bool, reported_at: datetime,
                    resolved_at: datetime | None, now: datetime) -> str | None:
    """Why a post-incident review is required, in words, or None: every P1, every major incident,
    every high-potential incident, and a P2 that lasted over 2 hours from report to resolution."""
    if severity == "P1":
        return "every P1 has a post-incident review"
    if major:
        return "it was declared a major incident"
    if high_potential:
        return "it was a high-potential incident"
    if severity == "P2" and (resolved_at or now) - reported_at > REVIEW_P2_AFTER:
        return "a P2 that lasted over 2 hours"
    return None


def review_due(severity: str, resolved_at: datetime | None, zone: str, jurisdiction: str) -> datetime | None:
    """48 h after resolution for a P1; otherwise the end of the 5th business day after it (at the
    site, its public holidays skipped). None until the incident is resolved."""
    if resolved_at is None:
        return None
    if severity == "P1":
        return resolved_at + REVIEW_P1_WITHIN
    return add_business_days(resolved_at, REVIEW_BUSINESS_DAYS, zone, jurisdiction)


# --- Closing ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ActionState:
    title: str
    status: str


def closing_blockers(required: str | None, review_status: str | None, actions: Iterable[ActionState]) -> list[str]:
    """What stops an incident being closed, in words (empty: it may close). Only an incident whose
    review is required is held: until the review is published and every corrective action verified."""
    if required is None:
        return []
    blockers = []
    if review_status != "published":
        state = "not started" if review_status is None else REVIEW_STATES[review_status].lower()
        blockers.append(f"The post-incident review is required ({required}) and is {state}, not published")
    for action in actions:
        if action.status != "verified":
            state = "done, not yet verified" if action.status == "done" else "still open"
            blockers.append(f"Corrective action “{action.title}” is {state}")
    return blockers


# --- Repeat causes --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CauseAt:
    """Where and when a root cause happened: the facts repeat detection compares."""

    incident_id: int
    site_id: int
    category: str | None
    occurred_at: datetime


def is_repeat(one: CauseAt, other: CauseAt) -> bool:
    """The same root-cause category at the same site within 90 days (by occurred_at), either way."""
    return (one.incident_id != other.incident_id and one.category is not None and one.category == other.category
            and one.site_id == other.site_id and abs(one.occurred_at - other.occurred_at) <= REPEAT_WINDOW)


def repeats_of(one: CauseAt, others: Iterable[CauseAt]) -> list[CauseAt]:
    """The other incidents `one` repeats (or that repeat it), nearest in time first."""
    found = [other for other in others if is_repeat(one, other)]
    return sorted(found, key=lambda other: abs(one.occurred_at - other.occurred_at))


def repeat_words(reference: str, this: datetime, other: datetime) -> str:
    """"Repeat: INC-000012 had the same cause here 12 days ago" (or "…later", for the incident repeated)."""
    days = abs(this - other).days
    if days == 0:
        when = "the same day"
    else:
        when = f"{days} day{'s' if days != 1 else ''} {'ago' if other < this else 'later'}"
    return f"Repeat: {reference} had the same cause here {when}"


# --- Blameless wording ------------------------------------------------------------------------------------

BLAME_WORDS = {
    "careless": "describe what made the slip likely, not the person",
    "blame": "a blameless review looks for causes, not culprits",
    "fault": "say which condition allowed it rather than whose fault it was",
    "negligent": "describe the gap in the system that allowed it",
    "should have": "describe what made the other choice hard or unlikely at the time",
    "failed to": "describe what was missing (a check, a prompt, time) rather than a failure of a person",
    "human error": "ask what made the error possible and what would catch it next time",
}
_BLAME = re.compile(r"\b(" + "|".join(re.escape(w) for w in BLAME_WORDS) + r")\b", re.IGNORECASE)


@dataclass(frozen=True)
class Hint:
    field: str
    phrase: str
    hint: str

    def to_json(self) -> dict:
        return {"field": self.field, "phrase": self.phrase, "hint": self.hint}


def wording_hints(texts: dict[str, str], names: Iterable[str] = (), name_fields: Iterable[str] = ()) -> list[Hint]:
    """Blame words in any of `texts` (field -> text), and people's names in the `name_fields` (the
    causes). A warning for the author, never a refusal."""
    hints: list[Hint] = []
    for field_name, text in texts.items():
        seen = set()
        for match in _BLAME.finditer(text or ""):
            word = match.group(1).lower()
            if word not in seen:
                seen.add(word)
                hints.append(Hint(field_name, match.group(1), f"“{match.group(1)}”: {BLAME_WORDS[word]}."))
    patterns = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        parts = [name] + [part for part in name.split() if len(part) >= 3 and part[0].isupper()]
        patterns += [(name, part) for part in dict.fromkeys(parts)]
    for field_name in name_fields:
        text = texts.get(field_name) or ""
        for name, part in patterns:
            if re.search(r"\b" + re.escape(part) + r"\b", text):
                hints.append(Hint(field_name, part, f"“{part}” names a person ({name}): describe the role and "
                                                    "the conditions instead, so the review stays blameless."))
                break
    return hints


def relies_on_weak_controls(controls: Iterable[str]) -> bool:
    """True when there are actions and every one is administrative or PPE: the weakest controls."""
    controls = list(controls)
    return bool(controls) and all(c in WEAK_CONTROLS for c in controls)


# --- Shapes ---------------------------------------------------------------------------------------------------

def _text(value: Any, key: str, limit: int, errors: dict, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[key] = "must be text"
        return ""
    value = value.strip()
    if required and not value:
        errors[key] = "is required"
    elif len(value) > limit:
        errors[key] = f"must be at most {limit} characters (it has {len(value)})"
    return value


def _lines(value: Any, key: str, errors: dict, limit: int = MAX_ITEMS) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors[key] = "must be a list of text"
        return []
    lines = [v.strip() for v in value if v.strip()]
    if len(lines) > limit:
        errors[key] = f"at most {limit} items"
    elif any(len(v) > MAX_LINE for v in lines):
        errors[key] = f"each item must be at most {MAX_LINE} characters"
    return lines


def _only(raw: Any, allowed: Iterable[str]) -> dict:
    if not isinstance(raw, dict):
        raise Invalid({"": "send a JSON object"})
    unknown = sorted(set(raw) - set(allowed))
    if unknown:
        raise Invalid({k: "is not a field here" for k in unknown})
    return raw


INVESTIGATION_FIELDS = ("whys", "immediate_causes", "underlying_causes", "root_cause", "root_cause_category",
                        "contributing_factors", "witness_statements")


def validate_investigation(raw: Any, now: datetime) -> dict:
    """An investigation as the API and the page send it; Invalid names each bad field. A field not sent
    is left as it is (the caller merges)."""
    raw = _only(raw, INVESTIGATION_FIELDS)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    if "whys" in raw:
        clean["whys"] = _lines(raw["whys"], "whys", errors, MAX_WHYS)
        if "whys" in errors and "at most" in errors["whys"]:
            errors["whys"] = f"a 5 Whys chain has at most {MAX_WHYS} answers"
    for key in ("immediate_causes", "underlying_causes"):
        if key in raw:
            clean[key] = _lines(raw[key], key, errors)
    if "root_cause" in raw:
        clean["root_cause"] = _text(raw["root_cause"], "root_cause", MAX_TEXT, errors)
    if "root_cause_category" in raw:
        category = raw["root_cause_category"]
        if category in (None, ""):
            clean["root_cause_category"] = None
        elif not isinstance(category, str) or category not in ROOT_CAUSE_CATEGORIES:
            errors["root_cause_category"] = f"must be one of: {', '.join(ROOT_CAUSE_CATEGORIES)}"
        else:
            clean["root_cause_category"] = category
    if "contributing_factors" in raw:
        # A checklist code, or free text for a factor the list does not have.
        clean["contributing_factors"] = list(dict.fromkeys(_lines(raw["contributing_factors"],
                                                                  "contributing_factors", errors)))
    if "witness_statements" in raw:
        clean["witness_statements"] = _statements(raw["witness_statements"], now, errors)
    if errors:
        raise Invalid(errors)
    return clean


def validate_statement(raw: Any, now: datetime, errors: dict, key: str = "witness_statements") -> dict | None:
    if not isinstance(raw, dict) or set(raw) - {"name", "taken_at", "statement"}:
        errors[key] = "each statement is {name, taken_at, statement}"
        return None
    name = _text(raw.get("name"), key, 200, errors, required=True)
    statement = _text(raw.get("statement"), key, MAX_TEXT, errors, required=True)
    if key in errors:
        errors[key] = f"a statement's name and statement {errors[key]}"
        return None
    if raw.get("taken_at") in (None, ""):  # not said: now for a new statement, as it was for a known one
        return {"name": name, "taken_at": None, "statement": statement}
    try:
        taken = parse_datetime(raw.get("taken_at"))
    except ValueError as bad:
        errors[key] = f"taken_at {bad}"
        return None
    if taken > now + timedelta(hours=1):
        errors[key] = "taken_at cannot be in the future"
        return None
    taken = min(taken, now)  # a device clock a little fast: the statement is not lost over it
    return {"name": name, "taken_at": taken.astimezone(UTC).isoformat(), "statement": statement}


def _statements(value: Any, now: datetime, errors: dict) -> list[dict]:
    if not isinstance(value, list):
        errors["witness_statements"] = "must be a list of {name, taken_at, statement}"
        return []
    if len(value) > MAX_STATEMENTS:
        errors["witness_statements"] = f"at most {MAX_STATEMENTS} statements"
        return []
    clean = [validate_statement(item, now, errors) for item in value]
    return [] if "witness_statements" in errors else clean


REVIEW_TEXTS = ("summary", "impact", "what_went_well", "what_went_poorly", "where_we_got_lucky")
REVIEW_FIELDS = REVIEW_TEXTS + ("lessons", "timeline")


def validate_review(raw: Any) -> dict:
    """A review's text as sent; a field not sent is left as it is. `timeline` is the edited excerpt:
    a list of {at, text}."""
    raw = _only(raw, REVIEW_FIELDS)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {k: _text(raw[k], k, MAX_TEXT, errors) for k in REVIEW_TEXTS if k in raw}
    if "lessons" in raw:
        clean["lessons"] = _lines(raw["lessons"], "lessons", errors)
    if "timeline" in raw:
        clean["timeline"] = _timeline(raw["timeline"], errors)
    if errors:
        raise Invalid(errors)
    return clean


def _timeline(value: Any, errors: dict) -> list[dict]:
    if not isinstance(value, list) or len(value) > 200:
        errors["timeline"] = "must be a list of at most 200 {at, text}"
        return []
    clean = []
    for item in value:
        if not isinstance(item, dict) or set(item) - {"at", "text"} or not isinstance(item.get("text"), str):
            errors["timeline"] = "each entry is {at, text}"
            return []
        try:
            at = parse_datetime(item.get("at"))
        except ValueError as bad:
            errors["timeline"] = f"an entry's at {bad}"
            return []
        text = item["text"].strip()
        if not text or len(text) > MAX_LINE:
            errors["timeline"] = f"each entry's text is 1 to {MAX_LINE} characters"
            return []
        clean.append({"at": at.isoformat(), "text": text})
    return sorted(clean, key=lambda e: e["at"])


ACTION_FIELDS = ("title", "owner_id", "due_date", "priority", "control", "completion_criteria", "external_ref")


def validate_action(raw: Any, today: date, partial: bool = False) -> dict:
    """A corrective action as sent. `owner_id` is checked to be a number here; that it is a person, by
    the caller. A due date may not be in the past (at the site, today is allowed)."""
    raw = _only(raw, ACTION_FIELDS)
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    needed = () if partial else ("title", "owner_id", "due_date", "control")
    for key in needed:
        if raw.get(key) in (None, ""):
            errors[key] = "is required"
    if raw.get("title") not in (None, "") or "title" in raw and not partial:
        clean["title"] = _text(raw.get("title"), "title", MAX_TITLE, errors, required=True)
    if raw.get("owner_id") not in (None, ""):
        owner = raw["owner_id"]
        if isinstance(owner, str) and re.fullmatch(r"[0-9]{1,10}", owner):
            owner = int(owner)
        if isinstance(owner, bool) or not isinstance(owner, int) or not 0 < owner < 2**31:
            errors["owner_id"] = "must be a person's id (a whole number)"
        else:
            clean["owner_id"] = owner
    if raw.get("due_date") not in (None, ""):
        text = raw["due_date"]
        due = None
        if isinstance(text, str) and re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            try:
                due = date.fromisoformat(text)
            except ValueError:  # 2026-02-30
                pass
        if due is None:
            errors["due_date"] = "must be a date: YYYY-MM-DD"
        elif due < today:
            errors["due_date"] = "cannot be in the past"
        else:
            clean["due_date"] = due
    if "priority" in raw:
        if not isinstance(raw["priority"], str) or raw["priority"] not in PRIORITIES:
            errors["priority"] = f"must be one of: {', '.join(PRIORITIES)}"
        else:
            clean["priority"] = raw["priority"]
    elif not partial:
        clean["priority"] = "medium"
    if raw.get("control") not in (None, ""):
        if not isinstance(raw["control"], str) or raw["control"] not in CONTROLS:
            errors["control"] = f"must be one of: {', '.join(CONTROLS)}"
        else:
            clean["control"] = raw["control"]
    if "completion_criteria" in raw:
        clean["completion_criteria"] = _text(raw["completion_criteria"], "completion_criteria", MAX_LINE, errors)
    if "external_ref" in raw:
        ref = _text(raw["external_ref"], "external_ref", 500, errors)
        if ref and not re.match(r"^(https?://\S+|[A-Za-z][\w.-]*-\d+)$", ref):
            errors["external_ref"] = "must be a ticket link (https://…) or a ticket key such as OPS-123"
        clean["external_ref"] = ref or None
    if errors:
        raise Invalid(errors)
    return clean
