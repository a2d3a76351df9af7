"""The SLA targets form (declared; see common/schemas.py): one field per severity and clock, named
`P1-response` and so on, as the page posts them; what each holds ("15m", "4h") the rules check."""
from __future__ import annotations

from pydantic import Field, create_model

from ..common.schemas import Form
from ..rules.classification import SEVERITIES
from .rules import CLOCKS

TargetsForm = create_model(
    "TargetsForm", __base__=Form,
    __doc__="The response and resolution targets per severity, as typed (blank: the default).",
    **{f"{severity}_{clock}": (str, Field("", max_length=100, alias=f"{severity}-{clock}"))
       for severity in SEVERITIES for clock in CLOCKS})
