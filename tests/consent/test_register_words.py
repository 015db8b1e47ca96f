"""The consent register's exports speak the language of the manager who makes them: headers
and coded values (states, forms, what became of the signed copy) in words, Swedish for a
Swedish manager and English for an English one, and no code of a known vocabulary in any
cell. A stored moment is written as the clinic's clocks show it, in the files and on the
register's pages."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime

import openpyxl
import pytest
from flask import Flask

from partnercontact.client_side.consent.models import Consent
from partnercontact.client_side.consent.register_labels import (
    DOCUMENT_LABELS,
    FORM_OF_CONSENT_LABELS,
    LANGUAGE_LABELS,
    RULE_LABELS,
    STATE_LABELS,
)
from partnercontact.client_side.consent.service import record_refusal, withdraw_consent
from partnercontact.clock import FixedClock
from partnercontact.db import db
from tests.cases_built import attach_pdf, client_of, consent_of
from tests.consent.register_files import csv_records, headers_in
from tests.factories import Account, Factory
from tests.helpers import log_in, text_of
from tests.vocabulary import codes_in

# 23:30 UTC on 15 January is 00:30 on the 16th on the clinic's clocks (Stockholm, UTC+1).
LATE_EVENING_UTC = datetime(2026, 1, 15, 23, 30, tzinfo=UTC)
CLINIC_TIME = "2026-01-16 00:30"
# The register's own codes, single words among them ("given", "verbal"), which the general
# vocabulary leaves out because a word like that can be a label too.
REGISTER_CODES = frozenset().union(
    STATE_LABELS, DOCUMENT_LABELS, RULE_LABELS, FORM_OF_CONSENT_LABELS, LANGUAGE_LABELS
)
WORDS = {
    "sv": {
        "states": {"Lämnat", "Återkallat", "Samtycke nekat"},
        "sheet": "Samtyckesregister",
        "file": "samtyckesregister",
        "written": "Skriftligt",
    },
    "en": {
        "states": {"Given", "Withdrawn", "Consent refused"},
        "sheet": "Consent register",
        "file": "consent-register",
        "written": "Written",
    },
}


@dataclass
class Built:
    manager: Account
    attached: Consent


@pytest.fixture
def built(factory: Factory, clock: FixedClock) -> Built:
    treater = factory.client_treater().user
    first, second, third = (client_of(treater, f"Qzvarkel Ordsson {n}") for n in range(3))
    day = date(2026, 1, 15)
    clock.set(LATE_EVENING_UTC)
    attached = consent_of(treater, first, clock, signed_on=day)
    attach_pdf(treater, first, attached)
    withdrawn = consent_of(treater, second, clock, signed_on=day)
    withdraw_consent(treater, second, withdrawn.id, withdrawn_on=day)
    record_refusal(
        treater,
        third,
        language="en",
        place="Lindvik",
        refused_on=day,
        treatment_continues=False,
        team_decided_on=day,
    )
    db.session.commit()
    return Built(factory.manager(), attached)


def _as_manager_in(client, built: Built, clock: FixedClock, language: str) -> None:
    built.manager.user.locale = language
    db.session.commit()
    log_in(client, built.manager, clock)


def _codes_in_cells(cells: list[object]) -> list[str]:
    texts = [cell for cell in cells if isinstance(cell, str)]
    return [text for text in texts if text in REGISTER_CODES] + [
        code for text in texts for code in codes_in(text)
    ]


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_csv_is_in_the_managers_language_without_codes(
    app: Flask, client, built: Built, clock: FixedClock, language: str
) -> None:
    _as_manager_in(client, built, clock, language)
    response = client.get("/management/consents.csv")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{WORDS[language]["file"]}.csv"'
    )
    header, records = csv_records(text_of(response))
    assert header == headers_in(app, language)
    assert {record["state"] for record in records} == WORDS[language]["states"]
    assert records[0]["form_of_consent"] == WORDS[language]["written"]
    cells = [*header, *(value for record in records for value in record.values())]
    assert _codes_in_cells(cells) == []


def test_swedish_and_english_headers_differ(app: Flask) -> None:
    swedish, english = headers_in(app, "sv"), headers_in(app, "en")
    assert [s == e for s, e in zip(swedish, english, strict=True)].count(True) == 0


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_xlsx_is_in_the_managers_language_without_codes(
    app: Flask, client, built: Built, clock: FixedClock, language: str
) -> None:
    _as_manager_in(client, built, clock, language)
    response = client.get("/management/consents.xlsx")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="{WORDS[language]["file"]}.xlsx"'
    )
    workbook = openpyxl.load_workbook(io.BytesIO(response.data))
    assert workbook.sheetnames == [WORDS[language]["sheet"]]
    header, *rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert header == headers_in(app, language)
    assert _codes_in_cells([*header, *(cell for row in rows for cell in row)]) == []


def test_a_moment_is_the_clinics_wall_clock_in_the_export_and_on_the_page(
    client, built: Built, clock: FixedClock
) -> None:
    _as_manager_in(client, built, clock, "sv")
    _header, records = csv_records(text_of(client.get("/management/consents.csv")))
    attached = next(r for r in records if r["consent_id"] == str(built.attached.id))
    assert attached["document_attached_at"] == CLINIC_TIME
    assert attached["signed_on"] == "2026-01-15"  # a date stays a date

    page = text_of(client.get(f"/management/consents/{built.attached.id}"))
    assert page.count(CLINIC_TIME) >= 3  # attached, and the trail's recording and attaching
    assert "23:30" not in page and "T23" not in page
    assert "Klar" in page and ">ok<" not in page  # the trail's outcome in words
