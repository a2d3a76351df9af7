"""Validation of sites and the organisation profile. Pure."""
from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from typing import Any
from zoneinfo import available_timezones

from ..common.errors import Invalid
from ..rules.answers import JURISDICTIONS

PROFILE_FLAGS = ("privacy_act_covered", "apra_regulated", "soci_entity", "gdpr_controller", "nis_operator",
                 "nis2_entity", "customer_contract")
SITE_KEYS = ("code", "name", "jurisdiction", "timezone")


@lru_cache(maxsize=1)
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def known_zone(name: str) -> str:
    """`name` if it is an IANA time zone; ValueError otherwise (a declared field's check)."""
    if name not in _zones():
        raise ValueError("must be an IANA time zone such as Australia/Sydney")
    return name


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("is required")
    if len(value.strip()) > limit:
        raise ValueError(f"must be at most {limit} characters")
    return value.strip()


def validate_site(data: Any, taken_codes: set[str], partial: bool = False) -> dict[str, str]:
    """Clean site fields or raise Invalid naming each bad key (409 for a code already in use)."""
    if not isinstance(data, dict):
        raise Invalid({"": "send a JSON object"})
    errors, clean = {k: "is not a site field" for k in data if k not in SITE_KEYS}, {}
    for key in SITE_KEYS:
        if key not in data:
            if not partial:
                errors[key] = "is required"
            continue
        value = data[key]
        try:
            if key == "code":
                code = _text(value, 20).upper()
                if not all(c.isalnum() or c == "-" for c in code):
                    raise ValueError("may use only letters, digits and '-'")
                clean[key] = code
            elif key == "name":
                clean[key] = _text(value, 200)
            elif key == "jurisdiction":
                if value not in JURISDICTIONS:
                    raise ValueError(f"must be one of: {', '.join(JURISDICTIONS)}")
                clean[key] = value
            elif key == "timezone":
                if not isinstance(value, str) or value not in _zones():
                    raise ValueError("must be an IANA time zone such as Australia/Sydney")
                clean[key] = value
        except ValueError as exc:
            errors[key] = str(exc)
    if errors:
        raise Invalid(errors)
    if clean.get("code") in taken_codes:
        raise Invalid({"code": f"{clean['code']} is already used by another site"}, status=409)
    return clean


def validate_profile(data: Any) -> dict[str, Any]:
    """Clean organisation fields (name and profile flags) or raise Invalid naming each bad key."""
    if not isinstance(data, dict):
        raise Invalid({"": "send a JSON object"})
    errors, clean = {}, {}
    for key, value in data.items():
        if key == "name":
            try:
                clean[key] = _text(value, 200)
            except ValueError as exc:
                errors[key] = str(exc)
        elif key in PROFILE_FLAGS:
            if isinstance(value, bool):
                clean[key] = value
            else:
                errors[key] = "must be true or false"
        else:
            errors[key] = "is not an organisation field"
    if errors:
        raise Invalid(errors)
    return clean


MAX_MONTH_HOURS = 100_000_000.0  # a site of 130,000 people working every hour of a month


def parse_month(text: Any) -> date:
    """`YYYY-MM` as the first day of that month; ValueError otherwise."""
    if not isinstance(text, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}", text):
        raise ValueError("must be a month: YYYY-MM")
    year, month = int(text[:4]), int(text[5:])
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise ValueError("must be a month: YYYY-MM")
    return date(year, month, 1)


def validate_hours(value: Any) -> float:
    """Hours worked in a month: a number from 0; ValueError otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        raise ValueError("must be a number of hours")
    if not 0 <= value <= MAX_MONTH_HOURS:
        raise ValueError(f"must be between 0 and {MAX_MONTH_HOURS:,.0f}")
    return float(value)
