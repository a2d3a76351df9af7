"""Who is on call: rotations with hand-offs in the schedule's own time zone, and overrides. Pure.

A rotation hands off every day or every week at a wall-clock time in its time zone ("weekly, Monday
08:00 Australia/Sydney"), so hand-offs stay at 08:00 local across daylight-saving changes even though
the shift that spans the change is an hour longer or shorter. An override ("I cover Tuesday night")
puts someone else on call for a stretch of time; the latest override wins where they overlap.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PERIOD_DAYS = {"daily": 1, "weekly": 7}


@dataclass(frozen=True)
class Rotation:
    members: tuple[int, ...]  # user ids, in hand-off order
    period: str  # "daily" or "weekly"
    handoff: time  # wall-clock time of the hand-off in `zone`
    first_day: date  # the local date of the first hand-off; weekly rotations hand off on its weekday
    zone: str

    def __post_init__(self):
        if self.period not in PERIOD_DAYS:
            raise ValueError(f"period must be one of {', '.join(PERIOD_DAYS)}")
        if not self.members:
            raise ValueError("a rotation needs at least one member")


@dataclass(frozen=True)
class Override:
    user_id: int
    start: datetime  # aware
    end: datetime  # aware, after start
    created: int = 0  # a later override wins where two overlap


@dataclass(frozen=True)
class Shift:
    user_id: int
    start: datetime  # UTC
    end: datetime  # UTC
    override: bool = False


def handoff_at(rotation: Rotation, index: int) -> datetime:
    """The UTC instant of the index-th hand-off (index 0 is the first), at local wall-clock time.

    A hand-off time that does not exist on a spring-forward day (02:30 when clocks jump 02:00 -> 03:00)
    falls at the same offset as before the jump, i.e. an hour later on the new clock; on a fall-back day
    the first of the two 01:30s is used.
    """
    day = rotation.first_day + timedelta(days=index * PERIOD_DAYS[rotation.period])
    local = datetime.combine(day, rotation.handoff, tzinfo=ZoneInfo(rotation.zone))
    return local.astimezone(UTC)


def shift_index(rotation: Rotation, at: datetime) -> int:
    """Which shift (0, 1, ...) covers the instant `at`; negative before the first hand-off."""
    local_day = at.astimezone(ZoneInfo(rotation.zone)).date()
    days = (local_day - rotation.first_day).days
    index = days // PERIOD_DAYS[rotation.period]
    # The shift that starts on this local day may not have started yet (before the hand-off time).
    while handoff_at(rotation, index) > at:
        index -= 1
    while handoff_at(rotation, index + 1) <= at:
        index += 1
    return index


def rotation_shift(rotation: Rotation, at: datetime) -> Shift | None:
    """The rotation's own shift at `at` (None before its first hand-off)."""
    index = shift_index(rotation, at)
    if index < 0:
        return None
    member = rotation.members[index % len(rotation.members)]
    return Shift(member, handoff_at(rotation, index), handoff_at(rotation, index + 1))


def _override_at(overrides: list[Override] | tuple[Override, ...], at: datetime) -> Override | None:
    covering = [o for o in overrides if o.start <= at < o.end]
    return max(covering, key=lambda o: (o.created, o.start)) if covering else None


def on_call(rotation: Rotation, overrides, at: datetime) -> int | None:
    """The user on call at `at`: an override if one covers it, otherwise the rotation's member."""
    override = _override_at(overrides, at)
    if override is not None:
        return override.user_id
    shift = rotation_shift(rotation, at)
    return shift.user_id if shift else None


def upcoming(rotation: Rotation, overrides, at: datetime, count: int = 2) -> list[Shift]:
    """The shifts from `at` on (the current one first), with overrides cut in: for "on call now and next"."""
    boundaries = {at}
    index = max(shift_index(rotation, at), 0)
    horizon = handoff_at(rotation, index + count + 1)
    for i in range(index, index + count + 2):
        boundaries.add(handoff_at(rotation, i))
    for o in overrides:
        boundaries.update(t for t in (o.start, o.end) if at <= t <= horizon)
    points = sorted(t for t in boundaries if at <= t <= horizon)
    shifts: list[Shift] = []
    for start, end in zip(points, points[1:], strict=False):
        override = _override_at(overrides, start)
        user = override.user_id if override else on_call(rotation, (), start)
        if user is None:
            continue
        if shifts and shifts[-1].user_id == user and shifts[-1].override == bool(override):
            shifts[-1] = Shift(user, shifts[-1].start, end, bool(override))
        else:
            shifts.append(Shift(user, start, end, bool(override)))
    return shifts[:count]
