"""The worker sends through the real Twilio SDK to a fake Twilio on 127.0.0.1: once each,
however it fails. A POST to Twilio is not safe to repeat, so a send whose result is unknown is
looked up, never sent again blindly; failures that are safe to retry come back with growing
delays and end visibly failed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from partnercontact.db import db
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.models import SmsMessage, SmsOptOut, SmsStatusEvent
from partnercontact.partner_side.rules import MessageRefused
from tests.factories import Factory
from tests.fakes.twilio import DROP, OPTED_OUT, SERVER_ERROR, SLOW, TOO_MANY_REQUESTS, FakeTwilio
from tests.helpers import case_view, log_in, text_of
from tests.messaging.sending import Held, held_for_sms, queue

LEASE = 120  # messaging.sending_lease_seconds, the default


@pytest.fixture
def config_overrides(twilio_config_overrides: dict) -> dict:
    overrides = dict(twilio_config_overrides)
    overrides["messaging"] = {**overrides["messaging"], "max_attempts": 3}
    return overrides


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return held_for_sms(factory, clock)


class WorkerKilled(BaseException):
    """What the database sees of a worker killed at that moment: nothing more."""


def _fresh(message_id) -> SmsMessage:
    db.session.rollback()
    return db.session.get(SmsMessage, message_id, populate_existing=True)


def _posts(fake: FakeTwilio) -> int:
    return len(fake.requests)


def test_sent_through_twilio_and_delivered_by_its_signed_callback(
    served_app, held, fake_twilio
) -> None:
    message = queue(held)
    assert send_due_sms().sent == [message.id]
    (posted,) = fake_twilio.requests
    assert posted["To"] == "+46707654321" and posted["Body"] == message.body
    assert posted["StatusCallback"].endswith(f"/webhooks/twilio/status?m={message.id.hex}")
    sent = _fresh(message.id)
    assert sent.state == "sent" and sent.provider_sid in fake_twilio.messages

    assert fake_twilio.post_status(sent.provider_sid, "delivered").status_code == 204
    assert _fresh(message.id).state == "delivered"


def test_a_worker_killed_between_the_send_and_the_record_never_sends_twice(
    held, fake_twilio, clock
) -> None:
    message = queue(held)

    def kill(_message_id) -> None:
        raise WorkerKilled

    with pytest.raises(WorkerKilled):
        send_due_sms(after_transport=kill)
    assert _posts(fake_twilio) == 1
    in_doubt = _fresh(message.id)
    assert in_doubt.state == "sending" and in_doubt.provider_sid is None

    # A new worker at once leaves it alone: the first may still be about to record it.
    assert send_due_sms().sent == []
    clock.advance(seconds=LEASE + 1)
    assert send_due_sms().sent == [message.id]
    assert _posts(fake_twilio) == 1
    resolved = _fresh(message.id)
    assert resolved.state == "sent" and resolved.provider_sid in fake_twilio.messages
    assert resolved.attempts == 1


@pytest.mark.parametrize("fault", [SLOW, SERVER_ERROR, DROP])
def test_an_answer_lost_after_twilio_accepted_is_looked_up_not_resent(
    held, fake_twilio, clock, fault
) -> None:
    message = queue(held)
    fake_twilio.fail_next(fault)
    report = send_due_sms()
    assert report.uncertain == [message.id] and report.sent == []
    assert _fresh(message.id).state == "sending"
    clock.advance(seconds=LEASE + 1)
    assert send_due_sms().sent == [message.id]
    assert _posts(fake_twilio) == 1
    assert _fresh(message.id).provider_sid in fake_twilio.messages


def test_a_send_that_never_reached_twilio_is_sent_once_its_lookup_finds_nothing(
    held, fake_twilio, clock
) -> None:
    message = queue(held)
    # A worker that died after marking the message and before its request left the machine.
    row = _fresh(message.id)
    row.state, row.sending_since, row.attempts = "sending", clock.now(), 1
    db.session.commit()
    clock.advance(seconds=LEASE + 1)
    report = send_due_sms()
    assert report.requeued == [message.id] and report.sent == [message.id]
    assert _posts(fake_twilio) == 1 and _fresh(message.id).state == "sent"


def test_retries_come_back_later_and_later(held, fake_twilio, clock) -> None:
    message = queue(held)
    fake_twilio.fail_next(TOO_MANY_REQUESTS, times=2)
    start = clock.now()
    assert send_due_sms().retrying == [message.id]
    waiting = _fresh(message.id)
    assert waiting.state == "queued" and waiting.next_attempt_at == start + timedelta(seconds=60)
    assert send_due_sms().sent == []  # not due yet

    clock.advance(seconds=60)
    assert send_due_sms().retrying == [message.id]
    assert _fresh(message.id).next_attempt_at == clock.now() + timedelta(seconds=120)

    clock.advance(seconds=120)
    assert send_due_sms().sent == [message.id]
    assert _fresh(message.id).attempts == 3


def test_after_the_last_attempt_the_failure_is_visible_to_her_treater(
    app, held, fake_twilio, clock
) -> None:
    message = queue(held)
    with fake_twilio.refusing_connections():
        for delay in (0, 60, 120):
            clock.advance(seconds=delay)
            send_due_sms()
    failed = _fresh(message.id)
    assert failed.state == "failed" and failed.attempts == 3 and failed.next_attempt_at is None
    assert _posts(fake_twilio) == 0
    clock.advance(days=1)
    assert send_due_sms().sent == []

    browser = app.test_client()
    log_in(browser, held.holder, clock)
    assert "Misslyckades" in text_of(browser.get(case_view(held.case.id, "messages")))


def test_twilio_saying_she_opted_out_stops_every_text_to_her_number(held, fake_twilio) -> None:
    message = queue(held)
    fake_twilio.fail_next(OPTED_OUT)
    assert send_due_sms().failed == [message.id]
    failed = _fresh(message.id)
    assert failed.state == "failed" and failed.error_code == "21610"
    assert (
        db.session.scalar(select(SmsOptOut.source).where(SmsOptOut.phone_index == failed.to_index))
        == "carrier"
    )
    with pytest.raises(MessageRefused) as refused:
        queue(held)
    assert refused.value.rule == "opted_out"


def test_each_state_is_recorded_once_and_only_forwards(served_app, held, fake_twilio) -> None:
    message = queue(held)
    send_due_sms()
    sid = _fresh(message.id).provider_sid
    for status in ("delivered", "delivered", "sent"):
        fake_twilio.post_status(sid, status)
    db.session.rollback()
    states = db.session.scalars(
        select(SmsStatusEvent.status).where(SmsStatusEvent.sms_message_id == message.id)
    ).all()
    assert sorted(states) == ["delivered", "sent"]
    assert _fresh(message.id).state == "delivered"
