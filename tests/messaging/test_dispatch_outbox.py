"""The worker hands queued text messages to the embedded outbox transport: once each, never
while the stop switch is on, and never after a safety rule has come to say no."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.halt import halt_outbound, resume_outbound
from partnercontact.partner_side.messaging.models import SmsMessage, SmsOptOut, SmsStatusEvent
from partnercontact.transports.transport import OutboxTransport
from partnercontact.worker import tick
from tests.factories import Factory
from tests.messaging.sending import Held, held_for_sms, queue, safe_hours


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return held_for_sms(factory, clock)


def _fresh(message: SmsMessage) -> SmsMessage:
    db.session.rollback()
    return db.session.get(SmsMessage, message.id, populate_existing=True)


def _states(message: SmsMessage) -> list[str]:
    return list(
        db.session.scalars(
            select(SmsStatusEvent.status)
            .where(SmsStatusEvent.sms_message_id == message.id)
            .order_by(SmsStatusEvent.id)
        )
    )


def test_a_queued_message_is_sent_once(held) -> None:
    message = queue(held)
    report = send_due_sms(OutboxTransport())
    assert report.sent == [message.id]
    sent = _fresh(message)
    assert sent.state == "delivered" and sent.attempts == 1
    assert sent.provider_sid == f"outbox-{message.id.hex}" and sent.sent_at is not None
    assert _states(sent) == ["sent", "delivered"]
    assert send_due_sms(OutboxTransport()).sent == []
    assert _fresh(message).attempts == 1


def test_the_worker_tick_sends_through_the_configured_outbox(app, held) -> None:
    message_id = queue(held).id
    db.session.remove()
    tick(app)
    assert db.session.get(SmsMessage, message_id).state == "delivered"


def test_queued_messages_wait_while_the_stop_switch_is_on(held, factory) -> None:
    message = queue(held)
    manager = factory.manager()
    halt_outbound(manager.user, "Suspected breach of the SMS account")
    db.session.commit()
    assert send_due_sms(OutboxTransport()).sent == []
    assert _fresh(message).state == "queued"
    resume_outbound(manager.user)
    db.session.commit()
    assert send_due_sms(OutboxTransport()).sent == [message.id]


def test_a_stop_reply_after_queueing_cancels_the_message(held, clock) -> None:
    message = queue(held)
    db.session.add(
        SmsOptOut(phone_index=message.to_index, source="stop_reply", opted_out_at=clock.now())
    )
    db.session.commit()
    report = send_due_sms(OutboxTransport())
    assert report.cancelled == [message.id]
    cancelled = _fresh(message)
    assert cancelled.state == "cancelled" and cancelled.error_code == "opted_out"
    assert cancelled.provider_sid is None


def test_her_declining_after_queueing_cancels_the_message(held) -> None:
    message = queue(held)
    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=datetime(2026, 1, 15).date()
    )
    db.session.commit()
    assert send_due_sms(OutboxTransport()).cancelled == [message.id]
    assert _fresh(message).error_code == "contact"


def test_a_message_that_misses_her_safe_hours_waits_for_them(held, clock) -> None:
    safe_hours(held, start=9, end=12)  # 10:00 in Stockholm now
    message = queue(held)
    clock.set(datetime(2026, 1, 15, 11, 30, tzinfo=UTC))  # 12:30 in Stockholm
    report = send_due_sms(OutboxTransport())
    assert report.waiting == [message.id] and _fresh(message).state == "queued"
    clock.set(datetime(2026, 1, 16, 8, 30, tzinfo=UTC))  # Friday 09:30 in Stockholm
    assert send_due_sms(OutboxTransport()).sent == [message.id]
