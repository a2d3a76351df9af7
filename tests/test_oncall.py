"""On-call rotations and overrides, across daylight-saving changes."""
from datetime import UTC, date, datetime, time, timedelta

import pytest

from webapp.escalation.oncall import (
    Override,
    Rotation,
    Shift,
    handoff_at,
    on_call,
    rotation_shift,
    shift_index,
    upcoming,
)

UTC = UTC


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


SYDNEY_DAILY = Rotation(members=(1, 2, 3), period="daily", handoff=time(8, 0), first_day=date(2026, 4, 3),
                        zone="Australia/Sydney")
LONDON_WEEKLY = Rotation(members=(11, 12), period="weekly", handoff=time(9, 0), first_day=date(2026, 3, 23),
                         zone="Europe/London")


@pytest.mark.parametrize("index, expected", [
    (0, utc(2026, 4, 2, 21)),  # Fri 3 Apr 08:00 AEDT (UTC+11)
    (1, utc(2026, 4, 3, 21)),  # Sat 4 Apr 08:00 AEDT
    (2, utc(2026, 4, 4, 22)),  # Sun 5 Apr 08:00 AEST (UTC+10): clocks went back at 03:00 that morning
    (3, utc(2026, 4, 5, 22)),
])
def test_daily_handoffs_stay_at_local_time_when_daylight_saving_ends(index, expected):
    assert handoff_at(SYDNEY_DAILY, index) == expected


@pytest.mark.parametrize("at, user", [
    (utc(2026, 4, 2, 20, 59), None),  # before the first hand-off
    (utc(2026, 4, 2, 21, 0), 1),
    (utc(2026, 4, 3, 20, 59), 1),
    (utc(2026, 4, 3, 21, 0), 2),
    (utc(2026, 4, 4, 21, 30), 2),  # 07:30 AEST on the 5th: the 25-hour shift is still running
    (utc(2026, 4, 4, 22, 0), 3),
    (utc(2026, 4, 5, 22, 0), 1),  # round the rotation again
])
def test_daily_rotation_on_call(at, user):
    assert on_call(SYDNEY_DAILY, (), at) == user


@pytest.mark.parametrize("at, user", [
    (utc(2026, 3, 23, 9, 0), 11),  # Mon 23 Mar 09:00 GMT
    (utc(2026, 3, 30, 7, 59), 11),  # Mon 30 Mar 08:59 BST (clocks went forward on Sunday the 29th)
    (utc(2026, 3, 30, 8, 0), 12),  # 09:00 BST: a naive 7 x 24 h rotation would hand off an hour late
    (utc(2026, 4, 6, 8, 0), 11),
])
def test_weekly_rotation_hands_off_at_local_time_after_clocks_go_forward(at, user):
    assert on_call(LONDON_WEEKLY, (), at) == user


def test_handoff_in_the_spring_forward_gap_happens_once_an_hour_later_on_the_new_clock():
    night = Rotation(members=(1, 2), period="daily", handoff=time(2, 30), first_day=date(2026, 10, 3),
                     zone="Australia/Sydney")
    # 02:30 on Sun 4 Oct 2026 does not exist in Sydney (02:00 -> 03:00); it lands at 03:30 AEDT.
    assert handoff_at(night, 0) == utc(2026, 10, 2, 16, 30)  # Sat 02:30 AEST
    assert handoff_at(night, 1) == utc(2026, 10, 3, 16, 30)  # "Sun 02:30" = 03:30 AEDT
    assert handoff_at(night, 2) == utc(2026, 10, 4, 15, 30)  # Mon 02:30 AEDT
    assert on_call(night, (), utc(2026, 10, 3, 16, 29)) == 1
    assert on_call(night, (), utc(2026, 10, 3, 16, 30)) == 2


def test_override_covers_tuesday_night_and_the_later_override_wins():
    rotation = Rotation(members=(1,), period="weekly", handoff=time(9, 0), first_day=date(2026, 6, 1), zone="UTC")
    tuesday_night = Override(user_id=7, start=utc(2026, 6, 2, 18), end=utc(2026, 6, 3, 8), created=1)
    late_swap = Override(user_id=8, start=utc(2026, 6, 3, 0), end=utc(2026, 6, 3, 2), created=2)
    overrides = (tuesday_night, late_swap)
    assert on_call(rotation, overrides, utc(2026, 6, 2, 17, 59)) == 1
    assert on_call(rotation, overrides, utc(2026, 6, 2, 18)) == 7
    assert on_call(rotation, overrides, utc(2026, 6, 3, 1)) == 8
    assert on_call(rotation, overrides, utc(2026, 6, 3, 2)) == 7
    assert on_call(rotation, overrides, utc(2026, 6, 3, 8)) == 1


def test_now_and_next_with_an_override_cut_in():
    rotation = Rotation(members=(1, 2), period="daily", handoff=time(8, 0), first_day=date(2026, 6, 1), zone="UTC")
    cover = Override(user_id=9, start=utc(2026, 6, 1, 20), end=utc(2026, 6, 2, 2))
    shifts = upcoming(rotation, (cover,), utc(2026, 6, 1, 12), count=3)
    assert shifts == [
        Shift(1, utc(2026, 6, 1, 12), utc(2026, 6, 1, 20)),
        Shift(9, utc(2026, 6, 1, 20), utc(2026, 6, 2, 2), override=True),
        Shift(1, utc(2026, 6, 2, 2), utc(2026, 6, 2, 8)),
    ]


@pytest.mark.parametrize("kwargs, message", [
    ({"period": "fortnightly"}, "period must be"),
    ({"members": ()}, "at least one member"),
])
def test_rotation_refuses_bad_settings(kwargs, message):
    settings = dict(members=(1,), period="daily", handoff=time(8), first_day=date(2026, 1, 1), zone="UTC")
    with pytest.raises(ValueError, match=message):
        Rotation(**{**settings, **kwargs})


def test_every_hour_of_a_year_has_exactly_one_person_on_call_and_shifts_follow_in_order():
    start = handoff_at(LONDON_WEEKLY, 0)
    previous = None
    changes = 0
    for hour in range(24 * 365):
        user = on_call(LONDON_WEEKLY, (), start + timedelta(hours=hour))
        assert user in (11, 12)
        if previous is not None and user != previous:
            changes += 1
        previous = user
    assert changes == 52  # one hand-off a week through both clock changes: none extra, none missing


DAILY = Rotation(members=(1, 2), period="daily", handoff=time(8, 0), first_day=date(2026, 6, 1), zone="UTC")


def test_now_and_next_by_default_are_this_shift_and_the_one_after():
    assert upcoming(DAILY, (), utc(2026, 6, 1, 12)) == [
        Shift(1, utc(2026, 6, 1, 12), utc(2026, 6, 2, 8)), Shift(2, utc(2026, 6, 2, 8), utc(2026, 6, 3, 8))]


def test_one_person_on_call_shift_after_shift_is_one_stretch():
    alone = Rotation(members=(5,), period="daily", handoff=time(8, 0), first_day=date(2026, 6, 1), zone="UTC")
    assert upcoming(alone, (), utc(2026, 6, 1, 12)) == [Shift(5, utc(2026, 6, 1, 12), utc(2026, 6, 4, 8))]


def test_before_the_rotation_starts_the_first_shift_is_next():
    assert upcoming(DAILY, (), utc(2026, 5, 31, 12)) == [
        Shift(1, utc(2026, 6, 1, 8), utc(2026, 6, 2, 8)), Shift(2, utc(2026, 6, 2, 8), utc(2026, 6, 3, 8))]


def test_an_override_that_starts_now_and_runs_past_a_hand_off_comes_first():
    cover = Override(user_id=9, start=utc(2026, 6, 1, 12), end=utc(2026, 6, 2, 10))
    assert upcoming(DAILY, (cover,), utc(2026, 6, 1, 12)) == [
        Shift(9, utc(2026, 6, 1, 12), utc(2026, 6, 2, 10), override=True),
        Shift(2, utc(2026, 6, 2, 10), utc(2026, 6, 3, 8))]
    assert len(upcoming(DAILY, (cover,), utc(2026, 6, 1, 12), count=4)) == 4


def brute_index(rotation: Rotation, at: datetime) -> int:
    """The last hand-off at or before `at`, counted one by one (-1 before the first)."""
    index = -1
    while handoff_at(rotation, index + 1) <= at:
        index += 1
    return index


@pytest.mark.parametrize("rotation", [SYDNEY_DAILY, LONDON_WEEKLY], ids=["Sydney daily", "London weekly"])
def test_the_shift_at_any_instant_is_the_last_hand_off_before_it_across_clock_changes(rotation):
    start = handoff_at(rotation, 0) - timedelta(days=2)
    for step in range(0, 40 * 24 * 4):  # every quarter of an hour for 40 days, daylight saving changes included
        at = start + timedelta(minutes=15 * step)
        index, i, shift = shift_index(rotation, at), brute_index(rotation, at), rotation_shift(rotation, at)
        if i < 0:  # before the first hand-off: no shift (the index counts back)
            assert index < 0 and shift is None, at
        else:
            assert index == i and shift == Shift(rotation.members[i % len(rotation.members)],
                                                 handoff_at(rotation, i), handoff_at(rotation, i + 1)), at
    for i in range(1, 30):  # exactly at a hand-off the next person is on call, a moment before the last
        moment = handoff_at(rotation, i)
        assert rotation_shift(rotation, moment).user_id == rotation.members[i % len(rotation.members)]
        before = rotation_shift(rotation, moment - timedelta(microseconds=1))
        assert before.user_id == rotation.members[(i - 1) % len(rotation.members)]


@pytest.mark.parametrize("kwargs, message", [
    ({"period": "fortnightly"}, "period must be one of daily, weekly"),
    ({"members": ()}, "a rotation needs at least one member"),
])
def test_rotation_settings_are_refused_in_words(kwargs, message):
    settings = dict(members=(1,), period="daily", handoff=time(8), first_day=date(2026, 1, 1), zone="UTC")
    with pytest.raises(ValueError) as refused:
        Rotation(**{**settings, **kwargs})
    assert str(refused.value) == message
