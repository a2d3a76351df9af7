"""The guided form asks only the questions the answers call for."""
import pytest

from webapp.rules.guide import follow_up_keys, prune


@pytest.mark.parametrize("answers, expected", [
    ({"what_happened": ["hazard"]}, ["worst_credible_outcome"]),  # what could have happened?
    ({"what_happened": ["property_damage"]}, []),
    ({"what_happened": ["injury"]}, ["injured_person", "treatment"]),
    ({"what_happened": ["injury"], "injured_person": "worker", "treatment": "medical"},
     ["injured_person", "treatment", "injuries", "days_unfit_for_work"]),
    ({"what_happened": ["injury"], "injured_person": "public", "treatment": "none"},
     ["injured_person", "treatment", "taken_to_hospital_from_scene"]),
    ({"what_happened": ["data_breach"], "personal_data": "yes"},
     ["personal_data", "people_affected", "data_encrypted", "harm_contained", "likely_serious_harm"]),
    ({"what_happened": ["security"], "personal_data": "no", "ransomware": True, "ransom_paid": True},
     ["personal_data", "ransomware", "ransom_paid", "ransom_paid_at", "service_impact",
      "essential_service_disrupted"]),
    ({"what_happened": ["environmental", "dangerous_event"]},
     ["dangerous_events", "worst_credible_outcome", "spill_litres", "reached_drain_or_waterway",
      "environmental_harm"]),
])
def test_follow_up_questions(answers, expected):
    assert follow_up_keys(answers) == expected


def test_every_answer_key_is_asked_by_some_path():
    from webapp.rules.answers import ANSWER_KEYS
    from webapp.rules.guide import ALWAYS
    everything = {"what_happened": ["injury", "dangerous_event", "security", "environmental"],
                  "treatment": "medical", "personal_data": "yes", "ransomware": True, "ransom_paid": True}
    asked = set(ALWAYS) | set(follow_up_keys({**everything, "injured_person": "worker"})) | \
        set(follow_up_keys({**everything, "injured_person": "public"}))
    assert asked == set(ANSWER_KEYS)


def test_prune_drops_answers_to_questions_no_longer_asked():
    answers = {"what_happened": ["hazard"], "description": "x", "treatment": "fatality"}
    assert prune(answers) == {"what_happened": ["hazard"], "description": "x"}
