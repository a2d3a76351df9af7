"""The errors every feature raises for its callers to show: bad input, and an action refused."""


class Invalid(ValueError):
    """Input that does not validate: `fields` maps each bad key to a message for the user."""

    def __init__(self, fields: dict[str, str], status: int = 400):
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in fields.items()))
        self.fields = fields
        self.status = status


class ActionRefused(ValueError):
    """The action cannot be done as asked; the message says why, for the user."""


class Blocked(ActionRefused):
    """The action waits on other work: `blocking` lists each thing in words (the API answers 409)."""

    def __init__(self, message: str, blocking: list[str]):
        super().__init__(message)
        self.blocking = blocking


class NotYours(ActionRefused):
    """The action is refused because of who asks (an author publishing their own review, an owner
    verifying their own action): the API answers 403."""


class Conflict(ActionRefused):
    """Someone else changed the thing meanwhile (the page or request was made on what it was before):
    nothing was changed, and the caller shows it as it is now (the API answers 409 with `current`)."""

    def __init__(self, message: str, current: dict | None = None):
        super().__init__(message)
        self.current = current


def refusal_status(error: ActionRefused) -> int:
    """The HTTP status of a refused action: 409 blocked or changed meanwhile, 403 not for this person,
    422 otherwise."""
    if isinstance(error, (Blocked, Conflict)):
        return 409
    return 403 if isinstance(error, NotYours) else 422
