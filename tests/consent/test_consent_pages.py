"""The consent lifecycle in the client treater's pages."""

from __future__ import annotations

from sqlalchemy import func, select

from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of

CLIENT = {"name": "Kalle Testsson", "personal_id": "", "phone": "0701234567", "language": "sv"}


def _consents() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Consent))


def _registered(client, factory: Factory, clock) -> str:
    log_in(client, factory.client_treater(), clock)
    return submit(client, "/client/new", CLIENT).headers["Location"]


def test_record_then_withdraw_a_consent(client, factory: Factory, clock) -> None:
    page = _registered(client, factory, clock)
    today = clock.now().date().isoformat()
    response = submit(
        client,
        f"{page}/consent/new",
        {
            "language": "sv",
            "scopes": ["contact_letter", "tell_when_ended"],
            "place": "Lindvik",
            "signed_on": today,
            "attested_details_given": "y",
        },
    )
    assert response.status_code == 302
    overview = text_of(client.get(page))
    assert "Underskrift saknas" in overview and "Kontakta partnern med brev" in overview
    assert "Registrera samtycke</a>" not in overview
    consent_id = db.session.scalar(select(Consent.id))
    withdraw = f"{page}/consent/{consent_id}/withdraw"
    assert "kan inte ångras" in text_of(client.get(withdraw))
    assert _consents() == 1 and db.session.scalar(select(Consent.withdrawn_on)) is None
    response = submit(client, withdraw, {"withdrawn_on": today})
    assert response.status_code == 302
    assert f"Återkallat {today}" in text_of(client.get(page))


def test_a_consent_without_scopes_or_with_a_future_date_is_refused_naming_the_field(
    client, factory: Factory, clock
) -> None:
    page = _registered(client, factory, clock)
    base = {"language": "sv", "place": "Lindvik", "attested_details_given": "y"}
    response = submit(
        client, f"{page}/consent/new", {**base, "signed_on": clock.now().date().isoformat()}
    )
    assert response.status_code == 400 and 'id="scopes-error"' in text_of(response)
    future = clock.now().date().replace(year=clock.now().year + 1).isoformat()
    response = submit(
        client, f"{page}/consent/new", {**base, "scopes": ["contact_sms"], "signed_on": future}
    )
    assert response.status_code == 400 and 'id="signed_on-error"' in text_of(response)
    assert 'value="Lindvik"' in text_of(response)
    assert _consents() == 0


def test_a_refusal_is_recorded_with_the_teams_decision(client, factory: Factory, clock) -> None:
    page = _registered(client, factory, clock)
    today = clock.now().date().isoformat()
    response = submit(
        client,
        f"{page}/consent/refusal",
        {
            "language": "sv",
            "place": "Lindvik",
            "refused_on": today,
            "treatment_continues": "yes",
            "team_decided_on": today,
        },
    )
    assert response.status_code == 302
    assert "behandlingen fortsätter" in text_of(client.get(page))


def test_the_client_page_title_is_the_clients_name(client, factory: Factory, clock) -> None:
    page = text_of(client.get(_registered(client, factory, clock)))
    assert "<title>Kalle Testsson · Partnerkontakt</title>" in page
    assert page.count("Samtycke till partnerkontakt") == 1
