"""What GET /api/v1/session answers: who is signed in, and the CSRF token the offline outbox sends with."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from ..auth.models import ROLES
from ..common.schemas import Answer

TAGS = ("Session",)


class SessionUser(Answer):
    """The person signed in."""
    id: int
    email: str
    name: str
    role: Literal[ROLES]


class SessionOut(Answer):
    """Who is signed in, and a CSRF token for what the outbox sends."""
    user: SessionUser
    csrf_token: str = Field(description="send it as the X-CSRFToken header (or a form's csrf_token field)")
