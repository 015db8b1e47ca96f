"""Attaching the signed consent paper: what is accepted, what is refused, and that a refusal
stores nothing."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from partnercontact.app import MAX_REQUEST_BYTES
from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.consent.documents import (
    MAX_DOCUMENT_BYTES,
    attach_signed_copy,
    read_signed_copy,
)
from partnercontact.client_side.consent.models import Consent, ConsentDocument
from partnercontact.client_side.consent.service import withdraw_consent
from partnercontact.crypto.models import DataKey
from partnercontact.db import db
from partnercontact.errors import Conflict
from tests.cases_built import JPEG, PDF, PNG, client_of, consent_of
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of


@pytest.fixture
def treater(factory: Factory):
    return factory.client_treater()


def _stored() -> tuple[int, int]:
    db.session.rollback()
    return (
        db.session.scalar(select(func.count()).select_from(ConsentDocument)),
        db.session.scalar(select(func.count()).select_from(DataKey)),
    )


@pytest.mark.parametrize(
    ("filename", "content", "media_type"),
    [
        ("samtycke.pdf", PDF, "application/pdf"),
        ("skanning.PNG", PNG, "image/png"),
        ("foto.jpeg", JPEG, "image/jpeg"),
    ],
)
def test_an_attached_copy_ends_signature_pending_and_reads_back_for_the_treater(
    treater, clock, filename, content, media_type
) -> None:
    client_id = client_of(treater.user)
    consent = consent_of(treater.user, client_id, clock)
    assert not consent.allows_partner_contact
    attach_signed_copy(
        treater.user,
        client_id,
        consent.id,
        filename=filename,
        declared_type=None,
        content=content,
    )
    db.session.commit()
    assert not consent.signature_pending and consent.allows_partner_contact
    stored = db.session.scalar(select(ConsentDocument.content_ct))
    assert content not in bytes(stored)  # sealed, not stored as it came
    copy = read_signed_copy(treater.user, client_id, consent.id)
    assert (copy.content, copy.media_type) == (content, media_type)
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_id == str(consent.id))
    ).all()
    assert "consent.document_attached" in actions and "consent.document_viewed" in actions


def test_the_copy_has_a_data_key_of_its_own(treater, clock) -> None:
    from partnercontact.client_side.cases.models import Client

    client_id = client_of(treater.user)
    consent = consent_of(treater.user, client_id, clock)
    attach_signed_copy(
        treater.user, client_id, consent.id, filename="s.pdf", declared_type=None, content=PDF
    )
    db.session.commit()
    case_key = db.session.get(Client, client_id).data_key_id
    assert consent.document_key_id not in (None, case_key)


def test_a_withdrawn_consent_takes_no_copy_and_stays_withdrawn(treater, clock) -> None:
    client_id = client_of(treater.user)
    consent = consent_of(treater.user, client_id, clock)
    withdraw_consent(treater.user, client_id, consent.id, withdrawn_on=clock.now().date())
    db.session.commit()
    with pytest.raises(Conflict):
        attach_signed_copy(
            treater.user,
            client_id,
            consent.id,
            filename="s.pdf",
            declared_type=None,
            content=PDF,
        )
    db.session.rollback()
    with pytest.raises(Conflict):
        withdraw_consent(treater.user, client_id, consent.id, withdrawn_on=clock.now().date())
    db.session.rollback()
    consent = db.session.get(Consent, consent.id)
    assert not consent.is_active and not consent.allows_partner_contact
    assert _stored()[0] == 0


def _upload_page(client, treater, clock) -> tuple[str, Consent]:
    client_id = client_of(treater.user)
    consent = consent_of(treater.user, client_id, clock)
    log_in(client, treater, clock)
    return f"/client/{client_id}/consent/{consent.id}/signed-copy", consent


def _send(client, page: str, content: bytes, filename: str, content_type: str):
    return submit(client, page, {"document": (io.BytesIO(content), filename, content_type)})


def test_uploading_through_the_page_shows_the_copy_on_the_clients_page(
    client, treater, clock
) -> None:
    page, consent = _upload_page(client, treater, clock)
    response = _send(client, page, PDF, "samtycke.pdf", "application/pdf")
    assert response.status_code == 302
    overview = text_of(client.get(response.headers["Location"]))
    assert "Öppna den undertecknade kopian" in overview and "Underskrift saknas" not in overview
    download = client.get(f"{page}/file")
    assert download.data == PDF and download.headers["Content-Type"] == "application/pdf"
    assert "Kalle" not in download.headers["Content-Disposition"]
    assert download.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize(
    ("content", "filename", "content_type", "message"),
    [
        (
            b"just some text",
            "samtycke.txt",
            "text/plain",
            "måste vara en PDF-, PNG- eller JPEG-fil",
        ),
        (
            b"GIF89a" + bytes(20),
            "samtycke.gif",
            "image/gif",
            "måste vara en PDF-, PNG- eller JPEG-fil",
        ),
        (PNG, "samtycke.pdf", "application/pdf", "inte vad namnet säger"),
        (b"<html><script>alert(1)</script>", "samtycke.png", "image/png", "inte vad namnet säger"),
        (PDF, "samtycke.pdf", "image/png", "inte vad namnet säger"),
        (b"MZ\x90\x00" + PDF, "samtycke.pdf", "application/pdf", "inte vad namnet säger"),
        (PDF + bytes(MAX_DOCUMENT_BYTES), "samtycke.pdf", "application/pdf", "för stor"),
        (b"", "samtycke.pdf", "application/pdf", "Välj filen"),
    ],
    ids=[
        "text",
        "gif",
        "png-named-pdf",
        "html-named-png",
        "type-header-lies",
        "exe-prefix",
        "too-large",
        "empty",
    ],
)
def test_a_bad_upload_gets_a_clear_error_on_the_field_and_stores_nothing(
    client, treater, clock, content, filename, content_type, message
) -> None:
    page, consent = _upload_page(client, treater, clock)
    before = _stored()
    response = _send(client, page, content, filename, content_type)
    assert response.status_code == 400
    body = text_of(response)
    assert 'id="document-error"' in body and message in body
    assert _stored() == before
    assert db.session.get(Consent, consent.id).signature_pending


def test_a_request_beyond_the_upload_limit_names_the_limit_and_the_field(
    client, treater, clock
) -> None:
    page, consent = _upload_page(client, treater, clock)
    before = _stored()
    response = _send(client, page, PDF + bytes(MAX_REQUEST_BYTES), "s.pdf", "application/pdf")
    assert response.status_code == 413
    assert "högst 10 MB" in text_of(response) and "<code>document</code>" in text_of(response)
    assert _stored() == before
