"""The forms of status updates (declaring a major incident takes nothing but the CSRF token)."""
from __future__ import annotations

from typing import Literal

from ..common.schemas import Form, text_up_to
from .rules import AUDIENCES
from .service import MAX_UPDATE


class UpdateForm(Form):
    """A status update, and who it is for (customer and public updates are emailed to the site's stakeholders)."""
    audience: Literal[("", *AUDIENCES)] = ""
    text: text_up_to(MAX_UPDATE) = ""
