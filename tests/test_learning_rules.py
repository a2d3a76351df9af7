"""The learning half's rules as pure functions (REFERENCE sections 2 and 7): no app, no database."""
from datetime import UTC, date, datetime, timedelta

import pytest

from webapp.common.errors import Invalid
from webapp.rules.classification import classify, high_potential
from webapp.rules.learning import (
    ActionState,
    CauseAt,
    closing_blockers,
    is_repeat,
    relies_on_weak_controls,
    repeat_words,
    repeats_of,
    review_due,
    review_required,
    validate_action,
    validate_investigation,
    validate_review,
    wording_hints,
)

UTC = UTC
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


@pytest.mark.parametrize("severity, major, hipo, lasted, expected", [
    ("P1", False, False, timedelta(minutes=5), "every P1 has a post-incident review"),
    ("P3", True, False, timedelta(minutes=5), "it was declared a major incident"),
    ("P4", False, True, timedelta(minutes=5), "it was a high-potential incident"),
    ("P2", False, False, timedelta(hours=2, minutes=1), "a P2 that lasted over 2 hours"),
    ("P2", False, False, timedelta(hours=2), None),  # exactly 2 h is not "over"
    ("P3", False, False, timedelta(days=3), None),
    ("P4", False, False, timedelta(days=30), None),
])
def test_when_a_review_is_required(severity, major, hipo, lasted, expected):
    assert review_required(severity, major, hipo, START, START + lasted, START + lasted) == expected


def test_an_open_p2_needs_a_review_once_it_has_run_over_2_hours():
    assert review_required("P2", False, False, START, None, START + timedelta(hours=1)) is None
    assert review_required("P2", False, False, START, None,
                           START + timedelta(hours=3)) == "a P2 that lasted over 2 hours"


def test_review_due_dates():
    assert review_due("P1", None, "Australia/Sydney", "AU-NSW") is None  # not resolved: no clock yet
    assert review_due("P1", START, "Australia/Sydney", "AU-NSW") == START + timedelta(hours=48)
    # A P2 resolved on Monday 2 March 2026 (Sydney, 20:00 local): 5 business days is the end of Monday 9 March.
    assert review_due("P2", START, "Australia/Sydney", "AU-NSW") == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    # Over Easter 2026 in NSW (Good Friday 3 April, Easter Monday 6 April are holidays): resolved
    # Thursday 2 April, the business days are 7, 8, 9, 10 and 13 April: due by the end of Monday 13
    # (midnight after daylight saving ended on 5 April: +10:00).
    thursday = datetime(2026, 4, 2, 1, 0, tzinfo=UTC)
    assert review_due("P3", thursday, "Australia/Sydney", "AU-NSW") == datetime(2026, 4, 13, 14, 0, tzinfo=UTC)


def test_closing_rules():
    verified, done = ActionState("Guard", "verified"), ActionState("Drain check", "done")
    assert closing_blockers(None, None, [done]) == []  # no review required: nothing holds it
    assert closing_blockers("every P1 has a post-incident review", "published", [verified]) == []
    blockers = closing_blockers("every P1 has a post-incident review", "in_review", [verified, done])
    assert blockers == [
        "The post-incident review is required (every P1 has a post-incident review) and is in review, not published",
        "Corrective action “Drain check” is done, not yet verified"]
    assert closing_blockers("a P2 that lasted over 2 hours", None, [])[0].endswith("is not started, not published")


def _at(incident_id, site=1, category="process", days=0):
    return CauseAt(incident_id, site, category, START + timedelta(days=days))


def test_repeat_causes_within_90_days_at_the_same_site_and_category():
    one = _at(1)
    assert is_repeat(one, _at(2, days=90)) and is_repeat(_at(2, days=90), one)  # the boundary counts
    assert not is_repeat(one, CauseAt(2, 1, "process", START + timedelta(days=90, seconds=1)))
    assert not is_repeat(one, _at(2, site=2))
    assert not is_repeat(one, _at(2, category="plant"))
    assert not is_repeat(one, _at(1, days=3))  # itself
    assert not is_repeat(_at(1, category=None), _at(2, category=None))
    assert [c.incident_id for c in repeats_of(one, [_at(2, days=-40), _at(3, days=12), _at(4, days=200)])] == [3, 2]
    assert repeat_words("INC-000002", START, START - timedelta(days=12)) == \
        "Repeat: INC-000002 had the same cause here 12 days ago"
    assert repeat_words("INC-000003", START, START + timedelta(days=1)).endswith("1 day later")


def test_blameless_wording_hints_warn_about_blame_and_names_in_causes():
    hints = wording_hints({"summary": "Human error: the operator was careless and failed to check.",
                           "root_cause": "Jo Bloggs did not check the drain", "impact": "Jo's shift ran late"},
                          names=["Jo Bloggs"], name_fields=["root_cause"])
    phrases = {(h.field, h.phrase.lower()) for h in hints}
    assert {("summary", "human error"), ("summary", "careless"), ("summary", "failed to")} <= phrases
    assert ("root_cause", "jo bloggs") in phrases
    assert not any(h.field == "impact" for h in hints)  # names are pointed out in the causes only
    assert wording_hints({"summary": "The guard allowed a hand past the blade."}) == []
    assert wording_hints({"summary": "Faulty wiring"}) == []  # whole words only


def test_weak_controls_are_pointed_out_only_when_every_action_relies_on_them():
    assert relies_on_weak_controls(["administrative", "ppe"])
    assert not relies_on_weak_controls(["administrative", "engineering"])
    assert not relies_on_weak_controls([])


def test_high_potential_classification():
    near_miss = {"what_happened": ["near_miss"], "worst_credible_outcome": "fatality"}
    result = classify(near_miss, "AU-NSW")
    assert result.severity == "P2" and result.high_potential
    assert "P2: high potential: a near miss that could realistically have caused a death" in result.reasons
    assert high_potential({"what_happened": ["hazard"], "worst_credible_outcome": "serious_injury"})
    assert high_potential({"what_happened": ["hazard"], "worst_credible_outcome": "medical"}) is None
    assert high_potential({"what_happened": ["injury"], "worst_credible_outcome": "fatality"}) is None
    # A P1 stays P1 and is still flagged.
    fire = classify({"what_happened": ["dangerous_event"], "dangerous_events": ["fire_explosion"],
                     "worst_credible_outcome": "fatality"}, "AU-NSW")
    assert fire.severity == "P1" and fire.high_potential


def test_investigation_review_and_action_shapes():
    now = START
    clean = validate_investigation({"whys": ["a", " ", "b"], "root_cause_category": "plant",
                                    "witness_statements": [{"name": "Al", "statement": "Saw it"}]}, now)
    assert clean["whys"] == ["a", "b"] and clean["witness_statements"][0]["taken_at"] is None  # not said
    sydney = validate_investigation({"witness_statements": [{"name": "Al", "statement": "Saw it",
                                                             "taken_at": "2026-03-02T19:00:00+10:00"}]}, now)
    assert sydney["witness_statements"][0]["taken_at"] == "2026-03-02T09:00:00+00:00"  # kept in UTC
    with pytest.raises(Invalid) as bad:
        validate_investigation({"whys": ["w"] * 8, "root_cause_category": "luck", "colour": 1}, now)
    assert set(bad.value.fields) == {"colour"}  # an unknown field is named before anything else
    with pytest.raises(Invalid) as bad:
        validate_investigation({"whys": ["w"] * 8, "root_cause_category": "luck"}, now)
    assert set(bad.value.fields) == {"whys", "root_cause_category"}
    with pytest.raises(Invalid) as bad:
        validate_investigation({"witness_statements": [{"name": "Al", "statement": "x",
                                                         "taken_at": (now + timedelta(days=1)).isoformat()}]}, now)
    assert "future" in bad.value.fields["witness_statements"]
    assert validate_review({"lessons": ["Check drains", ""]}) == {"lessons": ["Check drains"]}
    with pytest.raises(Invalid):
        validate_review({"summary": 5})
    today = date(2026, 3, 2)
    action = validate_action({"title": "Guard", "owner_id": 3, "due_date": "2026-03-02", "control": "engineering",
                              "external_ref": "OPS-12"}, today)
    assert action["priority"] == "medium" and action["due_date"] == today
    with pytest.raises(Invalid) as bad:
        validate_action({"title": "", "owner_id": "x", "due_date": "2026-03-01", "control": "luck",
                         "priority": "urgent", "external_ref": "javascript:alert(1)"}, today)
    assert set(bad.value.fields) == {"title", "owner_id", "due_date", "control", "priority", "external_ref"}
