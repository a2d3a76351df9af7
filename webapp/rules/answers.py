"""The report's answer keys (REFERENCE section 5) and their validation. No Flask here.

One table, ANSWER_KEYS, says what each key takes; validate_report() checks a dict of answers against
it and returns clean values plus an error message per bad key. The HTML form and the JSON API both
end up here, so a rule is written once.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..common.errors import Invalid

JURISDICTIONS = ("AU-NSW", "AU-QLD", "AU-VIC", "AU-WA", "AU-SA", "AU-TAS", "AU-ACT", "AU-NT", "UK", "EU")

WHAT_HAPPENED = {
    "injury": "Someone was hurt or fell ill",
    "near_miss": "Near miss: it nearly happened",
    "hazard": "A hazard I spotted",
    "dangerous_event": "Dangerous event: fire, escape, collapse…",
    "property_damage": "Property or equipment damaged",
    "environmental": "Spill or harm to the environment",
    "security": "Security: break-in, cyber attack",
    "data_breach": "Personal data lost or exposed",
    "service_outage": "A service or system is down",
    "other": "Something else",
}
INJURED_PERSON = {"worker": "A worker", "contractor": "A contractor", "public": "A member of the public"}
TREATMENT = {
    "none": "No treatment",
    "first_aid": "First aid",
    "medical": "Seen by a GP or doctor",
    "emergency_discharged": "Hospital emergency, sent home the same day",
    "hospital_admitted": "Admitted to hospital",
    "fatality": "Died",
}
INJURIES = {
    "amputation": "Amputation",
    "serious_head": "Serious head injury",
    "serious_eye": "Serious eye injury",
    "serious_burn": "Serious burn",
    "degloving_scalping": "Degloving or scalping",
    "spinal": "Spinal injury",
    "loss_of_bodily_function": "Loss of a bodily function",
    "serious_laceration": "Serious cut (laceration)",
    "fracture": "Broken bone (not finger, thumb or toe)",
    "fracture_digit": "Broken finger, thumb or toe",
    "crush_head_torso": "Crush injury to head or torso",
    "loss_of_consciousness": "Loss of consciousness",
    "substance_exposure": "Exposure to a substance (treated within 48 h)",
}
DANGEROUS_EVENTS = {
    "substance_escape": "A substance escaped, spilled or leaked",
    "fire_explosion": "Fire or explosion",
    "gas_steam_escape": "Gas or steam escaped",
    "pressurised_escape": "Pressurised substance escaped",
    "electric_shock": "Electric shock (above extra-low voltage)",
    "fall_from_height": "Something fell or was released from height",
    "plant_failure": "Plant collapsed, overturned or failed",
    "structure_collapse": "A structure collapsed",
    "excavation_collapse": "An excavation collapsed",
    "underground_inrush": "Inrush of water, mud or gas underground",
    "ventilation_loss": "Ventilation lost underground",
}
YES_NO_UNKNOWN = {"no": "No", "yes": "Yes", "unknown": "Not known yet"}
# What could realistically have happened (REFERENCE section 5), asked of near misses, hazards and dangerous events.
WORST_CREDIBLE_OUTCOME = {
    "none": "Nobody would have been hurt",
    "first_aid": "A first-aid injury",
    "medical": "An injury needing a doctor",
    "serious_injury": "A serious injury (hospital admission or a notifiable injury)",
    "fatality": "Someone could have died",
}
SERVICE_IMPACT = {
    "none": "No impact",
    "single_user": "One user",
    "team": "A team",
    "site": "A whole site",
    "organisation": "The whole organisation",
}


@dataclass(frozen=True)
class Key:
    """One answer key: its kind, its allowed values (for choices), and its question."""

    kind: str  # text, uuid, datetime, site, location, choice, multi, int, number, bool
    question: str
    choices: dict[str, str] = field(default_factory=dict)
    minimum: float | None = None
    maximum: float | None = None


ANSWER_KEYS: dict[str, Key] = {
    "client_id": Key("uuid", "Device's report id"),
    "occurred_at": Key("datetime", "When did it happen?"),
    "submitted_at": Key("datetime", "When was Submit tapped?"),
    "description": Key("text", "Describe what happened", minimum=1, maximum=5000),
    "site": Key("site", "Where?"),
    "location": Key("location", "Location"),
    "what_happened": Key("multi", "What happened?", WHAT_HAPPENED),
    "injured_person": Key("choice", "Who was hurt?", INJURED_PERSON),
    "treatment": Key("choice", "What treatment did they need?", TREATMENT),
    "injuries": Key("multi", "Which injuries?", INJURIES),
    "days_unfit_for_work": Key("int", "Days they are expected to be unfit for work", minimum=0, maximum=3650),
    "taken_to_hospital_from_scene": Key("bool", "Taken to hospital from the scene?"),
    "dangerous_events": Key("multi", "What kind of dangerous event?", DANGEROUS_EVENTS),
    "personal_data": Key("choice", "Was personal data involved?", YES_NO_UNKNOWN),
    "people_affected": Key("int", "How many people's data?", minimum=0, maximum=10_000_000_000),
    "data_encrypted": Key("bool", "Was the data encrypted?"),
    "harm_contained": Key("bool", "Has the harm been contained (data wiped, recipient deleted it)?"),
    "likely_serious_harm": Key("choice", "Could it cause someone serious harm?", YES_NO_UNKNOWN),
    "ransomware": Key("bool", "Is it ransomware?"),
    "ransom_paid": Key("bool", "Was a ransom paid?"),
    "ransom_paid_at": Key("datetime", "When was the ransom paid?"),
    "service_impact": Key("choice", "Who is affected?", SERVICE_IMPACT),
    "essential_service_disrupted": Key("bool", "Is an essential service disrupted?"),
    "spill_litres": Key("number", "About how many litres?", minimum=0, maximum=1e9),
    "reached_drain_or_waterway": Key("bool", "Did it reach a drain or waterway?"),
    "environmental_harm": Key("bool", "More than trivial harm, or clean-up over A$10,000?"),
    "worst_credible_outcome": Key("choice", "What could realistically have happened?", WORST_CREDIBLE_OUTCOME),
    "confidential": Key("bool", "Confidential (a people matter)"),
}

REQUIRED = ("description", "what_happened")
# Keys kept on the incident's own columns rather than in its answers.
ENVELOPE = ("client_id", "occurred_at", "submitted_at", "description", "site", "location", "confidential")

CLOCK_SKEW = timedelta(minutes=5)


@dataclass
class Report:
    """A validated report, ready to become an incident."""

    client_id: str
    occurred_at: datetime
    submitted_at: datetime | None
    description: str
    site: str
    location: dict | None
    confidential: bool
    answers: dict[str, Any]


ReportInvalid = Invalid  # the name the reporting code reads best with


def _check(key: str, spec: Key, value: Any, site_codes: set[str]) -> Any:
    """Return the clean value of one key or raise ValueError with a message for the user."""
    kind = spec.kind
    if kind == "text":
        if not isinstance(value, str):
            raise ValueError("must be text")
        value = value.strip()
        if "\x00" in value:
            raise ValueError("contains a NUL character, which text cannot hold")
        if len(value) < spec.minimum:
            raise ValueError("is required")
        if len(value) > spec.maximum:
            raise ValueError(f"must be at most {int(spec.maximum)} characters (it has {len(value)})")
        return value
    if kind == "uuid":
        try:
            return str(uuid.UUID(str(value)))
        except (ValueError, TypeError, AttributeError):
            raise ValueError("must be a UUID") from None
    if kind == "datetime":
        return parse_datetime(value)
    if kind == "site":
        if not isinstance(value, str) or value not in site_codes:
            raise ValueError(f"unknown site {value!r}")
        return value
    if kind == "location":
        return _location(value)
    if kind == "choice":
        if not isinstance(value, str) or value not in spec.choices:
            raise ValueError(f"must be one of: {', '.join(spec.choices)}")
        return value
    if kind == "multi":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("must be a list of values")
        bad = [v for v in value if v not in spec.choices]
        if bad:
            raise ValueError(f"{bad[0]!r} is not one of: {', '.join(spec.choices)}")
        return [choice for choice in spec.choices if choice in value]  # canonical order, no repeats
    if kind == "bool":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind in ("int", "number"):
        ok = isinstance(value, int) if kind == "int" else isinstance(value, (int, float))
        if isinstance(value, bool) or not ok:
            raise ValueError("must be a whole number" if kind == "int" else "must be a number")
        if value != value or not spec.minimum <= value <= spec.maximum:
            raise ValueError(f"must be between {spec.minimum:g} and {spec.maximum:g}")
        return value
    raise AssertionError(f"unknown kind {kind}")  # a programming error, not bad input


def parse_datetime(value: Any) -> datetime:
    """An ISO 8601 timestamp with an offset; raise ValueError otherwise."""
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 date and time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("must be an ISO 8601 date and time, such as 2026-03-01T09:30:00+10:00") from None
    if parsed.tzinfo is None:
        raise ValueError("needs a UTC offset, such as +10:00 or Z")
    return parsed


def _location(value: Any) -> dict | None:
    if value is None:
        return None
    if not isinstance(value, dict) or set(value) - {"lat", "lon", "accuracy_m"}:
        raise ValueError("must be {lat, lon, accuracy_m}")
    clean = {}
    for part, low, high in (("lat", -90, 90), ("lon", -180, 180), ("accuracy_m", 0, 1e7)):
        number = value.get(part)
        if number is None and part == "accuracy_m":
            continue
        if isinstance(number, bool) or not isinstance(number, (int, float)) or not low <= number <= high:
            raise ValueError(f"{part} must be a number between {low:g} and {high:g}")
        clean[part] = float(number)
    return clean


def validate_report(raw: Any, *, now: datetime, site_codes: set[str], default_site: str | None) -> Report:
    """Check a report's answers; return a Report or raise ReportInvalid naming each bad key."""
    if not isinstance(raw, dict):
        raise ReportInvalid({"": "the report must be a JSON object"})
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in raw.items():
        spec = ANSWER_KEYS.get(key)
        if spec is None:
            errors[key] = "is not a known answer key"
            continue
        if value is None or value == "" or value == []:
            continue  # not given counts as no/none
        try:
            clean[key] = _check(key, spec, value, site_codes)
        except ValueError as exc:
            errors[key] = str(exc)
    for key in REQUIRED:
        if key not in clean and key not in errors:
            errors[key] = "is required" if key == "description" else "choose at least one"
    if errors:
        raise ReportInvalid(errors)

    site = clean.get("site", default_site)
    occurred_at = clean.get("occurred_at", now)
    submitted_at = clean.get("submitted_at")
    late = {}
    if site is None:
        late["site"] = "is required (you have no home site)"
    if occurred_at > now + CLOCK_SKEW:
        late["occurred_at"] = "cannot be in the future"
    if submitted_at is not None:
        if submitted_at > now + CLOCK_SKEW:
            late["submitted_at"] = "cannot be after the server received the report"
        elif submitted_at < occurred_at:
            late["submitted_at"] = "cannot be before occurred_at"
        submitted_at = min(submitted_at, now)
    if "ransom_paid_at" in clean and clean["ransom_paid_at"] > now + CLOCK_SKEW:
        late["ransom_paid_at"] = "cannot be in the future"
    if late:
        raise ReportInvalid(late, status=422)

    return Report(
        client_id=clean.get("client_id") or str(uuid.uuid4()),
        occurred_at=min(occurred_at, now),
        submitted_at=submitted_at,
        description=clean["description"],
        site=site,
        location=clean.get("location"),
        confidential=clean.get("confidential", False),
        # Answers are kept as JSON: a time (ransom_paid_at) as ISO 8601 text.
        answers={k: v.isoformat() if isinstance(v, datetime) else v for k, v in clean.items() if k not in ENVELOPE},
    )


def describe_answers(answers: dict[str, Any]) -> list[tuple[str, str]]:
    """The answers as (question, answer in words) pairs, in the order of the question table."""
    rows = []
    for key, spec in ANSWER_KEYS.items():
        if key not in answers or key in ENVELOPE:
            continue
        value = answers[key]
        if spec.kind == "multi":
            text = ", ".join(spec.choices.get(v, v) for v in value)
        elif spec.kind == "choice":
            text = spec.choices.get(value, value)
        elif spec.kind == "bool":
            text = "Yes" if value else "No"
        elif spec.kind == "number":
            text = f"{value:g}"
        else:
            text = str(value)
        rows.append((spec.question, text))
    return rows
