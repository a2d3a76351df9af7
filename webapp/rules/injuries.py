"""Which injuries a regulator must hear about. Pure; shared by classification and (later) regimes.

Each function returns the reasons in words, or an empty list when the injury is not notifiable.
"""
from __future__ import annotations

from typing import Any

from .answers import INJURIES

TREATED = {"medical", "emergency_discharged", "hospital_admitted", "fatality"}
# AU WHS s36 serious injuries that count with any treatment by a doctor or higher.
WHS_SERIOUS = (
    "amputation", "serious_head", "serious_eye", "serious_burn", "degloving_scalping", "spinal",
    "loss_of_bodily_function", "loss_of_consciousness", "serious_laceration", "substance_exposure",
)
# RIDDOR regulation 4 specified injuries to workers.
RIDDOR_SPECIFIED = (
    "fracture", "amputation", "serious_eye", "crush_head_torso", "serious_burn", "degloving_scalping",
    "loss_of_consciousness",
)


def whs_notifiable(answers: dict[str, Any]) -> list[str]:
    """AU WHS (and Victorian OHS) notifiable death, serious injury or illness."""
    treatment = answers.get("treatment")
    if treatment == "fatality":
        return ["a death is notifiable"]
    if treatment == "hospital_admitted":
        return ["admission to hospital as an in-patient is a serious injury"]
    if treatment in TREATED:
        hits = [i for i in WHS_SERIOUS if i in answers.get("injuries", [])]
        return [f"{INJURIES[i].lower()} with medical treatment is a serious injury" for i in hits]
    return []


def riddor_reportable(answers: dict[str, Any]) -> list[str]:
    """UK RIDDOR reportable injury (dangerous occurrences are not injuries and are left out)."""
    person = answers.get("injured_person", "worker")
    treatment = answers.get("treatment")
    if treatment == "fatality":
        return ["a death is reportable"]
    if person == "public":
        if answers.get("taken_to_hospital_from_scene"):
            return ["a member of the public taken to hospital from the scene is reportable"]
        return []
    reasons = [
        f"{INJURIES[i].lower()} is a specified injury"
        for i in RIDDOR_SPECIFIED if i in answers.get("injuries", [])
    ]
    if answers.get("days_unfit_for_work", 0) > 7:
        reasons.append("more than 7 days unfit for work is reportable")
    return reasons


def notifiable_injury(answers: dict[str, Any], jurisdiction: str) -> list[str]:
    """Reasons an injury is notifiable in this jurisdiction, prefixed with the regime's name."""
    if jurisdiction.startswith("AU-"):
        regime = "WorkSafe Victoria (OHS)" if jurisdiction == "AU-VIC" else "WHS law"
        return [f"{reason} under {regime}" for reason in whs_notifiable(answers)]
    if jurisdiction == "UK":
        return [f"{reason} under RIDDOR" for reason in riddor_reportable(answers)]
    return []
