"""One error type for bad input, carrying a message per field, used by the form, admin pages and API."""


class Invalid(ValueError):
    """Input that does not validate: `fields` maps each bad key to a message for the user."""

    def __init__(self, fields: dict[str, str], status: int = 400):
        super().__init__("; ".join(f"{k}: {v}" if k else v for k, v in fields.items()))
        self.fields = fields
        self.status = status
