"""CSV that spreadsheets open safely: RFC 4180 quoting (the csv module's) and no formulas.

A cell a spreadsheet would read as a formula (starting with =, +, -, @, a tab or a carriage return) is
written as text by a leading apostrophe, so an incident description cannot run anything on the
reader's machine (OWASP: CSV injection)."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(header: list[str], rows: Iterable[list[object]]) -> Iterator[str]:
    """The header and each row as a CSV line (CRLF endings), one at a time: nothing is built in memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in ([header], rows):
        for cells in row:
            writer.writerow([safe_cell(cell) for cell in cells])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
