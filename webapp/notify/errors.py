"""How a sender says what became of a message.

A sender prepares a message (database reads, rendering, encryption) and returns a transmit function
that only talks to the network; transmitting returns a Result: the failure, if any, and the changes
that go with it (a phone's last success, a subscription turned off), which the outbox makes in the
database when it records the outcome.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta


class SendFailed(Exception):
    """The channel refused or could not be reached; worth trying again later. The message says why.
    `retry_after`: how long the peer asked us to wait (a push service's Retry-After), if it said."""

    def __init__(self, message: str, retry_after: timedelta | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(SendFailed):
    """Trying again cannot help (the subscription is gone or malformed, the service refuses this
    message): the message fails at once."""


@dataclass
class Result:
    failure: SendFailed | None = None
    record: Callable[[datetime], None] | None = None  # database changes to make with the outcome
    phone_worked: int | None = None  # the subscription that took the push (its last success, recorded in bulk)


Transmit = Callable[[], Result]  # network only: no database, no app context
