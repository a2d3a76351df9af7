"""Regulatory notification regimes as data (REFERENCE section 6), and the pure function that turns an
incident's facts into obligations with deadlines.

One `Regime` per row of the table: when it applies (a function returning the reasons in words, empty
when it does not apply) and its steps. Each step has a deadline rule and, where the table says so, a
condition under which it is not required. Defaults summarised from the published rules: not legal
advice; an administrator reviews them in the app (Admin -> Regulatory rules).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..common.calendar import add_business_days, add_local_days, add_months
from ..rules.answers import DANGEROUS_EVENTS
from ..rules.injuries import riddor_reportable, whs_notifiable

DISCLAIMER = ("These obligations are defaults summarised from the published rules. They are not legal "
              "advice: check each one against the regulator's own guidance.")


@dataclass(frozen=True)
class Facts:
    """What the rules read: the report's answers and the incident's place and clocks."""

    answers: dict[str, Any]
    jurisdiction: str
    timezone: str
    profile: dict[str, bool]
    aware_at: datetime
    occurred_at: datetime
    severity: str = "P4"
    events: dict[str, datetime] = field(default_factory=dict)  # "AU-WHS:regulator_asked" -> when

    def said(self, key: str) -> Any:
        return self.answers.get(key)

    def happened(self, *kinds: str) -> bool:
        return any(k in self.answers.get("what_happened", []) for k in kinds)


@dataclass(frozen=True)
class Rule:
    """A deadline rule. kind: immediately, minutes, hours, days (calendar, local), business_days, months,
    practicable (no fixed time, urgent), until (no deadline: lasts until done), keep (record keeping)."""

    kind: str
    amount: int = 0
    start: str = "aware_at"  # aware_at, occurred_at, ransom_paid_at, or an event name
    words: str = ""

    def describe(self) -> str:
        return self.words or {
            "immediately": "immediately (due when the organisation became aware)",
            "minutes": f"within {self.amount} min of {START_WORDS.get(self.start, self.start)}",
            "hours": f"within {self.amount} h of {START_WORDS.get(self.start, self.start)}",
            "days": f"within {self.amount} days of {START_WORDS.get(self.start, self.start)}",
            "business_days": f"within {self.amount} business day{'s' if self.amount != 1 else ''}",
            "months": (f"within {self.amount} month{'s' if self.amount != 1 else ''} of "
                       f"{START_WORDS.get(self.start, self.start)}"),
            "practicable": "as soon as practicable (no fixed time: treat as urgent)",
            "until": "until it is released",
            "keep": f"keep for {self.amount} years",
        }[self.kind]


START_WORDS = {"aware_at": "becoming aware", "occurred_at": "the incident", "ransom_paid_at": "paying the ransom",
               "regulator_asked": "the regulator asking", "notification": "the notification being made"}
EVENTS = {"regulator_asked": "the regulator asks for written notice",
          "notification": "the notification is made"}


@dataclass(frozen=True)
class Step:
    key: str
    what: str
    rule: Rule
    not_required: Callable[[Facts], str | None] = lambda facts: None
    waits: Callable[[Facts], str | None] = lambda facts: None  # a decision still to be made


@dataclass(frozen=True)
class Regime:
    id: str
    name: str
    applies_when: str  # the table's words, for the admin's review
    reasons: Callable[[Facts], list[str]]
    steps: Callable[[Facts], tuple[Step, ...]]


@dataclass(frozen=True)
class Planned:
    """One obligation as the rules see it now."""

    regime: str
    step: str
    what: str
    rule: str
    deadline: datetime | None
    urgent: bool
    waiting_for: str | None
    not_required: str | None
    reasons: tuple[str, ...]


# ---- who is notifiable: helpers reading the answers ----

def _au(facts: Facts) -> bool:
    return facts.jurisdiction.startswith("AU-")


def _dangerous(facts: Facts, label: str) -> list[str]:
    return [f"{DANGEROUS_EVENTS[e].lower()} is {label}" for e in facts.answers.get("dangerous_events", [])]


def _whs(facts: Facts) -> list[str]:
    return whs_notifiable(facts.answers) + _dangerous(facts, "a dangerous incident (WHS s37)")


def _personal_data(facts: Facts, *values: str) -> bool:
    return facts.said("personal_data") in values


def _serious_harm_decided(facts: Facts, what: str) -> str | None:
    if facts.said("likely_serious_harm") == "no":
        return f"serious harm is not likely, so {what} is not required"
    return None


def _serious_harm_open(facts: Facts) -> str | None:
    if facts.said("likely_serious_harm") in (None, "unknown"):
        return "the assessment of whether serious harm is likely"
    return None


def _soci_level(facts: Facts) -> str | None:
    if not (facts.profile.get("soci_entity") and facts.happened("security")):
        return None
    if facts.said("essential_service_disrupted") or facts.said("service_impact") == "organisation":
        return "significant"
    if facts.said("service_impact") in ("site", "team"):
        return "relevant"
    return None


def _riddor(facts: Facts) -> list[str]:
    return riddor_reportable(facts.answers) + _dangerous(facts, "a dangerous occurrence")


def _riddor_over_seven_days_only(facts: Facts) -> bool:
    reasons = _riddor(facts)
    return bool(reasons) and all("more than 7 days" in r for r in reasons)


def _gdpr_applies(facts: Facts) -> bool:
    return (facts.profile.get("gdpr_controller") or facts.jurisdiction in ("UK", "EU")) and \
        _personal_data(facts, "yes")


CUSTOMER_WINDOWS = {"P1": Rule("minutes", 15),
                    "P2": Rule("hours", 1), "P3": Rule("hours", 4),
                    "P4": Rule("business_days", 1, words="by the end of the next business day")}

REGIMES: tuple[Regime, ...] = (
    Regime(
        "AU-WHS", "Work health and safety (AU, not VIC): notifiable incident",
        "AU site (not VIC): a death, a serious injury or illness, or a dangerous incident",
        lambda f: _whs(f) if _au(f) and f.jurisdiction != "AU-VIC" else [],
        lambda f: (
            Step("notify", "Notify the WHS regulator by the fastest means (phone or online)", Rule("immediately")),
            Step("written", "Written notice to the regulator, if it asks for one",
                 Rule("hours", 48, start="regulator_asked")),
            Step("preserve", "Preserve the site: do not disturb it until an inspector releases it",
                 Rule("until", words="no deadline: it lasts until the release is recorded")),
            Step("record", "Keep the record of the notifiable incident", Rule("keep", 5)),
        )),
    Regime(
        "AU-VIC-OHS", "Occupational health and safety (Victoria): notifiable incident",
        "VIC site: a death, a serious injury or illness, or a dangerous incident",
        lambda f: _whs(f) if f.jurisdiction == "AU-VIC" else [],
        lambda f: (
            Step("notify", "Notify WorkSafe Victoria immediately", Rule("immediately")),
            Step("written", "Written record to WorkSafe", Rule("hours", 48)),
            Step("record", "Keep the record", Rule("keep", 5)),
        )),
    Regime(
        "AU-NDB", "Notifiable data breaches (Privacy Act)",
        "Privacy Act covered; personal data exposed (or maybe) and the harm not contained",
        lambda f: (["personal data was exposed" if _personal_data(f, "yes") else "personal data may have been exposed",
                    "the likely harm has not been contained"
                    + (" (encryption alone does not contain it)" if f.said("data_encrypted") else "")]
                   if f.profile.get("privacy_act_covered") and _personal_data(f, "yes", "unknown")
                   and not f.said("harm_contained") else []),
        lambda f: (
            Step("assess", "Assess whether it is an eligible data breach", Rule("days", 30)),
            Step("oaic", "Statement to the OAIC", Rule("practicable"),
                 not_required=lambda f: _serious_harm_decided(f, "a statement"), waits=_serious_harm_open),
            Step("individuals", "Notify the affected individuals", Rule("practicable"),
                 not_required=lambda f: _serious_harm_decided(f, "notifying individuals"), waits=_serious_harm_open),
        )),
    Regime(
        "AU-APRA-CPS234", "APRA CPS 234: information security incident",
        "APRA-regulated; a security incident, data breach or ransomware",
        lambda f: (["an information security incident at an APRA-regulated entity"]
                   if f.profile.get("apra_regulated")
                   and (f.happened("security", "data_breach") or f.said("ransomware"))
                   else []),
        lambda f: (Step("notify", "Notify APRA (material incident, or one another regulator has been told of)",
                        Rule("hours", 72)),)),
    Regime(
        "AU-SOCI", "Security of Critical Infrastructure: cyber security incident",
        "SOCI entity; a security incident with significant (essential service disrupted or the whole "
        "organisation) or relevant (site or team) impact",
        lambda f: ([f"a cyber security incident with {_soci_level(f)} impact on a critical infrastructure asset"]
                   if _soci_level(f) else []),
        lambda f: ((Step("notify", "Notify the Australian Cyber Security Centre (significant impact)",
                         Rule("hours", 12)),
                    Step("written", "Written record to the ACSC", Rule("hours", 84)))
                   if _soci_level(f) == "significant" else
                   (Step("notify", "Notify the Australian Cyber Security Centre (relevant impact)",
                         Rule("hours", 72)),))),
    Regime(
        "AU-CYBER-RANSOM", "Ransomware payment report (Cyber Security Act)",
        "AU organisation over A$3M turnover or a SOCI entity; a ransom was paid",
        lambda f: (["a ransom was paid"] if f.said("ransom_paid") and
                   (f.profile.get("privacy_act_covered") or f.profile.get("soci_entity")) else []),
        lambda f: (Step("report", "Report the ransom payment to the Australian Signals Directorate",
                        Rule("hours", 72, start="ransom_paid_at" if f.said("ransom_paid_at") else "aware_at")),)),
    Regime(
        "AU-NSW-POEO", "Pollution incident (NSW POEO Act)",
        "NSW site; an environmental incident that reached a drain or waterway or caused material harm",
        lambda f: ((["the spill reached a drain or waterway"] if f.said("reached_drain_or_waterway") else [])
                   + (["the harm is more than trivial or clean-up costs over A$10,000"]
                      if f.said("environmental_harm") else [])
                   if f.jurisdiction == "AU-NSW" and f.happened("environmental") else []),
        lambda f: (Step("notify", "Notify the EPA and the other relevant authorities", Rule("immediately")),)),
    Regime(
        "GDPR", "GDPR / UK GDPR: personal data breach",
        "GDPR controller, or a UK or EU site; personal data exposed",
        lambda f: (["a personal data breach"
                    + (" at a UK or EU site" if f.jurisdiction in ("UK", "EU") else " by a GDPR controller")]
                   if _gdpr_applies(f) else []),
        lambda f: (
            Step("authority", "Notify the " + ("ICO" if f.jurisdiction == "UK" else "lead supervisory authority"),
                 Rule("hours", 72),
                 not_required=lambda f: ("the harm is contained and serious harm is not likely: unlikely to "
                                         "result in a risk to people") if f.said("harm_contained")
                 and f.said("likely_serious_harm") == "no" else None),
            Step("individuals", "Tell the affected individuals", Rule("practicable", words="without undue delay"),
                 not_required=lambda f: _serious_harm_decided(f, "telling individuals"), waits=_serious_harm_open),
            Step("record", "Record the breach in the breach register (every breach, reported or not)",
                 Rule("keep", 0, words="keep in the breach register")),
        )),
    Regime(
        "UK-NIS", "NIS Regulations (UK): incident at an operator of essential services",
        "UK operator of essential services; an essential service disrupted",
        lambda f: (["an essential service was disrupted"]
                   if f.profile.get("nis_operator") and f.said("essential_service_disrupted") else []),
        lambda f: (Step("notify", "Notify the competent authority", Rule("hours", 72)),)),
    Regime(
        "UK-RIDDOR", "RIDDOR (UK): reportable injury or dangerous occurrence",
        "UK site: a death, a specified injury or over-7-day incapacity of a worker, a member of the "
        "public taken to hospital, or a dangerous occurrence",
        lambda f: _riddor(f) if f.jurisdiction == "UK" else [],
        lambda f: ((Step("report", "Report to the HSE (over-7-day incapacity)", Rule("days", 15, start="occurred_at")),)
                   if _riddor_over_seven_days_only(f) else
                   (Step("notify", "Notify the HSE", Rule("immediately", words="without delay (due when the "
                                                                                 "organisation became aware)")),
                    Step("report", "Report to the HSE (online form)", Rule("days", 10, start="occurred_at")))
                   ) + (Step("record", "Keep the record", Rule("keep", 3)),)),
    Regime(
        "EU-NIS2", "NIS2 (EU): significant incident",
        "NIS2 entity; an essential service disrupted or the whole organisation affected",
        lambda f: (["a significant incident at a NIS2 entity"] if f.profile.get("nis2_entity") and
                   (f.said("essential_service_disrupted") or f.said("service_impact") == "organisation") else []),
        lambda f: (
            Step("early_warning", "Early warning to the CSIRT or competent authority", Rule("hours", 24)),
            Step("notification", "Incident notification", Rule("hours", 72)),
            Step("final", "Final report", Rule("months", 1, start="notification")),
        )),
    Regime(
        "CUSTOMER", "Customer contract: notify the customer",
        "The organisation's customer contracts set notification windows (security incidents within 1 h)",
        lambda f: ([f"customer contracts require notice of {f.severity} incidents"
                    + (" (security incidents within 1 h)" if f.happened("security", "data_breach") else "")]
                   if f.profile.get("customer_contract") else []),
        lambda f: (Step("notify", "Notify the customer",
                        Rule("hours", 1) if f.happened("security", "data_breach") and f.severity != "P1"
                        else CUSTOMER_WINDOWS[f.severity]),)),
)
BY_ID = {regime.id: regime for regime in REGIMES}


def deadline(rule: Rule, facts: Facts) -> tuple[datetime | None, str | None]:
    """(deadline, what it waits for): None, None for rules with no fixed time."""
    if rule.kind in ("practicable", "until", "keep"):
        return None, None
    if rule.start in EVENTS:
        start = facts.events.get(rule.start)
        if start is None:
            return None, EVENTS[rule.start]
    else:
        start = getattr(facts, rule.start, None) or facts.said(rule.start) or facts.aware_at
        if isinstance(start, str):
            start = datetime.fromisoformat(start)
    if rule.kind == "immediately":
        return start, None
    if rule.kind in ("minutes", "hours"):
        return start + timedelta(minutes=rule.amount * (60 if rule.kind == "hours" else 1)), None
    if rule.kind == "days":
        return add_local_days(start, rule.amount, facts.timezone), None
    if rule.kind == "business_days":
        return add_business_days(start, rule.amount, facts.timezone, facts.jurisdiction), None
    if rule.kind == "months":
        return add_months(start, rule.amount), None
    raise ValueError(f"unknown rule kind {rule.kind}")


def plan(facts: Facts) -> list[Planned]:
    """Every obligation the incident's facts call for, regime by regime, in the table's order."""
    planned = []
    for regime in REGIMES:
        reasons = regime.reasons(facts)
        if not reasons:
            continue
        for step in regime.steps(facts):
            skip = step.not_required(facts)
            waits = None if skip else step.waits(facts)
            due, event = (None, None) if skip or waits else deadline(step.rule, facts)
            planned.append(Planned(
                regime=regime.id, step=step.key, what=step.what, rule=step.rule.describe(), deadline=due,
                urgent=step.rule.kind in ("practicable", "immediately") and not skip and not waits,
                waiting_for=waits or event, not_required=skip, reasons=tuple(reasons)))
    return planned
