"""The field types the declared inputs share (common/schemas.py), and the report's answer types
(rules/answer_types.py) use too: pure pydantic, no Flask."""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

MAX_TEXT = 20_000  # no field of ours holds more text than this (a note is 5,000, a review's parts 10,000)


def blank_is_none(value: Any) -> Any:
    return None if isinstance(value, str) and value.strip() == "" else value


def digits(text: str) -> bool:
    """Whether text holds a whole number int() reads: ASCII digits only ("²" and "٣" are digits to
    str.isdigit(), but not to int())."""
    return text.isascii() and text.isdigit()


def _ascii_digits(value: Any) -> Any:
    """A form's number as int() reads it."""
    if isinstance(value, str):
        text = value.strip()
        if not digits(text):
            raise PydanticCustomError("whole_number", "must be a whole number")
        return int(text)
    return value


ROW_ID = 2**31 - 1  # the largest id a database row of ours has
# (the range is the int's, so the document says minimum/maximum; a blank is None before digits are asked for)
FormId = Annotated[int, Field(ge=1, le=ROW_ID), BeforeValidator(_ascii_digits)]
OptionalFormId = Annotated[FormId | None, BeforeValidator(blank_is_none)]
RowId = Annotated[int, Field(ge=1, le=ROW_ID)]


def _line_feeds(value: Any) -> Any:
    """A textarea sends each line break as CRLF: one character, as the browser's maxlength counts it."""
    return value.replace("\r\n", "\n") if isinstance(value, str) else value


def text_up_to(limit: int) -> Any:
    """Text of at most `limit` characters, its line breaks as LF."""
    return Annotated[str, Field(max_length=limit), BeforeValidator(_line_feeds)]
