"""The printable consent form: the PDF route, its HTML, its audit entry and its wall."""

from __future__ import annotations

import uuid

import pytest
from markupsafe import escape
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.errors import ClientNotFound
from partnercontact.client_side.cases.service import register_client
from partnercontact.client_side.consent.errors import ConsentInvalid, NoConsentForm
from partnercontact.client_side.consent.forms import SCOPES, form_in_force
from partnercontact.client_side.consent.printable import render_form_html
from partnercontact.db import db
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of

NAME = "Kalle Testsson"
CLIENT = {"name": NAME, "personal_id": "", "phone": "0701234567", "language": "sv"}


def _printed_events() -> list[AuditEvent]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CONSENT_FORM_PRINTED.value)
        )
    )


def _registered(client, factory: Factory, clock, **changes: str) -> str:
    """Log a new client treater in and register a client; the client's page."""
    log_in(client, factory.client_treater(), clock)
    response = submit(client, "/client/new", {**CLIENT, **changes})
    assert response.status_code == 302
    return response.headers["Location"]


@pytest.fixture
def treater(factory: Factory):
    return factory.client_treater().user


def _client_of(treater, language: str = "sv", name: str = NAME, personal_id: str | None = None):
    client = register_client(
        treater, name=name, personal_id=personal_id, phone="0701234567", language=language
    )
    db.session.commit()
    return client


@pytest.mark.parametrize("language", ["sv", "en"])
def test_the_treater_downloads_the_form_as_a_pdf(client, factory: Factory, clock, language) -> None:
    page = _registered(client, factory, clock)
    response = client.get(f"{page}/consent/form.pdf?language={language}")
    assert response.status_code == 200
    assert response.content_type == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    # The file name is fixed; the client's name is nowhere in the headers.
    assert response.headers["Content-Disposition"] == 'attachment; filename="samtycke.pdf"'
    assert "Kalle" not in str(response.headers)
    assert response.headers["Cache-Control"] == "no-store"


def test_the_swedish_and_english_pdfs_differ(client, factory: Factory, clock) -> None:
    page = _registered(client, factory, clock)
    swedish = client.get(f"{page}/consent/form.pdf?language=sv").data
    english = client.get(f"{page}/consent/form.pdf?language=en").data
    assert swedish.startswith(b"%PDF-") and english.startswith(b"%PDF-")
    assert swedish != english


def test_the_consent_page_links_to_the_form_in_both_languages(
    client, factory: Factory, clock
) -> None:
    page = _registered(client, factory, clock)
    body = text_of(client.get(f"{page}/consent/new"))
    for language in ("sv", "en"):
        link = f"{page}/consent/form.pdf?language={language}"
        assert f'href="{link}"' in body
        assert client.get(link).status_code == 200


@pytest.mark.parametrize(("language", "other"), [("sv", "en"), ("en", "sv")])
def test_the_html_names_clinic_and_client_and_carries_the_forms_text(
    app, treater, clock, language, other
) -> None:
    record = _client_of(treater, personal_id="19800101-1231")
    page = render_form_html(treater, record.id, language)
    form = form_in_force(language, clock.now().date())
    other_form = form_in_force(other, clock.now().date())

    def shown(text: str) -> bool:
        return str(escape(text)) in page

    assert f'<html lang="{language}">' in page
    assert shown(NAME) and "19800101-1231" in page
    assert shown(treater.clinic.name)
    assert shown(form.title) and not shown(other_form.title)
    for section in form.sections:
        assert shown(section.heading)
        for paragraph in section.body.split("\n\n"):
            assert shown(paragraph)
    for scope in SCOPES:
        assert shown(form.scopes[scope])
        assert not shown(other_form.scopes[scope])
    # One tick box per scope.
    assert page.count('<span class="box"></span>') == len(SCOPES)
    for key in ("text", "place_and_date", "copies"):
        assert shown(form.attestation[key])
    assert f"version {form.version}" in page


def test_without_a_language_the_form_is_in_the_clients_language_else_swedish(
    app, treater, clock
) -> None:
    today = clock.now().date()
    english = render_form_html(treater, _client_of(treater, language="en").id)
    assert form_in_force("en", today).scopes["contact_sms"] in english
    other = render_form_html(treater, _client_of(treater, language="other").id)
    assert form_in_force("sv", today).scopes["contact_sms"] in other


def test_the_clients_name_is_escaped(app, treater) -> None:
    record = _client_of(treater, name='<img src="file:///etc/passwd">')
    page = render_form_html(treater, record.id, "sv")
    assert "<img" not in page
    assert "&lt;img src=&#34;file:///etc/passwd&#34;&gt;" in page


def test_printing_writes_one_audit_event_without_the_clients_name(
    client, factory: Factory, clock
) -> None:
    page = _registered(client, factory, clock)
    client_id = page.rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"{page}/consent/form.pdf?language=sv").status_code == 200
    events = _printed_events()
    assert len(events) == 1
    event = events[0]
    assert (event.resource_type, event.resource_id, event.outcome) == ("client", client_id, "ok")
    treater_id = event.actor_id
    assert treater_id is not None and event.clinic_id is not None
    stored = " ".join(str(getattr(event, column.key)) for column in AuditEvent.__table__.columns)
    assert "Kalle" not in stored and "Testsson" not in stored


def test_another_treaters_client_is_not_found_and_nothing_is_printed(
    client, factory: Factory, clock, app
) -> None:
    page = _registered(client, factory, clock)
    other = app.test_client()
    log_in(other, factory.client_treater(), clock)
    response = other.get(f"{page}/consent/form.pdf?language=sv")
    assert response.status_code == 404
    assert "Kalle" not in text_of(response)
    assert other.get(f"/client/{uuid.uuid4()}/consent/form.pdf").status_code == 404
    assert _printed_events() == []


def test_a_language_without_a_form_is_refused_naming_the_field(
    client, factory: Factory, clock
) -> None:
    page = _registered(client, factory, clock)
    for language in ("de", ""):
        response = client.get(f"{page}/consent/form.pdf?language={language}")
        assert response.status_code == 400
        body = text_of(response)
        assert "<code>language</code>" in body
        assert "(sv)" in body and "(en)" in body
        assert response.content_type.startswith("text/html")
    assert _printed_events() == []


def test_the_service_refuses_an_unknown_language_before_reading_the_client(app, treater) -> None:
    record = _client_of(treater)
    with pytest.raises(ConsentInvalid) as raised:
        render_form_html(treater, record.id, "fi")
    assert raised.value.field == "language"
    with pytest.raises(ClientNotFound):
        render_form_html(treater, uuid.uuid4(), "sv")


def test_before_any_form_is_in_force_there_is_nothing_to_print(app, treater, clock) -> None:
    record = _client_of(treater)
    clock.set(clock.now().replace(year=2025))
    with pytest.raises(NoConsentForm):
        render_form_html(treater, record.id, "sv")
    assert _printed_events() == []
