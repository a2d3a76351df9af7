"""Escalation policy steps: page, wait, go on; skip unreachable levels at once; repeat."""
from datetime import UTC, datetime, timedelta

import pytest

from webapp.escalation.policy import Level, Policy, PolicyRule, Position, Target, advance, choose_policy, coverage_gaps

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
ON_CALL, SUPERVISOR, SAFETY, NO_PUSH = 1, 2, 3, 4


def policy(repeats=0):
    """P1 default: on-call responders at once, the site supervisor after 5 min, the safety manager after 15."""
    return Policy(levels=(
        Level((Target("schedule", 10),), timedelta(minutes=5)),
        Level((Target("user", SUPERVISOR),), timedelta(minutes=10)),
        Level((Target("user", SAFETY),), timedelta(minutes=15)),
    ), repeats=repeats)


def resolver(on_call=ON_CALL):
    def resolve(target, _at):
        if target.kind == "schedule":
            return [] if on_call is None else [on_call]
        return [target.ref] if target.kind == "user" else []
    return resolve


def everyone_reachable(_user):
    return True


def test_unacknowledged_page_escalates_level_by_level_then_stops():
    first = advance(policy(), Position(0, NOW), NOW, resolver(), everyone_reachable)
    assert first.pages == [(ON_CALL, 0)] and first.next == Position(1, NOW + timedelta(minutes=5))
    second = advance(policy(), first.next, first.next.due, resolver(), everyone_reachable)
    assert second.pages == [(SUPERVISOR, 1)] and second.next == Position(2, NOW + timedelta(minutes=15))
    third = advance(policy(), second.next, second.next.due, resolver(), everyone_reachable)
    assert third.pages == [(SAFETY, 2)] and third.next is None


def test_a_level_with_nobody_on_call_is_skipped_at_once_with_a_warning():
    outcome = advance(policy(), Position(0, NOW), NOW, resolver(on_call=None), everyone_reachable)
    assert outcome.pages == [(SUPERVISOR, 1)]
    assert outcome.warnings == ["level 1 skipped: nobody on call or assigned"]
    assert outcome.next == Position(2, NOW + timedelta(minutes=10))


def test_a_level_whose_people_cannot_be_reached_is_skipped_too():
    outcome = advance(policy(), Position(0, NOW), NOW, resolver(on_call=NO_PUSH), lambda u: u != NO_PUSH)
    assert outcome.pages == [(SUPERVISOR, 1)]
    assert outcome.warnings == ["level 1 skipped: nobody with a working alert channel"]


def test_partly_reachable_level_pages_who_it_can_and_says_who_it_cannot():
    both = Policy(levels=(Level((Target("user", ON_CALL), Target("user", NO_PUSH)), timedelta(minutes=5)),))
    outcome = advance(both, Position(0, NOW), NOW, resolver(), lambda u: u != NO_PUSH)
    assert outcome.pages == [(ON_CALL, 0)]
    assert outcome.warnings == ["level 1: 1 person(s) have no working alert channel"]


def test_repeats_run_the_whole_policy_again():
    p = policy(repeats=1)
    position, paged = Position(0, NOW), []
    while position is not None:
        outcome = advance(p, position, position.due, resolver(), everyone_reachable)
        paged += outcome.pages
        position = outcome.next
    assert [u for u, _ in paged] == [ON_CALL, SUPERVISOR, SAFETY] * 2
    assert [s for _, s in paged] == list(range(6))


def test_nobody_anywhere_exhausts_the_policy_with_a_warning_per_level():
    outcome = advance(policy(), Position(0, NOW), NOW, resolver(on_call=None), lambda u: False)
    assert outcome.pages == [] and outcome.next is None and len(outcome.warnings) == 3


def test_the_same_person_on_two_targets_is_paged_once():
    twice = Policy(levels=(Level((Target("schedule", 10), Target("user", ON_CALL)), timedelta(minutes=5)),))
    assert advance(twice, Position(0, NOW), NOW, resolver(), everyone_reachable).pages == [(ON_CALL, 0)]


def test_a_step_is_not_run_early():
    with pytest.raises(ValueError, match="not due"):
        advance(policy(), Position(1, NOW + timedelta(minutes=5)), NOW, resolver(), everyone_reachable)


RULES = [
    PolicyRule(1, severities=frozenset({"P1"})),
    PolicyRule(2, sites=frozenset({"MAN"}), categories=frozenset({"environment"})),
    PolicyRule(3, categories=frozenset({"security", "privacy"})),
    PolicyRule(4),
]


@pytest.mark.parametrize("site, categories, severity, expected", [
    ("SYD", ["safety"], "P1", 1),
    ("MAN", ["environment"], "P2", 2),
    ("SYD", ["environment"], "P2", 4),
    ("SYD", ["privacy"], "P3", 3),
    ("SYD", [], "P4", 4),
])
def test_the_first_matching_rule_chooses_the_policy(site, categories, severity, expected):
    assert choose_policy(RULES, site, categories, severity) == expected


def test_no_rule_matches():
    assert choose_policy(RULES[:1], "SYD", ["safety"], "P3") is None


def test_coverage_warnings_for_supervisors():
    p = Policy(levels=(Level((Target("schedule", 10),), timedelta(minutes=5)),
                       Level((Target("user", NO_PUSH),), timedelta(minutes=5)),
                       Level((Target("role", "commander"),), timedelta(minutes=5))))
    gaps = coverage_gaps(p, NOW, resolver(on_call=None), lambda u: u != NO_PUSH)
    assert gaps == ["level 1: nobody on call or assigned", "level 2: nobody has a working alert channel"]


def test_targets_are_checked():
    with pytest.raises(ValueError, match="target kind"):
        Target("team", 1)


def test_a_late_step_gives_the_people_it_pages_their_whole_delay():
    """A worker that ran a step 3 minutes late (a restart, a busy pass) still gives the people it paged
    their full 5 minutes: the next level is due 5 minutes after this page went out, not after it was due."""
    late = NOW + timedelta(minutes=3)
    outcome = advance(policy(), Position(0, NOW), late, resolver(), everyone_reachable)
    assert outcome.next == Position(1, late + timedelta(minutes=5))
    skipped = advance(policy(), Position(0, NOW), late, resolver(on_call=None), everyone_reachable)
    assert skipped.next == Position(2, late + timedelta(minutes=10))  # level 2 paged now: its own delay follows
