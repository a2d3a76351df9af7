"""Which follow-up questions a report needs, from the answers so far. Pure.

One table, SHOW_WHEN, says when each follow-up question is asked: every listed answer must hold one
of the listed values (for a list answer, any of its items). The page gets the same table as data
attributes and shows or hides questions itself, so the guided form works with no signal; the server
uses it to drop answers to questions that were not asked.
"""
from __future__ import annotations

import json
from typing import Any

TREATED = ["first_aid", "medical", "emergency_discharged", "hospital_admitted", "fatality"]
CYBER = ["data_breach", "security"]
DATA = ["yes", "unknown"]
POTENTIAL = ["near_miss", "hazard", "dangerous_event"]  # what asks "what could have happened?"

# In the order the questions are asked.
SHOW_WHEN: dict[str, dict[str, list]] = {
    "injured_person": {"what_happened": ["injury"]},
    "treatment": {"what_happened": ["injury"]},
    "injuries": {"what_happened": ["injury"], "treatment": TREATED},
    "taken_to_hospital_from_scene": {"what_happened": ["injury"], "injured_person": ["public"]},
    "days_unfit_for_work": {"what_happened": ["injury"], "injured_person": ["worker", "contractor"]},
    "dangerous_events": {"what_happened": ["dangerous_event"]},
    "worst_credible_outcome": {"what_happened": POTENTIAL},
    "personal_data": {"what_happened": CYBER},
    "people_affected": {"what_happened": CYBER, "personal_data": DATA},
    "data_encrypted": {"what_happened": CYBER, "personal_data": DATA},
    "harm_contained": {"what_happened": CYBER, "personal_data": DATA},
    "likely_serious_harm": {"what_happened": CYBER, "personal_data": DATA},
    "ransomware": {"what_happened": ["security"]},
    "ransom_paid": {"what_happened": ["security"], "ransomware": [True]},
    "ransom_paid_at": {"what_happened": ["security"], "ransomware": [True], "ransom_paid": [True]},
    "service_impact": {"what_happened": ["service_outage", "security"]},
    "essential_service_disrupted": {"what_happened": ["service_outage", "security"]},
    "spill_litres": {"what_happened": ["environmental"]},
    "reached_drain_or_waterway": {"what_happened": ["environmental"]},
    "environmental_harm": {"what_happened": ["environmental"]},
}
ALWAYS = ("client_id", "occurred_at", "submitted_at", "description", "site", "location", "what_happened",
          "confidential")


def _holds(answer: Any, allowed: list) -> bool:
    values = answer if isinstance(answer, list) else [answer]
    return any(v in allowed for v in values)


def asked(key: str, answers: dict[str, Any]) -> bool:
    return all(_holds(answers.get(k), allowed) for k, allowed in SHOW_WHEN[key].items())


def follow_up_keys(answers: dict[str, Any]) -> list[str]:
    """The follow-up question keys to show, in the order to ask them."""
    return [key for key in SHOW_WHEN if asked(key, answers)]


def show_when_attribute(key: str) -> str:
    """The condition as the page reads it: booleans as the form's yes/no words."""
    words = {k: ["yes" if v is True else "no" if v is False else v for v in allowed]
             for k, allowed in SHOW_WHEN[key].items()}
    return json.dumps(words, separators=(",", ":"))


def unasked(answers: dict[str, Any]) -> dict[str, str]:
    """Answers to follow-up questions these answers do not ask, each with when it is asked. The form
    drops such answers (a box ticked, then unticked, hides its questions); the API refuses them, so the
    same answers always make the same incident whichever way they come."""
    def when(key: str) -> str:
        return "; ".join(f"{k} is {' or '.join(str(v).lower() for v in allowed)}"
                         for k, allowed in SHOW_WHEN[key].items())
    return {k: f"is not asked with these answers (only when {when(k)}): leave it out"
            for k in answers if k in SHOW_WHEN and not asked(k, answers)}


def prune(answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers to questions the final answers no longer ask (a box ticked, then unticked)."""
    keep = set(ALWAYS) | set(follow_up_keys(answers))
    return {k: v for k, v in answers.items() if k in keep}
