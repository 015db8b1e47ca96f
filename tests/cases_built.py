"""Cases built through the real services: a registered client, his consent, its signed copy.

Invented people only.
"""

from __future__ import annotations

import uuid

from partnercontact.auth.models import User
from partnercontact.cases.service import register_client
from partnercontact.clock import FixedClock
from partnercontact.consent.documents import attach_signed_copy
from partnercontact.consent.models import Consent
from partnercontact.consent.service import record_consent
from partnercontact.db import db

# The smallest files that are what they say they are.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(16) + b"\xff\xd9"


def client_of(treater: User, name: str = "Kalle Testsson") -> uuid.UUID:
    client = register_client(
        treater, name=name, personal_id=None, phone="0701234567", language="sv"
    )
    db.session.commit()
    return client.id


def consent_of(treater: User, client_id: uuid.UUID, clock: FixedClock, **changes) -> Consent:
    values = {
        "language": "sv",
        "scopes": ["contact_letter", "contact_sms", "tell_when_ended"],
        "place": "Lindvik",
        "signed_on": clock.now().date(),
        "attested_details_given": True,
        **changes,
    }
    consent = record_consent(treater, client_id, **values)
    db.session.commit()
    return consent


def signed_consent_of(treater: User, client_id: uuid.UUID, clock: FixedClock) -> Consent:
    consent = consent_of(treater, client_id, clock)
    attach_pdf(treater, client_id, consent)
    return consent


def attach_pdf(treater: User, client_id: uuid.UUID, consent: Consent) -> None:
    attach_signed_copy(
        treater,
        client_id,
        consent.id,
        filename="samtycke.pdf",
        declared_type="application/pdf",
        content=PDF,
    )
    db.session.commit()
