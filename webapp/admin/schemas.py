"""What the admin pages' forms post (declared; see common/schemas.py).

The business rules stay with their validators (organisation/rules.py, the views' own checks), so a person's
mistake still gets the page back with its message (422); a form models what no browser of ours sends: an
unknown field, a field twice, text over what can be stored, an id that is not a number.
"""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StringConstraints, create_model

from ..common.schemas import Form, OptionalFormId
from ..organisation.rules import PROFILE_FLAGS


def _line(limit: int) -> object:
    """One line of text, read without its surrounding spaces (as the validators read it), at most `limit`
    characters."""
    return Annotated[str, StringConstraints(strip_whitespace=True, max_length=limit)]


# What a person types on these pages gets the page back with the validators' own limits and messages (a
# site code of 20, a name of 200...): the form's limit is only what no person types.
TYPED = 1000
Name = _line(TYPED)  # a person's, a site's or the organisation's
Email = _line(TYPED)
Code = _line(TYPED)  # a role, a site's code
Jurisdiction = _line(TYPED)
TimeZone = _line(TYPED)
TokenName = _line(TYPED)
Typed = _line(TYPED)  # a month or a number as a person typed it: the view says what is wrong with it


class InviteForm(Form):
    """A new user (the view says which of name, email, role and site is missing or wrong)."""
    name: Name = ""
    email: Email = ""
    role: Code = Field("", description="one of auth.models.ROLES")
    home_site: OptionalFormId = Field(None, description="a site's id; blank for none")


class UserChangeForm(Form):
    """A user's role and home site, or their deactivation: only the fields sent change."""
    role: Code = Field("", description="one of auth.models.ROLES")
    home_site: OptionalFormId = Field(None, description="a site's id; blank for none")
    active: Literal["0", "1"] | None = Field(None, description="0 deactivates (and signs them out), 1 reactivates")


class _SiteFields(Form):
    name: Name = ""
    jurisdiction: Jurisdiction = Field("", description="one of rules.answers.JURISDICTIONS")
    timezone: TimeZone = Field("", description="an IANA time zone such as Australia/Sydney")


class SiteForm(_SiteFields):
    """A new site."""
    code: Code = Field("", description="letters, digits and '-'")


class SiteChangeForm(_SiteFields):
    """A site's name, jurisdiction, time zone and stakeholders: only the fields sent change."""
    stakeholders: str = Field("", max_length=50 * 256, description="email addresses, one a line (at most 50)")


OrganisationForm = create_model(
    "OrganisationForm", __base__=Form, __doc__="The organisation's name and profile flags (a ticked box sends "
    "`on`; an unticked one is not sent).", name=(Name, ""),
    **{flag: (Literal["on"] | None, None) for flag in PROFILE_FLAGS})


class TokenForm(Form):
    """A new API token: what it is for, and the active user it acts as."""
    name: TokenName = ""
    user_id: OptionalFormId = Field(None, description="an active user's id")


class HoursForm(Form):
    """Hours worked at a site in a month, as typed (the view reads the month and the number, and says what
    is wrong with either on the page)."""
    site: Code = Field("", description="a site's code")
    month: Typed = Field("", description="YYYY-MM")
    hours: Typed = Field("", description="a number from 0, a point for decimals (12,345.5)")
