"""Small helpers for building reports in tests."""
from __future__ import annotations

import re
import uuid
from typing import Any


def report(**answers: Any) -> dict[str, Any]:
    """A valid JSON report with a fresh client_id; keyword answers override or add keys."""
    body = {"client_id": str(uuid.uuid4()), "description": "Forklift clipped a racking upright",
            "what_happened": ["property_damage"]}
    body.update(answers)
    return body


def form_report(**fields: Any) -> dict[str, Any]:
    """A valid HTML form post for the report form."""
    data = {"client_id": str(uuid.uuid4()), "description": "Slipped on wet floor in the wash bay",
            "what_happened": ["injury"], "injured_person": "worker", "treatment": "first_aid",
            "site": "SYD", "occurred_at": "2026-01-10T09:30"}
    data.update(fields)
    return data


def input_tag(html: str, name: str, value: str | None = None) -> str:
    """The <input> tag with this name (and value); fails the test if there is none."""
    value_part = rf'[^>]*value="{re.escape(value)}"' if value is not None else ""
    match = re.search(rf'<input[^>]*name="{re.escape(name)}"{value_part}[^>]*>', html, re.S)
    assert match, f"no input {name}={value} in the page"
    return match.group(0)


def is_checked(html: str, name: str, value: str) -> bool:
    return bool(re.search(r"\schecked\b", input_tag(html, name, value)))
