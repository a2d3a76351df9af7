"""The errors every feature raises for its callers to show: bad input, and an action refused."""


class Invalid(ValueError):
    """Input that does not validate: `fields` maps each bad key to a message for the user."""

    def __init__(self, fields: dict[str, str], status: int = 400):
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in fields.items()))
        self.fields = fields
        self.status = status


class ActionRefused(ValueError):
    """The action cannot be done as asked; the message says why, for the user."""
