"""Escalation policies as pure steps: who to page now, and when to go on if nobody acknowledges.

A policy is ordered levels; a level pages users, a schedule's on-call person, or an incident role,
then waits its delay before the next level. The whole policy runs `repeats` extra times. A level with
nobody reachable (nobody on call, or nobody with a working alert channel) is skipped at once with a
warning rather than waited out. Which policy runs is decided by rules on site, category and severity.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

TARGET_KINDS = ("user", "schedule", "role")


@dataclass(frozen=True)
class Target:
    kind: str  # user, schedule or role
    ref: int | str  # a user id, a schedule id, or an incident role name

    def __post_init__(self):
        if self.kind not in TARGET_KINDS:
            raise ValueError(f"target kind must be one of {', '.join(TARGET_KINDS)}")


@dataclass(frozen=True)
class Level:
    targets: tuple[Target, ...]
    delay: timedelta  # wait this long for an acknowledgement before the next level


@dataclass(frozen=True)
class Policy:
    levels: tuple[Level, ...]
    repeats: int = 0  # run the whole policy this many more times

    @property
    def steps(self) -> int:
        return len(self.levels) * (self.repeats + 1)


@dataclass(frozen=True)
class Position:
    """Where an incident's escalation stands: the next step to run and when it is due."""

    step: int  # 0-based over levels x (repeats + 1)
    due: datetime


@dataclass
class Outcome:
    """What running the due steps produced."""

    pages: list[tuple[int, int]] = field(default_factory=list)  # (user id, step) to page now
    warnings: list[str] = field(default_factory=list)  # e.g. "level 2 skipped: nobody on call"
    next: Position | None = None  # None: the policy is exhausted


Resolve = Callable[[Target, datetime], list[int]]  # a target -> user ids, at a time
Reachable = Callable[[int], bool]  # does this user have a working alert channel?


def level_of(policy: Policy, step: int) -> tuple[int, int]:
    """(level index, round) of a step."""
    return step % len(policy.levels), step // len(policy.levels)


def advance(policy: Policy, position: Position, now: datetime, resolve: Resolve, reachable: Reachable) -> Outcome:
    """Run the step at `position` (it must be due): page its people, or skip it at once if nobody can
    be reached, until a level pages someone or the policy runs out."""
    if now < position.due:
        raise ValueError("the step is not due yet")
    outcome = Outcome()
    step = position.step
    while step < policy.steps:
        index, round_ = level_of(policy, step)
        level = policy.levels[index]
        people = list(dict.fromkeys(u for t in level.targets for u in resolve(t, now)))
        able = [u for u in people if reachable(u)]
        label = f"level {index + 1}" + (f" (repeat {round_})" if round_ else "")
        if able:
            outcome.pages = [(u, step) for u in able]
            unable = [u for u in people if u not in able]
            if unable:
                outcome.warnings.append(f"{label}: {len(unable)} person(s) have no working alert channel")
            outcome.next = Position(step + 1, now + level.delay) if step + 1 < policy.steps else None
            return outcome
        why = "nobody with a working alert channel" if people else "nobody on call or assigned"
        outcome.warnings.append(f"{label} skipped: {why}")
        step += 1
    outcome.next = None
    return outcome


@dataclass(frozen=True)
class PolicyRule:
    """Run `policy_id` for incidents matching every condition given (None matches anything)."""

    policy_id: int
    sites: frozenset[str] | None = None
    categories: frozenset[str] | None = None
    severities: frozenset[str] | None = None


def choose_policy(rules: Iterable[PolicyRule], site: str, categories: Iterable[str], severity: str) -> int | None:
    """The first rule (in order) that matches the incident, or None."""
    cats = set(categories)
    for rule in rules:
        if rule.sites is not None and site not in rule.sites:
            continue
        if rule.categories is not None and not (cats & rule.categories):
            continue
        if rule.severities is not None and severity not in rule.severities:
            continue
        return rule.policy_id
    return None


def coverage_gaps(policy: Policy, at: datetime, resolve: Resolve, reachable: Reachable) -> list[str]:
    """Warnings for supervisors: levels whose people (now) have no working alert channel.

    Role targets are only known on an incident, so they are not judged here.
    """
    gaps = []
    for index, level in enumerate(policy.levels):
        fixed = [t for t in level.targets if t.kind != "role"]
        if not fixed:
            continue
        people = list(dict.fromkeys(u for t in fixed for u in resolve(t, at)))
        if not people:
            gaps.append(f"level {index + 1}: nobody on call or assigned")
        elif not any(reachable(u) for u in people):
            gaps.append(f"level {index + 1}: nobody has a working alert channel")
    return gaps
