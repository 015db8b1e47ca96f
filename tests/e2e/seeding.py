"""Cases for the browser tests built through the services, in the served instance's own
database: quicker than clicking through the client side each time, and the same records."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta

from flask import Flask
from sqlalchemy import select

from partnercontact.app import create_app
from partnercontact.auth.models import User
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.service import register_client
from partnercontact.clock import FixedClock
from partnercontact.config import load_config
from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.messaging.sms import new_idempotency_key, queue_sms
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.handover import PartnerDetails, hand_over
from tests.cases_built import signed_consent_of
from tests.e2e.conftest import Served

HANDED_OVER_NUMBER = "070-444 55 66"


@contextmanager
def in_served(served: Served) -> Iterator[Flask]:
    """An app on the served instance's database and keys, its context pushed."""
    app = create_app(load_config(environ=served.env))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def demo_user(served: Served, role: str) -> User:
    username, _ = served.demo_logins[role]
    return db.session.scalars(select(User).where(User.username == username)).one()


def case_for_her_channel(served: Served, partner: str) -> uuid.UUID:
    """A case the demo partner-contact treater holds, every safety step taken: found suitable,
    her plan (phone, text and letter, every day, all day, so the walk passes at any hour),
    reached when she called in. Returns the case's id."""
    with in_served(served):
        client_treater = demo_user(served, "client_treater")
        holder = demo_user(served, "partner_treater")
        # The consent's dates are today's; the call she made came a moment ago.
        clock = FixedClock(datetime.now(UTC))
        client = register_client(
            client_treater,
            name=f"Klient till {partner}",
            personal_id=None,
            phone="070-111 22 33",
            language="sv",
        )
        signed_consent_of(
            client_treater,
            client.id,
            clock,
            scopes=["contact_phone", "contact_sms", "contact_letter", "tell_when_ended"],
        )
        hand_over(
            client_treater,
            client.id,
            PartnerDetails(
                name=partner,
                phone=HANDED_OVER_NUMBER,
                address="Påhittevägen 9, 123 45 Lindvik",
                relation="former",
                children_in_common="no",
                protected_identity=False,
            ),
        )
        db.session.commit()
        case_id = db.session.scalars(
            select(PartnerCase.id)
            .join(TreatmentEpisode, TreatmentEpisode.id == PartnerCase.episode_id)
            .where(TreatmentEpisode.client_id == client.id)
        ).one()
        pick_up(holder, case_id)
        contact.decide_suitability(holder, case_id, decision="contact")
        contact.save_safe_contact_plan(
            holder,
            case_id,
            contact.SafeContactPlanIn(
                channels=["phone", "sms", "letter"],
                safe_days=[str(day) for day in range(1, 8)],
                safe_from=time(0),
                safe_until=time(23, 59),
                letters_safe_at_address=True,
            ),
        )
        contact.record_attempt(
            holder,
            case_id,
            channel="phone",
            outcome="reached",
            attempted_at=clock.now() - timedelta(minutes=30),
            called_in=True,
            safe_to_talk=True,
        )
        db.session.commit()
        return case_id


def newest_text_to(served: Served, case_id: uuid.UUID) -> str | None:
    """The number the newest text message of the case was queued to, unsealed."""
    with in_served(served):
        message = db.session.scalars(
            select(SmsMessage)
            .where(SmsMessage.partner_case_id == case_id)
            .order_by(SmsMessage.created_at.desc())
            .limit(1)
        ).first()
        return message.to_number if message is not None else None


def correct_the_hand_over(served: Served, case_id: uuid.UUID, *, phone: str) -> None:
    """The client treater hands over a correction: a new number for her."""
    with in_served(served):
        partner_case = db.session.get_one(PartnerCase, case_id)
        episode = db.session.get_one(TreatmentEpisode, partner_case.episode_id)
        hand_over(
            demo_user(served, "client_treater"),
            episode.client_id,
            PartnerDetails(
                name="Rättat namn Påhittad",
                phone=phone,
                address="Rättelsevägen 1, 123 45 Lindvik",
                relation="former",
                children_in_common="no",
                protected_identity=False,
            ),
        )
        db.session.commit()


def queue_another_text(served: Served, case_id: uuid.UUID) -> None:
    """Her treater queues one more text to her (the same words again, confirmed)."""
    with in_served(served):
        queue_sms(
            demo_user(served, "partner_treater"),
            case_id,
            purpose="call_announcement",
            language="sv",
            idempotency_key=new_idempotency_key(),
            confirm_duplicate=True,
        )
        db.session.commit()
