"""The Twilio transport, through the real SDK against the fake Twilio: what it sends, and which
failures may be retried, which must be looked up, and which are final."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path

import pytest

from partnercontact.clock import FixedClock
from partnercontact.config import load_config
from partnercontact.transports import transports
from partnercontact.transports.transport import (
    OutboxTransport,
    Outgoing,
    PermanentFailure,
    RetryableFailure,
    UncertainOutcome,
)
from partnercontact.transports.twilio_transport import TwilioTransport, status_callback_url
from tests.fakes import twilio as fake_api
from tests.fakes.twilio import FakeTwilio
from tests.messaging.conftest import MESSAGING_SERVICE_SID, twilio_settings

PUBLIC_URL = "https://pc.example.org"
NUMBER = "+46701112233"
BODY = "Hej, det här är Norrbacka samtal. Ring oss gärna på 010-555 12 34."


def _transport(fake: FakeTwilio, tmp_path: Path, transport: str = "twilio", **changes: object):
    config = load_config(
        environ={},
        overrides={
            "messaging": {
                "sms_transport": transport,
                "twilio": twilio_settings(fake, PUBLIC_URL, **changes),
            }
        },
        instance_path=tmp_path / "instance",
    )
    return transports.transport_for(config.messaging)


def _outgoing(to: str = NUMBER, body: str = BODY, callback: bool = True) -> Outgoing:
    message_id = uuid.uuid4()
    return Outgoing(
        message_id=message_id,
        to=to,
        body=body,
        status_callback=status_callback_url(PUBLIC_URL, message_id) if callback else None,
    )


def test_a_message_is_sent_through_the_messaging_service(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    transport = _transport(fake_twilio, tmp_path)
    assert isinstance(transport, TwilioTransport)
    outgoing = _outgoing()

    accepted = transport.send(outgoing)

    assert accepted.status == "queued"
    assert accepted.provider_sid.startswith("SM")
    assert fake_twilio.requests == [
        {
            "To": NUMBER,
            "Body": BODY,
            "MessagingServiceSid": MESSAGING_SERVICE_SID,
            "StatusCallback": f"{PUBLIC_URL}/webhooks/twilio/status?m={outgoing.message_id.hex}",
        }
    ]
    assert list(fake_twilio.messages) == [accepted.provider_sid]
    assert fake_twilio.status_callbacks[accepted.provider_sid] == outgoing.status_callback


def test_a_message_is_sent_from_a_number_when_no_service_is_configured(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    transport = _transport(
        fake_twilio, tmp_path, messaging_service_sid="", from_number="+46700000009"
    )
    transport.send(_outgoing(callback=False))
    assert fake_twilio.requests == [{"To": NUMBER, "Body": BODY, "From": "+46700000009"}]


def test_the_configured_base_url_is_used_and_twilio_is_the_default(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    assert _transport(fake_twilio, tmp_path)._client.api.base_url == fake_twilio.url
    own = _transport(fake_twilio, tmp_path, api_base_url="")
    assert own._client.api.base_url == "https://api.twilio.com"


def test_the_outbox_is_chosen_by_configuration(fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    assert isinstance(_transport(fake_twilio, tmp_path, "outbox"), OutboxTransport)


@pytest.mark.parametrize(
    ("fault", "error", "code", "accepted"),
    [
        # Twilio may have the message: look it up, never send it again blindly.
        (fake_api.SERVER_ERROR, UncertainOutcome, "20500", True),
        (fake_api.DROP, UncertainOutcome, None, True),
        (fake_api.SLOW, UncertainOutcome, None, True),
        # Nothing accepted: safe to try again later.
        (fake_api.TOO_MANY_REQUESTS, RetryableFailure, "20429", False),
        # Refused for good.
        (fake_api.OPTED_OUT, PermanentFailure, "21610", False),
        (fake_api.INVALID_NUMBER, PermanentFailure, "21211", False),
    ],
)
def test_each_failure_maps_to_what_the_dispatcher_may_do(
    fake_twilio: FakeTwilio,
    tmp_path: Path,
    fault: str,
    error: type,
    code: str | None,
    accepted: bool,
) -> None:
    transport = _transport(fake_twilio, tmp_path)
    fake_twilio.fail_next(fault)

    with pytest.raises(error) as raised:
        transport.send(_outgoing())

    assert type(raised.value) is error
    assert raised.value.code == code
    # Twilio's messages quote the number; ours never do.
    assert NUMBER not in str(raised.value) and BODY not in str(raised.value)
    assert len(fake_twilio.requests) == 1
    assert len(fake_twilio.messages) == (1 if accepted else 0)
    # The fault was for one request only.
    transport.send(_outgoing())
    assert len(fake_twilio.messages) == (2 if accepted else 1)


def test_a_refused_connection_may_be_retried(fake_twilio: FakeTwilio, tmp_path: Path) -> None:
    transport = _transport(fake_twilio, tmp_path)
    with fake_twilio.refusing_connections(), pytest.raises(RetryableFailure):
        transport.send(_outgoing())
    assert fake_twilio.requests == []
    transport.send(_outgoing())
    assert len(fake_twilio.messages) == 1


def test_a_connection_that_never_opens_may_be_retried(
    fake_twilio: FakeTwilio, tmp_path: Path
) -> None:
    transport = _transport(fake_twilio, tmp_path)
    with fake_twilio.not_answering(), pytest.raises(RetryableFailure) as raised:
        transport.send(_outgoing())
    assert "ConnectTimeout" in str(raised.value)
    assert fake_twilio.requests == []


def test_look_up_finds_a_message_twilio_accepted_without_our_knowing(
    fake_twilio: FakeTwilio, tmp_path: Path, clock: FixedClock
) -> None:
    transport = _transport(fake_twilio, tmp_path)
    since = clock.now()
    transport.send(_outgoing(body="Ett annat meddelande"))
    transport.send(_outgoing(to="+46709998877"))
    outgoing = _outgoing()
    fake_twilio.fail_next(fake_api.SERVER_ERROR)
    with pytest.raises(UncertainOutcome):
        transport.send(outgoing)
    (sid,) = [m["sid"] for m in fake_twilio.accepted_to(NUMBER) if m["body"] == BODY]

    found = transport.look_up(outgoing, since)

    assert found is not None
    assert found.provider_sid == sid
    # Still queued at Twilio (no send date yet) and found all the same.
    assert found.status == "queued"
    assert fake_twilio.messages[sid]["date_sent"] is None


def test_look_up_finds_nothing_for_a_message_never_accepted(
    fake_twilio: FakeTwilio, tmp_path: Path, clock: FixedClock
) -> None:
    transport = _transport(fake_twilio, tmp_path)
    transport.send(_outgoing())  # the same text, accepted earlier
    clock.advance(minutes=10)
    since = clock.now()
    outgoing = _outgoing()
    fake_twilio.fail_next(fake_api.TOO_MANY_REQUESTS)
    with pytest.raises(RetryableFailure):
        transport.send(outgoing)

    assert transport.look_up(outgoing, since) is None


def test_look_up_that_cannot_ask_may_be_tried_again(
    fake_twilio: FakeTwilio, tmp_path: Path, clock: FixedClock
) -> None:
    transport = _transport(fake_twilio, tmp_path)
    fake_twilio.fail_next(fake_api.SERVER_ERROR)
    with pytest.raises(RetryableFailure):
        transport.look_up(_outgoing(), clock.now())
    with fake_twilio.refusing_connections(), pytest.raises(RetryableFailure):
        transport.look_up(_outgoing(), clock.now())


def test_her_number_and_words_stay_out_of_the_log(
    fake_twilio: FakeTwilio, tmp_path: Path, clock: FixedClock, caplog: pytest.LogCaptureFixture
) -> None:
    transport = _transport(fake_twilio, tmp_path)
    # INFO, the level the service logs at (urllib3 writes URLs at DEBUG).
    with caplog.at_level(logging.INFO):
        outgoing = _outgoing()
        transport.send(outgoing)
        transport.look_up(outgoing, clock.now())
        fake_twilio.fail_next(fake_api.INVALID_NUMBER)
        with pytest.raises(PermanentFailure):
            transport.send(outgoing)
    assert NUMBER not in caplog.text and NUMBER.replace("+", "%2B") not in caplog.text
    assert BODY not in caplog.text
