"""Recording, refusing and withdrawing the client's consent, through the service."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.cases.service import register_client
from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.models import Consent
from partnercontact.client_side.consent.service import (
    record_consent,
    record_refusal,
    withdraw_consent,
)
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from tests.factories import Factory


@pytest.fixture
def treater(factory: Factory):
    return factory.client_treater().user


@pytest.fixture
def client_id(treater):
    client = register_client(
        treater, name="Kalle Testsson", personal_id=None, phone="0701234567", language="sv"
    )
    db.session.commit()
    return client.id


def _consent(treater, client_id, clock, **changes):
    values = {
        "language": "sv",
        "scopes": ["contact_letter", "tell_when_ended"],
        "place": "Lindvik",
        "signed_on": clock.now().date(),
        "attested_details_given": True,
        **changes,
    }
    return record_consent(treater, client_id, **values)


def _consents() -> int:
    return db.session.scalar(select(func.count()).select_from(Consent))


def test_a_written_consent_is_recorded_on_the_form_in_force_and_awaits_its_signature(
    app, treater, client_id, clock
) -> None:
    consent = _consent(treater, client_id, clock)
    db.session.commit()
    assert (consent.form_version, consent.form_language) == (1, "sv")
    assert consent.contact_letter and consent.tell_when_ended and not consent.contact_sms
    assert consent.signature_pending and not consent.allows_partner_contact
    assert (
        db.session.scalar(
            select(AuditEvent.action).where(AuditEvent.resource_id == str(consent.id))
        )
        == "consent.recorded"
    )


def test_verbal_consent_depends_on_the_clinics_policy(app, treater, client_id, clock) -> None:
    with pytest.raises(ConsentInvalid) as refused:
        _consent(treater, client_id, clock, verbal=True)
    assert refused.value.field == "form_of_consent"
    treater.clinic.verbal_consent_allowed = True
    consent = _consent(treater, client_id, clock, verbal=True)
    assert consent.allows_partner_contact and not consent.signature_pending


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"scopes": []}, "scopes"),
        ({"scopes": ["contact_fax"]}, "scopes"),
        ({"signed_on": "tomorrow"}, "signed_on"),
        ({"place": " "}, "place"),
        ({"attested_details_given": False}, "attested_details_given"),
    ],
)
def test_bad_input_names_the_field_and_records_nothing(
    app, treater, client_id, clock, changes: dict, field: str
) -> None:
    if changes.get("signed_on") == "tomorrow":
        changes = {"signed_on": clock.now().date() + timedelta(days=1)}
    with pytest.raises(ConsentInvalid) as refused:
        _consent(treater, client_id, clock, **changes)
    assert refused.value.field == field
    db.session.rollback()
    assert _consents() == 0


def test_a_withdrawn_consent_stays_withdrawn(app, treater, client_id, clock) -> None:
    consent = _consent(treater, client_id, clock)
    db.session.commit()
    clock.advance(days=10)
    withdraw_consent(treater, client_id, consent.id, withdrawn_on=clock.now().date())
    db.session.commit()
    assert not consent.is_active and consent.withdrawn_by_id == treater.id
    with pytest.raises(Conflict):
        withdraw_consent(treater, client_id, consent.id, withdrawn_on=clock.now().date())
    # A new consent is a new record; the withdrawn one is untouched.
    renewed = _consent(treater, client_id, clock)
    db.session.commit()
    assert renewed.id != consent.id
    db.session.refresh(consent)
    assert consent.withdrawn_on == clock.now().date() and not consent.is_active


def test_a_second_consent_in_force_is_refused(app, treater, client_id, clock) -> None:
    _consent(treater, client_id, clock)
    db.session.commit()
    with pytest.raises(Conflict):
        _consent(treater, client_id, clock)


def test_withdrawal_dates_are_checked(app, treater, client_id, clock) -> None:
    consent = _consent(treater, client_id, clock)
    db.session.commit()
    today = clock.now().date()
    for bad in (today + timedelta(days=1), today - timedelta(days=1)):
        with pytest.raises(ConsentInvalid) as refused:
            withdraw_consent(treater, client_id, consent.id, withdrawn_on=bad)
        assert refused.value.field == "withdrawn_on"
    assert consent.is_active


def test_a_refusal_records_the_teams_decision(app, treater, client_id, clock) -> None:
    today = clock.now().date()
    refusal = record_refusal(
        treater,
        client_id,
        language="en",
        place="Lindvik",
        refused_on=today,
        treatment_continues=True,
        team_decided_on=today,
    )
    db.session.commit()
    assert refusal.state == "refused" and refusal.treatment_continues
    assert not refusal.allows_partner_contact
    assert refusal.form_language == "en"


def test_another_treater_cannot_record_or_withdraw(
    app, factory: Factory, treater, client_id, clock
) -> None:
    consent = _consent(treater, client_id, clock)
    db.session.commit()
    colleague = factory.client_treater().user
    with pytest.raises(NotFound):
        _consent(colleague, client_id, clock)
    with pytest.raises(NotFound):
        withdraw_consent(colleague, client_id, consent.id, withdrawn_on=date(2026, 1, 15))
    assert consent.is_active
