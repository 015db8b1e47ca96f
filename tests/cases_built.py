"""Cases built through the real services: a registered client, his consent, its signed copy.

Invented people only.
"""

from __future__ import annotations

import uuid

from partnercontact.auth.models import User
from partnercontact.client_side.cases.service import register_client
from partnercontact.client_side.consent.documents import attach_signed_copy
from partnercontact.client_side.consent.models import Consent
from partnercontact.client_side.consent.service import record_consent
from partnercontact.clock import FixedClock
from partnercontact.db import db
from tests.ratings import rated

CHANNELS = ("phone", "sms", "letter")
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


def signed_consent_of(treater: User, client_id: uuid.UUID, clock: FixedClock, **changes) -> Consent:
    consent = consent_of(treater, client_id, clock, **changes)
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


def accepted_contact(user: User, case_id: uuid.UUID, clock: FixedClock) -> None:
    """Picked up by ``user``, the first steps taken (:func:`first_steps_taken`, her plan by
    phone and text), accepted, and risk assessed: a partner case where sessions can be added
    and booked. Flushes, never commits."""
    from datetime import timedelta

    from partnercontact.partner_side import clinical, contact
    from partnercontact.partner_side.service import pick_up

    pick_up(user, case_id)
    first_steps_taken(user, case_id, clock, channels=("phone", "sms"))
    today = clock.now().date()
    contact.record_answer(
        user,
        case_id,
        answer="accepted",
        answered_on=today,
        scopes=["contact_phone", "contact_sms", "told_when_ended"],
    )
    clinical.record_risk_assessment(
        user,
        case_id,
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=today,
        level="moderate",
        next_review_on=today + timedelta(days=60),
        notes="Hot vid överlämningar av barnen; inget fysiskt våld senaste månaden.",
    )


def first_steps_taken(
    user: User, case_id: uuid.UUID, clock: FixedClock, channels: tuple[str, ...] = CHANNELS
) -> None:
    """The safety steps before ordinary contact, on a case ``user`` holds: found suitable,
    her plan (``channels``, every day 08 to 20, letters safe at her address), and reached when
    she called back after a first letter, asked first whether it was safe to talk. Flushes,
    never commits."""
    from datetime import time, timedelta

    from partnercontact.partner_side import contact

    contact.decide_suitability(user, case_id, decision="contact")
    contact.save_safe_contact_plan(
        user,
        case_id,
        contact.SafeContactPlanIn(
            channels=list(channels),
            safe_days=[str(day) for day in range(1, 8)],
            safe_from=time(8),
            safe_until=time(20),
            letters_safe_at_address="letter" in channels,
        ),
    )
    contact.record_attempt(
        user,
        case_id,
        channel="phone",
        outcome="reached",
        attempted_at=clock.now() - timedelta(minutes=30),
        called_in=True,
        safe_to_talk=True,
    )
