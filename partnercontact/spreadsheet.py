"""Exports that managers open in a spreadsheet program: the formula guard and XLSX writing.

Text in an export can come from people (a place typed at consent, a clinic's name) or from a
translation. A spreadsheet runs a cell that looks like a formula, so a place typed as
``=HYPERLINK(...)`` could send data away or start a program when a manager opens the file
(OWASP, "CSV injection"). Every text cell written here goes through one of the guards below.
This is the only module that imports ``openpyxl``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

# What a spreadsheet reads as the start of a formula (or of a DDE call, for the tab and CR).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

# Column widths in characters: wide enough for a label, never a whole paragraph.
MIN_WIDTH = 8
MAX_WIDTH = 60
APPLICATION = "partnercontact"

Value = str | int | float | None


# A signed number ("-4", "+7", "+1.5") starts like a formula but calls nothing; quoting it
# would only spoil a change column. Anything more ("+4 pp", "-1+HYPERLINK(...)") is quoted.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def csv_safe(value: str) -> str:
    """``value`` with a leading quote if a spreadsheet would read it as a formula."""
    if value.startswith(FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(value):
        return f"'{value}"
    return value


@dataclass(frozen=True)
class Cell:
    """A cell with a number format (``"0 %"``, ``"+0;-0;0"``) or in bold."""

    value: Value
    number_format: str | None = None
    bold: bool = False


def xlsx_bytes(sheet_title: str, rows: Iterable[Sequence[Value | Cell]], *, title: str) -> bytes:
    """One sheet of ``rows`` as an XLSX file; document properties name only ``title``.

    Strings are always stored as text, never as formulas: openpyxl would write a string that
    starts with "=" as a formula, so its type is set to text after the fact, and a string
    that a spreadsheet would re-read as a formula on editing carries the quote prefix. Text
    keeps its exact content, unlike in a CSV, where the only guard is a leading quote.
    Numbers stay numbers.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    widths: dict[int, int] = {}
    for row_number, row in enumerate(rows, start=1):
        for column, item in enumerate(row, start=1):
            cell_spec = item if isinstance(item, Cell) else Cell(item)
            value = cell_spec.value
            if isinstance(value, str):
                # Control characters are not allowed in the file format.
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            cell = sheet.cell(row=row_number, column=column, value=value)
            if isinstance(value, str):
                cell.data_type = "s"
                cell.quotePrefix = value.startswith(FORMULA_STARTS)
            if cell_spec.number_format:
                cell.number_format = cell_spec.number_format
            if cell_spec.bold:
                cell.font = Font(bold=True)
            if value is not None:
                widths[column] = max(widths.get(column, 0), len(str(value)))
    for column, width in widths.items():
        letter = get_column_letter(column)
        sheet.column_dimensions[letter].width = min(MAX_WIDTH, max(MIN_WIDTH, width + 2))
    # Nothing about who made the file: openpyxl would otherwise name itself the creator,
    # and a spreadsheet program later adds whoever saves it.
    properties = workbook.properties
    properties.creator = APPLICATION
    properties.lastModifiedBy = None
    properties.title = title
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
