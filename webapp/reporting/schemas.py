"""What the report form posts (declared; see common/schemas.py): the answer keys as the browser sends them
(rules/answer_types.form_fields, the same table as the API's), the phone's location, and the SHA-256s of
photos the outbox uploaded first. The answers' own rules stay with validate_report, which names each
problem on the form with everything kept."""
from __future__ import annotations

from typing import Annotated

from pydantic import Field, create_model

from ..common.schemas import Form
from ..rules.answer_types import form_fields

Coordinate = Annotated[str, Field(max_length=40)]
Sha256 = Annotated[str, Field(max_length=64)]

ReportForm = create_model(
    "ReportForm", __base__=Form, __doc__="A report from the guided form (or the outbox, which posts the same fields).",
    location_lat=(Coordinate, ""), location_lon=(Coordinate, ""), location_accuracy=(Coordinate, ""),
    photos=(list[Sha256], Field(default_factory=list, max_length=100,
                                description="photos uploaded first through /api/v1/photos")),
    **form_fields())
