"""What logging in and changing one's password post (declared; see common/schemas.py).

Every field may be left empty: an empty or wrong login is the login page's own 401 (one message whichever
part was wrong), a weak or mismatched new password the password page's 422 with the reason.
"""
from __future__ import annotations

from pydantic import ConfigDict, Field

from ..common.schemas import Form, Query

# No password of ours is longer than passwords.LONGEST (200); a login or the current password is still read
# up to this, so a longer one set before that rule is checked (and refused as wrong), not cut off, and a
# new one over LONGEST gets the password page's own message.
PASSWORD_FIELD = 1000


class LoginForm(Form):
    """An email and password (the rate limits read the email from the posted form before this)."""
    email: str = Field("", max_length=254)
    password: str = Field("", max_length=PASSWORD_FIELD)


class LoginQuery(Query):
    """Where to go after logging in. Other parameters (a tracking link's, a mail scanner's) are ignored: the
    login page must open whatever link brought the person to it."""
    model_config = ConfigDict(extra="ignore")
    next: str = Field("", max_length=4096, description="a path on this site (anything else is ignored): "
                                                       "the page that asked for a login")


class PasswordForm(Form):
    """One's current password and the new one twice."""
    current: str = Field("", max_length=PASSWORD_FIELD)
    new: str = Field("", max_length=PASSWORD_FIELD)
    confirm: str = Field("", max_length=PASSWORD_FIELD)
