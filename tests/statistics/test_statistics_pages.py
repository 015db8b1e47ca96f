"""The statistics as a manager meets them: the page, its charts and its two exports, all
showing the seeded clinic's March with the same numbers hidden."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest
from openpyxl import load_workbook

from partnercontact.db import db
from tests.helpers import log_in, text_of
from tests.statistics.known_history import Seeded, seed_known_history
from tests.vocabulary import codes_in

SVG = "{http://www.w3.org/2000/svg}svg"


@pytest.fixture
def seeded(factory, clock) -> Seeded:
    return seed_known_history(factory, clock)


@pytest.fixture
def manager_client(client, seeded: Seeded, clock):
    log_in(client, seeded.manager, clock)
    return client


def cells(page: str, line: str) -> list[str]:
    """The texts of the current, previous and change cells of one table line."""
    # Our own page, parsed to read its cells.
    root = ET.fromstring(_table_row(page, line))  # noqa: S314
    return [cell.text or "" for cell in root.findall("td")]


def _table_row(page: str, line: str) -> str:
    start = page.index(f'<tr data-line="{line}"')
    return page[start : page.index("</tr>", start) + len("</tr>")]


def test_the_last_whole_month_shows_in_swedish_with_small_numbers_hidden(manager_client) -> None:
    response = manager_client.get("/management/statistics")
    page = text_of(response)
    assert response.status_code == 200
    assert "mars 2026" in page and "februari 2026" in page
    assert cells(page, "clients.in_treatment") == ["16", "9", "+7"]
    assert cells(page, "clients.dropouts") == ["<5", "<5", "<5"]
    assert cells(page, "asked.share") == ["88 %", "78 %", "+10 pp"] or cells(
        page, "asked.share"
    ) == ["88 %", "78 %", "+10 p.e."]
    assert cells(page, "relayed.dropped_out") == ["<5", "<5", "<5"]
    assert cells(page, "relayed.treatment_completed") == ["<5", "<5", "<5"]
    assert cells(page, "relayed.total") == ["31", "<5", "<5"]
    assert cells(page, "timing.median_days") == ["6.5", "5", "+1.5"]
    assert cells(page, "consultations.risk_signals") == ["6", "<5", "<5"]
    assert cells(page, "consultations.asked_by_client_side") == ["<5", "<5", "<5"]
    assert "Risksignaler från klientens behandlare" in page


def test_every_section_has_a_chart_that_draws_without_scripts(manager_client) -> None:
    page = text_of(manager_client.get("/management/statistics?period=2026-03"))
    sections = page.count('class="statistics-section"')
    assert sections == 9
    charts = [
        ET.fromstring(page[start : page.index("</svg>", start) + len("</svg>")])  # noqa: S314
        for start in _all(page, "<svg")
    ]
    assert len(charts) == sections
    assert all(chart.tag == SVG and chart.get("role") == "img" for chart in charts)
    assert "<script" not in page.split("<main", 1)[-1]


def _all(text: str, needle: str) -> list[int]:
    found, start = [], text.find(needle)
    while start != -1:
        found.append(start)
        start = text.find(needle, start + 1)
    return found


def test_a_quarter_is_chosen_from_the_list(manager_client) -> None:
    page = text_of(manager_client.get("/management/statistics?period=2026-Q1"))
    assert '<option selected value="2026-Q1">' in page or 'value="2026-Q1" selected' in page
    assert cells(page, "clients.in_treatment")[0] == "31"


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-13", "Välj en månad (2026-03), ett kvartal (2026-Q1) eller ett år (2026)."),
        ("2026-05", "Perioden har inte börjat än."),
    ],
)
def test_a_bad_period_is_named_on_its_field(manager_client, period: str, message: str) -> None:
    for path in ("/management/statistics", "/management/statistics.csv"):
        response = manager_client.get(f"{path}?period={period}")
        assert response.status_code == 400
        page = text_of(response)
        assert 'id="period-error"' in page and message in page


def test_the_csv_export_hides_the_same_numbers(manager_client) -> None:
    response = manager_client.get("/management/statistics.csv?period=2026-03")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="statistik-2026-03.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    rows = list(csv.reader(io.StringIO(text_of(response).lstrip("\ufeff"))))
    by_label = {row[1]: row[2:5] for row in rows if len(row) >= 5}
    assert by_label["Klienter i behandling"] == ["16", "9", "+7"]
    assert by_label["Avbrott i förtid"] == ["<5", "<5", "<5"]


def test_the_xlsx_export_carries_numbers_and_hides_the_small_ones(manager_client) -> None:
    response = manager_client.get("/management/statistics.xlsx?period=2026-03")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = {row[1]: row[2:5] for row in sheet.iter_rows(values_only=True) if len(row) >= 5}
    assert values["Klienter i behandling"] == (16, 9, 7)
    assert values["Avbrott i förtid"] == ("<5", "<5", "<5")


# A header cell, a line and the file's name, in each language.
EXPORT_WORDS = {
    "sv": ("Mottagning", "Klienter i behandling", "statistik-2026-03", "Statistik"),
    "en": ("Clinic", "Clients in treatment", "statistics-2026-03", "Statistics"),
}


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_exports_are_in_the_managers_language_without_codes(
    client, seeded: Seeded, clock, language: str
) -> None:
    seeded.manager.user.locale = language
    db.session.commit()
    log_in(client, seeded.manager, clock)
    header, line, name, sheet_name = EXPORT_WORDS[language]
    response = client.get("/management/statistics.csv?period=2026-03")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.csv"'
    rows = list(csv.reader(io.StringIO(text_of(response).lstrip("\ufeff"))))
    assert rows[0][0] == header and line in [row[1] for row in rows if len(row) > 1]
    response = client.get("/management/statistics.xlsx?period=2026-03")
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}.xlsx"'
    workbook = load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == [sheet_name]
    cells = [cell for row in workbook.active.iter_rows(values_only=True) for cell in row]
    texts = [cell for row in rows for cell in row] + [c for c in cells if isinstance(c, str)]
    assert [code for text in texts for code in codes_in(text)] == []
