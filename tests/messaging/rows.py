"""Rows for the Twilio tests, built directly: cases with a given number, text messages in a
given state."""

from __future__ import annotations

import uuid
from datetime import datetime

from partnercontact.db import db
from partnercontact.identifiers import normalise_phone
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.models import PartnerCase
from partnercontact.phones import phone_index
from partnercontact.runtime import current_runtime
from tests.factories import Account, Factory
from tests.partners.conftest import handed_over_case


def case_with_number(
    factory: Factory,
    clock,
    phone: str,
    *,
    client_treater: Account | None = None,
    name: str = "Maja Påhittad",
) -> PartnerCase:
    """A case handed over with the partner's number ``phone`` and no address."""
    return handed_over_case(
        factory, clock, client_treater=client_treater, name=name, phone=phone, address=None
    )


def sms_row(
    partner_case: PartnerCase,
    phone: str,
    *,
    state: str = "queued",
    body: str = "Hej, det här är Norrbacka samtal. Ring oss gärna.",
    provider_sid: str | None = None,
    at: datetime | None = None,
) -> SmsMessage:
    """A text message to ``phone`` on ``partner_case``, committed."""
    now = at or current_runtime().clock.now()
    message = SmsMessage(
        id=uuid.uuid4(),
        data_key_id=partner_case.data_key_id,
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
        idempotency_key=uuid.uuid4().hex,
        purpose="first_contact",
        language="sv",
        template_version="test",
        state=state,
        attempts=0 if state == "queued" else 1,
        next_attempt_at=now if state == "queued" else None,
        sending_since=now if state == "sending" else None,
        provider_sid=provider_sid,
        to_index=phone_index(phone),
        to_number=normalise_phone(phone),
        body=body,
        created_at=now,
        state_changed_at=now,
    )
    db.session.add(message)
    db.session.commit()
    return message


def fresh(model: type, row_id: object):  # type: ignore[no-untyped-def]
    """The row as the database has it now (after another thread's request wrote it)."""
    db.session.rollback()
    return db.session.get(model, row_id, populate_existing=True)
