"""The one way an incident's answers become its facts, for a new report (the form, the outbox, the API)
and for a correction (the page, the API) alike: the same answers always give the same incident.

What follows from the facts beyond the incident's own columns (obligations, SLA clocks, the update
cadence, paging) is the features' work, called through hooks.reported / hooks.changed."""
from __future__ import annotations

from typing import Any

from ..rules.classification import Classification, classify
from ..rules.guide import prune
from .models import Incident

HIGH_POTENTIAL_AT_LEAST = "P2"  # REFERENCE section 2


def apply_answers(incident: Incident, answers: dict[str, Any]) -> Classification:
    """Set the incident's answers (answers to questions the others do not ask are dropped) and what they
    decide: categories, the classified severity and its reasons, confidentiality (never undone here),
    high potential, and the severity itself, unless a supervisor overrode it; an override below P2 gives
    way when the answers make the incident high-potential. The incident's site is set already."""
    clean = prune(answers)
    result = classify(clean, incident.site.jurisdiction, bool(incident.confidential))
    overridden = incident.severity is not None and incident.severity != incident.classified_severity
    incident.answers, incident.categories = clean, result.categories
    incident.classified_severity, incident.severity_reasons = result.severity, result.reasons
    incident.confidential = bool(incident.confidential) or result.confidential
    incident.high_potential = result.high_potential
    if not overridden:
        incident.severity = result.severity
    elif result.high_potential and incident.severity > HIGH_POTENTIAL_AT_LEAST:
        incident.severity = HIGH_POTENTIAL_AT_LEAST
    return result
