"""Classification: answers -> categories, severity P1-P4 and the reasons in words. Pure.

Severity rules are rows (severity, test). A test returns the reasons it matched, in words; the
highest severity with a reason wins, and every matched reason is kept so people can see why.
Regulatory regimes are added the same way: a table of rows beside this one.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .answers import DANGEROUS_EVENTS, WORST_CREDIBLE_OUTCOME
from .injuries import notifiable_injury

SEVERITIES = ("P1", "P2", "P3", "P4")
SEVERITY_NAMES = {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"}
MAJOR_EVENTS = ("fire_explosion", "gas_steam_escape", "structure_collapse", "excavation_collapse",
                "underground_inrush")

CATEGORIES = {
    "safety": "Health and safety",
    "environment": "Environment",
    "security": "Security",
    "privacy": "Privacy and data",
    "operations": "Service and operations",
    "property": "Property and equipment",
    "other": "Other",
}
CATEGORY_OF = {
    "injury": "safety", "near_miss": "safety", "hazard": "safety", "dangerous_event": "safety",
    "environmental": "environment", "security": "security", "data_breach": "privacy",
    "service_outage": "operations", "property_damage": "property", "other": "other",
}

# REFERENCE section 2: a near miss, hazard or dangerous event that could realistically have seriously
# hurt or killed someone is high potential: at least P2, and it needs a post-incident review.
POTENTIAL_EVENTS = ("near_miss", "hazard", "dangerous_event")
HIGH_POTENTIAL_OUTCOMES = ("serious_injury", "fatality")

Test = Callable[[dict[str, Any], str], list[str]]


@dataclass(frozen=True)
class Rule:
    severity: str
    test: Test


@dataclass(frozen=True)
class Classification:
    severity: str
    categories: list[str]
    reasons: list[str]  # "P1: a person was admitted to hospital", highest first
    confidential: bool
    high_potential: bool = False


# The tests are small callable objects rather than closures made when the module loads: their logic runs
# when an incident is classified, where a test (and bench/mutation.py) can reach it.
@dataclass(frozen=True)
class When:
    """A test with a fixed reason."""

    predicate: Callable[[dict[str, Any]], bool]
    reason: str

    def __call__(self, answers: dict[str, Any], _jurisdiction: str) -> list[str]:
        return [self.reason] if self.predicate(answers) else []


@dataclass(frozen=True)
class DangerousEvents:
    """A test matching dangerous events in `names` (None: any not in MAJOR_EVENTS)."""

    names: tuple[str, ...] | None

    def __call__(self, answers: dict[str, Any], _jurisdiction: str) -> list[str]:
        chosen = answers.get("dangerous_events", [])
        hits = [e for e in chosen if (e in self.names if self.names else e not in MAJOR_EVENTS)]
        return [f"dangerous event: {DANGEROUS_EVENTS[e].lower()}" for e in hits]


def high_potential(answers: dict[str, Any]) -> str | None:
    """Why the incident is high potential, in words, or None."""
    outcome = answers.get("worst_credible_outcome")
    happened = [w for w in answers.get("what_happened", []) if w in POTENTIAL_EVENTS]
    if outcome not in HIGH_POTENTIAL_OUTCOMES or not happened:
        return None
    kind = {"near_miss": "a near miss", "hazard": "a hazard", "dangerous_event": "a dangerous event"}[happened[0]]
    return f"high potential: {kind} that could realistically have caused {_OUTCOME_WORDS[outcome]}"


_OUTCOME_WORDS = {"serious_injury": "a serious injury", "fatality": "a death"}
if not set(_OUTCOME_WORDS) == set(HIGH_POTENTIAL_OUTCOMES) <= set(WORST_CREDIBLE_OUTCOME):
    raise RuntimeError("every high-potential outcome needs its words, and must be a worst credible outcome")


def _exposed(a: dict[str, Any]) -> bool:
    return a.get("personal_data") == "yes" and not a.get("harm_contained", False)


SEVERITY_RULES: tuple[Rule, ...] = (
    Rule("P1", When(lambda a: a.get("treatment") == "fatality", "a person died")),
    Rule("P1", When(lambda a: a.get("treatment") == "hospital_admitted",
                     "a person was admitted to hospital")),
    Rule("P1", When(lambda a: a.get("ransomware", False), "ransomware")),
    Rule("P1", When(lambda a: a.get("service_impact") == "organisation",
                     "the whole organisation is affected")),
    Rule("P1", When(lambda a: a.get("essential_service_disrupted", False),
                     "an essential service is disrupted")),
    Rule("P1", DangerousEvents(MAJOR_EVENTS)),
    Rule("P1", When(lambda a: a.get("likely_serious_harm") == "yes" and a.get("personal_data") == "yes"
                     and a.get("people_affected", 0) >= 100,
                     "a data breach likely to cause serious harm to 100 or more people")),
    Rule("P2", lambda a, j: [f"notifiable injury: {r}" for r in notifiable_injury(a, j)]),
    Rule("P2", DangerousEvents(None)),
    Rule("P2", When(_exposed, "personal data exposed and the harm is not contained")),
    Rule("P2", When(lambda a: a.get("service_impact") == "site", "a whole site is affected")),
    Rule("P2", lambda a, _j: [reason] if (reason := high_potential(a)) else []),
    Rule("P2", When(lambda a: a.get("reached_drain_or_waterway", False),
                     "a spill reached a drain or waterway")),
    Rule("P3", When(lambda a: a.get("treatment") in ("medical", "emergency_discharged"),
                     "a person needed medical treatment")),
    Rule("P3", When(lambda a: a.get("service_impact") == "team", "a team is affected")),
    Rule("P3", When(lambda a: "security" in a.get("what_happened", []) and a.get("personal_data") != "yes",
                     "a security incident with no personal data exposed")),
    Rule("P3", When(lambda a: "environmental" in a.get("what_happened", []), "an environmental report")),
)
DEFAULT_REASON = "P4: nothing more serious was reported (first aid, hazard, near miss or minor impact)"


def categories(answers: dict[str, Any]) -> list[str]:
    """Categories from what happened, plus privacy when personal data is involved."""
    found = {CATEGORY_OF[w] for w in answers.get("what_happened", [])}
    if answers.get("personal_data") in ("yes", "unknown"):
        found.add("privacy")
    if answers.get("ransomware"):
        found.add("security")
    return [c for c in CATEGORIES if c in found]


def classify(answers: dict[str, Any], jurisdiction: str, confidential: bool = False) -> Classification:
    """Severity, categories and reasons for a report's answers at a site in `jurisdiction`."""
    reasons: list[str] = []
    severity = "P4"
    for rule in SEVERITY_RULES:
        matched = rule.test(answers, jurisdiction)
        if matched:
            severity = min(severity, rule.severity)
            reasons += [f"{rule.severity}: {reason}" for reason in matched]
    cats = categories(answers)
    return Classification(
        severity=severity,
        categories=cats,
        reasons=reasons or [DEFAULT_REASON],
        confidential=confidential or "privacy" in cats,
        high_potential=high_potential(answers) is not None,
    )

