"""How a sender says a message could not be sent."""
from __future__ import annotations

from datetime import timedelta


class SendFailed(Exception):
    """The channel refused or could not be reached; worth trying again later. The message says why.
    `retry_after`: how long the peer asked us to wait (a push service's Retry-After), if it said."""

    def __init__(self, message: str, retry_after: timedelta | None = None):
        super().__init__(message)
        self.retry_after = retry_after


class PermanentFailure(SendFailed):
    """Trying again cannot help (the subscription is gone or malformed, the service refuses this
    message): the message fails at once."""
