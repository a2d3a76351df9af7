"""Severity and categories from the report's answers (REFERENCE section 2)."""
import pytest

from webapp.rules.classification import CATEGORIES, CATEGORY_OF, categories, classify, high_potential

P1_CASES = [
    ({"what_happened": ["injury"], "treatment": "fatality"}, "AU-NSW", "P1: a person died"),
    ({"what_happened": ["injury"], "treatment": "hospital_admitted"}, "EU", "P1: a person was admitted to hospital"),
    ({"what_happened": ["security"], "ransomware": True}, "UK", "P1: ransomware"),
    ({"what_happened": ["service_outage"], "service_impact": "organisation"},
     "EU", "P1: the whole organisation is affected"),
    ({"what_happened": ["service_outage"], "essential_service_disrupted": True},
     "UK", "P1: an essential service is disrupted"),
    ({"what_happened": ["dangerous_event"], "dangerous_events": ["fire_explosion"]},
     "AU-QLD", "P1: dangerous event: fire or explosion"),
    ({"what_happened": ["dangerous_event"], "dangerous_events": ["underground_inrush"]},
     "AU-WA", "P1: dangerous event: inrush of water, mud or gas underground"),
    ({"what_happened": ["data_breach"], "personal_data": "yes", "likely_serious_harm": "yes", "people_affected": 100},
     "AU-NSW", "P1: a data breach likely to cause serious harm to 100 or more people"),
]


@pytest.mark.parametrize("answers, jurisdiction, reason", P1_CASES)
def test_p1_rules_name_their_reason(answers, jurisdiction, reason):
    result = classify(answers, jurisdiction)
    assert result.severity == "P1"
    assert reason in result.reasons


@pytest.mark.parametrize("answers, jurisdiction, reason_part", [
    # AU WHS: a serious eye injury treated by a doctor is notifiable.
    ({"what_happened": ["injury"], "treatment": "medical", "injuries": ["serious_eye"]}, "AU-NSW", "under WHS law"),
    ({"what_happened": ["injury"], "treatment": "medical",
      "injuries": ["serious_burn"]}, "AU-VIC", "WorkSafe Victoria"),
    # RIDDOR: a worker's fracture is a specified injury even without admission.
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "emergency_discharged",
      "injuries": ["fracture"]}, "UK", "broken bone (not finger, thumb or toe) is a specified injury under RIDDOR"),
    ({"what_happened": ["injury"], "injured_person": "contractor", "treatment": "first_aid",
      "days_unfit_for_work": 8}, "UK", "more than 7 days unfit for work"),
    ({"what_happened": ["injury"], "injured_person": "public", "taken_to_hospital_from_scene": True,
      "treatment": "emergency_discharged"}, "UK", "member of the public taken to hospital"),
    ({"what_happened": ["dangerous_event"], "dangerous_events": ["electric_shock"]}, "AU-NSW", "electric shock"),
    ({"what_happened": ["data_breach"], "personal_data": "yes"}, "AU-NSW", "personal data exposed"),
    ({"what_happened": ["service_outage"], "service_impact": "site"}, "AU-NSW", "a whole site is affected"),
    ({"what_happened": ["environmental"], "spill_litres": 200,
      "reached_drain_or_waterway": True}, "AU-NSW", "drain or waterway"),
])
def test_p2_rules(answers, jurisdiction, reason_part):
    result = classify(answers, jurisdiction)
    assert result.severity == "P2"
    assert any(reason_part in r and r.startswith("P2: ") for r in result.reasons), result.reasons


@pytest.mark.parametrize("answers, jurisdiction", [
    # Same-day emergency discharge for a fracture is not WHS-notifiable: P3, not P2.
    ({"what_happened": ["injury"], "treatment": "emergency_discharged", "injuries": ["fracture"]}, "AU-NSW"),
    ({"what_happened": ["injury"], "treatment": "medical", "injuries": ["fracture_digit"]}, "UK"),
    ({"what_happened": ["service_outage"], "service_impact": "team"}, "EU"),
    ({"what_happened": ["security"], "personal_data": "no"}, "AU-NSW"),
    ({"what_happened": ["environmental"], "spill_litres": 5}, "AU-NSW"),
    # Over 7 days matters for workers only; a member of the public not taken to hospital is not reportable.
    ({"what_happened": ["injury"], "injured_person": "public", "treatment": "medical",
      "days_unfit_for_work": 10}, "UK"),
])
def test_p3_rules(answers, jurisdiction):
    assert classify(answers, jurisdiction).severity == "P3"


@pytest.mark.parametrize("answers", [
    {"what_happened": ["injury"], "treatment": "first_aid"},
    {"what_happened": ["hazard"]},
    {"what_happened": ["near_miss"]},
    {"what_happened": ["property_damage"]},
    {"what_happened": ["service_outage"], "service_impact": "single_user"},
    # Harm contained: the data is not "exposed" any more.
    {"what_happened": ["data_breach"], "personal_data": "yes", "harm_contained": True},
    # Serious injury words without medical treatment are not notifiable under WHS.
    {"what_happened": ["injury"], "treatment": "first_aid", "injuries": ["serious_laceration"]},
])
def test_everything_else_is_p4_with_a_reason(answers):
    result = classify(answers, "AU-NSW")
    assert result.severity == "P4"
    assert result.reasons[0].startswith("P4: ")


def test_highest_severity_wins_and_every_reason_is_kept():
    result = classify({"what_happened": ["injury", "service_outage"], "treatment": "hospital_admitted",
                       "service_impact": "team"}, "AU-NSW")
    assert result.severity == "P1"
    assert result.reasons[0] == "P1: a person was admitted to hospital"
    assert "P3: a team is affected" in result.reasons


def test_the_same_injury_is_notifiable_in_one_jurisdiction_and_not_another():
    answers = {"what_happened": ["injury"], "injured_person": "worker", "treatment": "medical",
               "injuries": ["fracture"]}
    assert classify(answers, "UK").severity == "P2"  # RIDDOR specified injury
    assert classify(answers, "AU-NSW").severity == "P3"  # WHS: a fracture needs admission


@pytest.mark.parametrize("answers, categories, confidential", [
    ({"what_happened": ["injury", "near_miss"]}, ["safety"], False),
    ({"what_happened": ["data_breach"]}, ["privacy"], True),
    ({"what_happened": ["security"], "personal_data": "unknown"}, ["security", "privacy"], True),
    ({"what_happened": ["environmental", "property_damage"]}, ["environment", "property"], False),
    ({"what_happened": ["service_outage", "other"]}, ["operations", "other"], False),
])
def test_categories_and_confidentiality(answers, categories, confidential):
    result = classify(answers, "AU-NSW")
    assert result.categories == categories
    assert result.confidential is confidential


def test_reporter_can_mark_a_people_matter_confidential():
    assert classify({"what_happened": ["other"]}, "AU-NSW", confidential=True).confidential is True


@pytest.mark.parametrize("happened, outcome, words", [
    (["near_miss"], "serious_injury",
     "high potential: a near miss that could realistically have caused a serious injury"),
    (["hazard"], "fatality", "high potential: a hazard that could realistically have caused a death"),
    (["dangerous_event"], "fatality", "high potential: a dangerous event that could realistically have caused a death"),
    (["property_damage", "hazard"], "serious_injury",
     "high potential: a hazard that could realistically have caused a serious injury"),
])
def test_high_potential_says_what_could_have_happened(happened, outcome, words):
    assert high_potential({"what_happened": happened, "worst_credible_outcome": outcome}) == words


def test_high_potential_needs_an_event_that_asks_it_and_a_serious_outcome():
    assert high_potential({}) is None  # nothing said (a partial correction): not high potential, no error
    assert high_potential({"worst_credible_outcome": "fatality"}) is None
    assert high_potential({"what_happened": ["injury"], "worst_credible_outcome": "fatality"}) is None
    assert high_potential({"what_happened": ["near_miss"], "worst_credible_outcome": "medical"}) is None


def test_categories_follow_what_happened_personal_data_and_ransomware_in_a_fixed_order():
    assert categories({}) == []
    assert categories({"what_happened": ["security"], "ransomware": True}) == ["security"]
    assert categories({"what_happened": ["service_outage"], "ransomware": True}) == [
        c for c in CATEGORIES if c in ("security", CATEGORY_OF["service_outage"])]
    assert "privacy" in categories({"what_happened": ["data_breach"], "personal_data": "yes"})
    assert "privacy" in categories({"what_happened": ["security"], "personal_data": "unknown"})
    assert "privacy" not in categories({"what_happened": ["security"], "personal_data": "no"})
    assert "security" not in categories({"what_happened": ["service_outage"]})
    found = categories({"what_happened": ["environmental", "injury", "service_outage"]})
    assert found == [c for c in CATEGORIES if c in found] and len(found) == 3


@pytest.mark.parametrize("event", ["fire_explosion", "gas_steam_escape", "structure_collapse", "excavation_collapse",
                                   "underground_inrush"])
def test_every_major_dangerous_event_is_p1_wherever_it_happens(event):
    """A gas or steam escape dropping to P2 went unnoticed by the tests (issue 13's mutation run)."""
    for jurisdiction in ("AU-NSW", "UK"):
        result = classify({"what_happened": ["dangerous_event"], "dangerous_events": [event]}, jurisdiction)
        assert result.severity == "P1", (event, jurisdiction)
        assert any(reason.startswith("P1: dangerous event:") for reason in result.reasons)


@pytest.mark.parametrize("event", ["substance_escape", "pressurised_escape", "electric_shock", "fall_from_height",
                                   "plant_failure", "ventilation_loss"])
def test_the_other_dangerous_events_are_p2(event):
    result = classify({"what_happened": ["dangerous_event"], "dangerous_events": [event]}, "AU-NSW")
    assert result.severity == "P2", event
