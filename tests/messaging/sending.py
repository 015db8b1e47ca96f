"""Building blocks for the messaging tests: a held case ready for text messages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from partnercontact.db import db
from partnercontact.partner_side.contact import (
    SafeContactPlanIn,
    decide_suitability,
    save_safe_contact_plan,
)
from partnercontact.partner_side.messaging.sms import new_idempotency_key, queue_sms
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import pick_up
from tests.factories import Account, Factory
from tests.partners.conftest import handed_over_case

CLINIC_PHONE = "010-555 12 34"


@dataclass
class Held:
    client_treater: Account
    holder: Account
    case: PartnerCase


def held_for_sms(factory: Factory, clock, *, suitable: bool = True, **kwargs: object) -> Held:
    """A case handed over and picked up, in a clinic that has a phone number; found suitable
    for contact unless ``suitable`` is off."""
    clinic = factory.default_clinic
    if not clinic.phone:
        clinic.phone = CLINIC_PHONE
        db.session.commit()
    client_treater = factory.client_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater, **kwargs)  # type: ignore[arg-type]
    holder = factory.partner_treater()
    pick_up(holder.user, case.id)
    if suitable:
        decide_suitability(holder.user, case.id, decision="contact")
    db.session.commit()
    return Held(client_treater, holder, case)


def safe_hours(held: Held, *, days: str = "12345", start: int = 9, end: int = 17) -> None:
    save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        SafeContactPlanIn(
            channels=["sms", "phone"],
            safe_days=list(days),
            safe_from=time(start),
            safe_until=time(end),
        ),
    )
    db.session.commit()


def queue(held: Held, purpose: str = "first_contact", language: str = "sv", **kwargs):
    message = queue_sms(
        held.holder.user,
        held.case.id,
        purpose=purpose,
        language=language,
        idempotency_key=kwargs.pop("idempotency_key", new_idempotency_key()),
        **kwargs,
    )
    db.session.commit()
    return message
