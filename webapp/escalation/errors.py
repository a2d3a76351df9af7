"""How a channel says a page could not be sent."""


class SendFailed(Exception):
    """The channel refused or could not be reached; worth trying again later. The message says why."""


class PermanentFailure(SendFailed):
    """Trying again cannot help (the push service refuses this message, or the phone's subscription
    is gone): the page fails at once, and the email fallback takes over."""
