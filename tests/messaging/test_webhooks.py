"""Twilio's status callbacks, signed by the fake Twilio and posted to the app over HTTP: a
genuine one is recorded once, in the right order; anything not signed by Twilio is refused
and changes nothing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

import pytest
import requests
from flask import Flask
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.db import db
from partnercontact.partner_side.messaging.models import SmsMessage, SmsOptOut, SmsStatusEvent
from partnercontact.partner_side.models import PartnerCase
from partnercontact.phones import phone_index
from partnercontact.runtime import current_runtime
from partnercontact.transports.transport import Outgoing
from partnercontact.transports.transports import transport_for
from partnercontact.transports.twilio_transport import status_callback_url
from tests.factories import Factory
from tests.fakes.twilio import FakeTwilio
from tests.messaging.conftest import LiveServer
from tests.messaging.rows import case_with_number, fresh, sms_row

NUMBER = "070-111 22 33"
E164 = "+46701112233"
BODY = "Hej, det här är Norrbacka samtal."


@pytest.fixture
def config_overrides(twilio_config_overrides: dict) -> dict:
    return twilio_config_overrides


@dataclass
class Sent:
    message_id: uuid.UUID
    sid: str
    case: PartnerCase


@pytest.fixture
def sent(served_app: Flask, fake_twilio: FakeTwilio, factory: Factory, clock) -> Sent:
    """A message Twilio accepted, whose send result was never recorded (still ``sending``,
    no provider id): as after a timeout."""
    partner_case = case_with_number(factory, clock, NUMBER)
    message = sms_row(partner_case, NUMBER, state="sending", body=BODY)
    config = current_runtime().config.messaging
    accepted = transport_for(config).send(
        Outgoing(
            message_id=message.id,
            to=E164,
            body=BODY,
            status_callback=status_callback_url(config.twilio.public_url, message.id),
        )
    )
    return Sent(message.id, accepted.provider_sid, partner_case)


def _message(sent: Sent) -> SmsMessage:
    return fresh(SmsMessage, sent.message_id)


def _events(sent: Sent) -> list[str]:
    return list(
        db.session.scalars(
            select(SmsStatusEvent.status)
            .where(SmsStatusEvent.sms_message_id == sent.message_id)
            .order_by(SmsStatusEvent.id)
        )
    )


def _audited(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_a_signed_callback_is_accepted_and_records_the_state(
    sent: Sent, fake_twilio: FakeTwilio
) -> None:
    response = fake_twilio.post_status(sent.sid, "sent")
    assert response.status_code == 204

    message = _message(sent)
    # The callback resolved a send whose answer was never recorded.
    assert message.state == "sent" and message.provider_sid == sent.sid
    assert message.sent_at is not None
    assert _events(sent) == ["sent"]

    assert fake_twilio.post_status(sent.sid, "delivered").status_code == 204
    assert _message(sent).state == "delivered"
    assert _events(sent) == ["sent", "delivered"]
    assert len(_audited(AuditAction.SMS_STATE_RECORDED)) == 2


def test_a_forged_or_missing_signature_is_refused_and_nothing_recorded(
    sent: Sent, fake_twilio: FakeTwilio, live_server: LiveServer
) -> None:
    url = fake_twilio.status_callbacks[sent.sid]
    params = fake_twilio.status_params(sent.sid, "delivered")
    forged = fake_twilio.post_signed(url, params, signature="bm90IGEgc2lnbmF0dXJl")
    unsigned = requests.post(url, data=params, timeout=30)
    other_token = FakeTwilio(account_sid=fake_twilio.account_sid, auth_token="another-token")
    wrong_key = fake_twilio.post_signed(
        url, params, signature=other_token.signature_for(url, params)
    )

    for response in (forged, unsigned, wrong_key):
        assert response.status_code == 403
        assert response.headers["Content-Type"].startswith("text/plain")
    message = _message(sent)
    assert message.state == "sending" and message.provider_sid is None
    assert _events(sent) == []
    rejected = _audited(AuditAction.WEBHOOK_REJECTED)
    assert [(e.outcome, e.resource_id) for e in rejected] == [(Outcome.DENIED, "twilio_status")] * 3
    assert _audited(AuditAction.SMS_STATE_RECORDED) == []


def test_a_replayed_callback_with_a_changed_body_or_url_is_refused(
    sent: Sent, fake_twilio: FakeTwilio
) -> None:
    assert fake_twilio.post_status(sent.sid, "sent").status_code == 204
    url, params, signature = fake_twilio.posted[-1]

    changed_status = {**params, "MessageStatus": "failed", "SmsStatus": "failed"}
    added_error = {**params, "ErrorCode": "21610"}
    other_message = url.replace(sent.message_id.hex, uuid.uuid4().hex)
    for replay_url, replay_params in (
        (url, changed_status),
        (url, added_error),
        (other_message, params),
    ):
        replay = fake_twilio.post_signed(replay_url, replay_params, signature=signature)
        assert replay.status_code == 403

    assert _message(sent).state == "sent"
    assert _events(sent) == ["sent"]
    assert db.session.scalar(select(func.count(SmsOptOut.id))) == 0


def test_repeated_callbacks_are_recorded_once(sent: Sent, fake_twilio: FakeTwilio) -> None:
    for status in ("sent", "sent", "delivered", "delivered", "delivered"):
        assert fake_twilio.post_status(sent.sid, status).status_code == 204
    assert _message(sent).state == "delivered"
    assert _events(sent) == ["sent", "delivered"]
    assert len(_audited(AuditAction.SMS_STATE_RECORDED)) == 2


def test_callbacks_out_of_order_end_in_the_final_state(sent: Sent, fake_twilio: FakeTwilio) -> None:
    assert fake_twilio.post_status(sent.sid, "delivered").status_code == 204
    assert fake_twilio.post_status(sent.sid, "sent").status_code == 204
    message = _message(sent)
    assert message.state == "delivered" and message.provider_sid == sent.sid
    assert _events(sent) == ["delivered", "sent"]


def test_error_21610_in_a_callback_opts_her_number_out(sent: Sent, fake_twilio: FakeTwilio) -> None:
    waiting = sms_row(sent.case, NUMBER, state="queued")
    other_number = sms_row(sent.case, "070-999 88 77", state="queued")

    response = fake_twilio.post_status(sent.sid, "failed", error_code="21610")

    assert response.status_code == 204
    message = _message(sent)
    assert message.state == "failed" and message.error_code == "21610"
    opt_out = db.session.scalar(select(SmsOptOut))
    assert opt_out.phone_index == phone_index(E164) and opt_out.source == "carrier"
    cancelled = fresh(SmsMessage, waiting.id)
    assert cancelled.state == "cancelled" and cancelled.error_code == "opted_out"
    assert fresh(SmsMessage, other_number.id).state == "queued"
    assert len(_audited(AuditAction.SMS_OPTED_OUT)) == 1
    assert len(_audited(AuditAction.SMS_CANCELLED)) == 1


def test_signed_callbacks_about_nothing_we_know_change_nothing(
    sent: Sent, fake_twilio: FakeTwilio, live_server: LiveServer
) -> None:
    url = fake_twilio.status_callbacks[sent.sid]
    unknown_status = fake_twilio.status_params(sent.sid, "teleported")
    assert fake_twilio.post_signed(url, unknown_status).status_code == 204
    unknown_message = status_callback_url(live_server.url, uuid.uuid4())
    params = fake_twilio.status_params(sent.sid, "delivered")
    assert fake_twilio.post_signed(unknown_message, params).status_code == 204
    not_ours = f"{live_server.url}/webhooks/twilio/status?m=nonsense"
    assert fake_twilio.post_signed(not_ours, params).status_code == 204

    assert _message(sent).state == "sending"
    assert _events(sent) == []


class TestWithTheOutbox:
    @pytest.fixture
    def config_overrides(self) -> dict:
        return {"auth": {"second_factor": "required"}}

    def test_the_webhooks_do_not_exist(self, app: Flask) -> None:
        client = app.test_client()
        for path in ("/webhooks/twilio/status?m=" + uuid.uuid4().hex, "/webhooks/twilio/inbound"):
            assert client.post(path, data={"MessageSid": "SM1"}).status_code == 404
        assert _audited(AuditAction.WEBHOOK_REJECTED) == []


def test_a_callback_naming_another_provider_message_is_ignored(
    sent: Sent, fake_twilio: FakeTwilio
) -> None:
    assert fake_twilio.post_status(sent.sid, "sent").status_code == 204
    url = fake_twilio.status_callbacks[sent.sid]
    params = fake_twilio.status_params(sent.sid, "failed")
    params["MessageSid"] = params["SmsSid"] = fake_twilio.new_sid()

    assert fake_twilio.post_signed(url, params).status_code == 204

    message = _message(sent)
    assert message.state == "sent" and message.provider_sid == sent.sid
    assert _events(sent) == ["sent"]
