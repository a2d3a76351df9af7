"""Which follow-up questions a report needs, from the answers so far. Pure.

The form shows "What happened?" first; each answer opens only the questions it calls for.
"""
from __future__ import annotations

from typing import Any

# Answers that open or close other questions: the form re-asks the server when they change.
GUIDING_KEYS = ("what_happened", "injured_person", "treatment", "personal_data", "ransomware", "ransom_paid")


def follow_up_keys(answers: dict[str, Any]) -> list[str]:
    """The follow-up question keys to show, in the order to ask them."""
    chosen = set(answers.get("what_happened", []))
    keys: list[str] = []
    if "injury" in chosen:
        keys += ["injured_person", "treatment"]
        if answers.get("treatment") not in (None, "none"):
            keys.append("injuries")
        if answers.get("injured_person") == "public":
            keys.append("taken_to_hospital_from_scene")
        elif answers.get("injured_person") in ("worker", "contractor"):
            keys.append("days_unfit_for_work")
    if "dangerous_event" in chosen:
        keys.append("dangerous_events")
    if chosen & {"data_breach", "security"}:
        keys.append("personal_data")
        if answers.get("personal_data") in ("yes", "unknown"):
            keys += ["people_affected", "data_encrypted", "harm_contained", "likely_serious_harm"]
    if "security" in chosen:
        keys.append("ransomware")
        if answers.get("ransomware"):
            keys.append("ransom_paid")
            if answers.get("ransom_paid"):
                keys.append("ransom_paid_at")
    if chosen & {"service_outage", "security"}:
        keys += ["service_impact", "essential_service_disrupted"]
    if "environmental" in chosen:
        keys += ["spill_litres", "reached_drain_or_waterway", "environmental_harm"]
    return keys


ALWAYS = ("client_id", "occurred_at", "submitted_at", "description", "site", "location", "what_happened",
          "confidential")


def prune(answers: dict[str, Any]) -> dict[str, Any]:
    """Drop answers to questions the final answers no longer ask (a box ticked, then unticked)."""
    keep = set(ALWAYS) | set(follow_up_keys(answers))
    return {k: v for k, v in answers.items() if k in keep}
