"""Texts from partners, posted by the fake Twilio to the inbound webhook: STOP ends text
messages to the number at once; anything else lands sealed on her case, matched by blind
index, and never reaches the client side."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.crypto.models import DataKey
from partnercontact.db import db
from partnercontact.partner_side.messaging.inbound import inbound_for, is_stop, receive_inbound
from partnercontact.partner_side.messaging.models import InboundSms, SmsMessage, SmsOptOut
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import is_opted_out
from partnercontact.phones import phone_index
from tests.factories import Factory
from tests.fakes.twilio import FakeTwilio
from tests.helpers import sample_url
from tests.messaging.conftest import LiveServer
from tests.messaging.rows import case_with_number, fresh, sms_row
from tests.web.canary import crawl

NUMBER_A = "070-111 22 33"
E164_A = "+46701112233"
NUMBER_B = "073-444 55 66"
E164_B = "+46734445566"
STOP_WORDS = [
    "STOP",
    "stop",
    " Stop! ",
    "STOPALL",
    "Unsubscribe",
    "cancel",
    "END.",
    "quit",
    "STOPP",
    "stopp",
    "Sluta",
    "SLUTA!",
    "avsluta",
    "Avregistrera.",
]


@pytest.fixture
def config_overrides(twilio_config_overrides: dict) -> dict:
    return twilio_config_overrides


def _inbound_url(live_server: LiveServer) -> str:
    return f"{live_server.url}/webhooks/twilio/inbound"


def _inbound() -> list[InboundSms]:
    db.session.rollback()
    return list(db.session.scalars(select(InboundSms).order_by(InboundSms.received_at)))


@pytest.mark.parametrize("word", ["STOP", "Stopp!", " sluta ", "AVSLUTA.", "quit 🙏", "END"])
def test_is_stop_takes_the_word_alone_in_any_case(word: str) -> None:
    assert is_stop(word)


@pytest.mark.parametrize(
    "body", ["", "Stop calling me at work", "sluta inte", "STOP STOP", "stopping", "Ring mig"]
)
def test_is_stop_is_false_for_anything_else(body: str) -> None:
    assert not is_stop(body)


@pytest.mark.parametrize("word", STOP_WORDS)
def test_each_stop_word_ends_text_messages_to_the_number_at_once(
    served_app: Flask,
    fake_twilio: FakeTwilio,
    live_server: LiveServer,
    factory: Factory,
    clock,
    word: str,
) -> None:
    partner_case = case_with_number(factory, clock, NUMBER_A)
    waiting = [sms_row(partner_case, NUMBER_A) for _ in range(2)]
    delivered = sms_row(partner_case, NUMBER_A, state="delivered")
    elsewhere = sms_row(case_with_number(factory, clock, NUMBER_B), NUMBER_B)

    response = fake_twilio.post_inbound(_inbound_url(live_server), E164_A, word)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/xml")
    # An empty TwiML answer: the service never replies by itself.
    assert response.text.endswith("<Response/>") and "<Message" not in response.text
    assert is_opted_out(phone_index(NUMBER_A))
    opt_out = db.session.scalar(select(SmsOptOut))
    assert opt_out.source == "stop_reply"
    for message in waiting:
        cancelled = fresh(SmsMessage, message.id)
        assert cancelled.state == "cancelled" and cancelled.error_code == "opted_out"
    assert fresh(SmsMessage, delivered.id).state == "delivered"
    assert fresh(SmsMessage, elsewhere.id).state == "queued"
    (inbound,) = _inbound()
    assert inbound.is_stop and inbound.partner_case_id == partner_case.id
    assert (
        len(
            list(
                db.session.scalars(
                    select(AuditEvent).where(AuditEvent.action == AuditAction.SMS_CANCELLED)
                )
            )
        )
        == 2
    )

    # A second STOP changes nothing more.
    fake_twilio.post_inbound(_inbound_url(live_server), E164_A, word)
    db.session.rollback()
    assert db.session.scalar(select(func.count(SmsOptOut.id))) == 1


def test_a_reply_lands_on_the_case_of_her_number(
    served_app: Flask, fake_twilio: FakeTwilio, live_server: LiveServer, factory: Factory, clock
) -> None:
    # Case A knows the number from a text message sent to it; case B only from the hand-over.
    case_a = case_with_number(factory, clock, NUMBER_A)
    sms_row(case_a, NUMBER_A, state="delivered")
    case_b = case_with_number(factory, clock, NUMBER_B, name="Lena Påhittad")
    url = _inbound_url(live_server)

    assert fake_twilio.post_inbound(url, E164_A, "Ring mig efter tre, tack").status_code == 200
    clock.advance(minutes=1)
    assert fake_twilio.post_inbound(url, E164_B, "Det passar bra på tisdag").status_code == 200

    first, second = _inbound()
    assert (first.partner_case_id, first.clinic_id) == (case_a.id, case_a.clinic_id)
    assert first.data_key_id == case_a.data_key_id and first.body == "Ring mig efter tre, tack"
    assert not first.is_stop
    assert (second.partner_case_id, second.data_key_id) == (case_b.id, case_b.data_key_id)
    assert second.body == "Det passar bra på tisdag"
    assert [m.id for m in inbound_for(db.session.get(PartnerCase, case_a.id))] == [first.id]
    assert db.session.scalar(select(func.count(SmsOptOut.id))) == 0


def test_a_number_on_two_cases_goes_to_the_newest_message(
    app: Flask, factory: Factory, clock
) -> None:
    older = case_with_number(factory, clock, NUMBER_A)
    newer = case_with_number(factory, clock, NUMBER_A, name="Lena Påhittad")
    sms_row(newer, NUMBER_A, state="delivered")
    clock.advance(hours=1)
    sms_row(older, NUMBER_A, state="delivered")

    inbound = receive_inbound("SM" + "a" * 32, E164_A, "Hej", clock.now())

    assert inbound is not None and inbound.partner_case_id == older.id


def test_a_text_from_an_unknown_sender_stays_unmatched(
    served_app: Flask, fake_twilio: FakeTwilio, live_server: LiveServer, factory: Factory, clock
) -> None:
    known = case_with_number(factory, clock, NUMBER_A)
    url = _inbound_url(live_server)
    assert fake_twilio.post_inbound(url, "+46709876543", "Vem är det här?").status_code == 200
    assert fake_twilio.post_inbound(url, "NORRBACKA", "Reklam").status_code == 200
    assert fake_twilio.post_inbound(url, "BAD", "STOP").status_code == 200

    rows = _inbound()
    assert len(rows) == 3
    for row in rows:
        assert row.partner_case_id is None and row.clinic_id is None
        assert row.data_key_id != known.data_key_id
        assert db.session.get(DataKey, row.data_key_id).purpose == "inbound_unmatched"
    assert len({row.data_key_id for row in rows}) == 3
    assert rows[0].body == "Vem är det här?"
    assert rows[2].is_stop
    assert db.session.scalar(select(func.count(SmsOptOut.id))) == 0


def test_a_repeated_message_sid_adds_nothing(
    served_app: Flask, fake_twilio: FakeTwilio, live_server: LiveServer, factory: Factory, clock
) -> None:
    case_with_number(factory, clock, NUMBER_A)
    sid = fake_twilio.new_sid()
    url = _inbound_url(live_server)
    for _ in range(3):
        response = fake_twilio.post_inbound(url, E164_A, "Ring mig", message_sid=sid)
        assert response.status_code == 200

    assert len(_inbound()) == 1
    received = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.SMS_RECEIVED)
    ).all()
    assert len(received) == 1


def test_her_words_and_number_are_not_stored_in_clear(
    served_app: Flask, fake_twilio: FakeTwilio, live_server: LiveServer, factory: Factory, clock
) -> None:
    case_with_number(factory, clock, NUMBER_A)
    words = "Han läser min telefon, skriv inte mer"
    fake_twilio.post_inbound(_inbound_url(live_server), E164_A, words)
    fake_twilio.post_inbound(_inbound_url(live_server), "+46709876543", words + " (okänd)")

    db.session.rollback()
    rows = db.session.execute(text("SELECT * FROM inbound_sms")).all()
    assert len(rows) == 2
    for row in rows:
        raw = b"".join(value if isinstance(value, bytes) else str(value).encode() for value in row)
        assert words.encode() not in raw
        assert "läser".encode() not in raw
        assert E164_A.encode() not in raw and b"709876543" not in raw
    audit = db.session.execute(text("SELECT * FROM audit_event")).all()
    assert words not in str(audit) and "709876543" not in str(audit)
    assert "701112233" not in str(audit)


def test_a_forged_reply_is_refused_and_changes_nothing(
    served_app: Flask, fake_twilio: FakeTwilio, live_server: LiveServer, factory: Factory, clock
) -> None:
    partner_case = case_with_number(factory, clock, NUMBER_A)
    waiting = sms_row(partner_case, NUMBER_A)

    response = fake_twilio.post_inbound(
        _inbound_url(live_server), E164_A, "STOP", signature="Zm9yZ2Vk"
    )

    assert response.status_code == 403
    assert _inbound() == []
    assert not is_opted_out(phone_index(NUMBER_A))
    assert fresh(SmsMessage, waiting.id).state == "queued"
    rejected = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.WEBHOOK_REJECTED)
    ).all()
    assert [e.resource_id for e in rejected] == ["twilio_inbound"]


def test_her_words_never_reach_the_client_side(
    served_app: Flask, fake_twilio: FakeTwilio, live_server: LiveServer, factory: Factory, clock
) -> None:
    client_treater = factory.client_treater()
    partner_case = case_with_number(factory, clock, NUMBER_A, client_treater=client_treater)
    sms_row(partner_case, NUMBER_A, state="delivered")
    words = "KanarieInkommandeSms han har hotat mig igen"
    fake_twilio.post_inbound(_inbound_url(live_server), E164_A, words)
    assert _inbound()[0].partner_case_id == partner_case.id

    client_id = db.session.scalar(
        select(TreatmentEpisode.client_id).where(TreatmentEpisode.id == partner_case.episode_id)
    )
    values = {"client_id": client_id, "case_id": partner_case.id}
    starts = ["/"] + [
        sample_url(rule, values)
        for rule in served_app.url_map.iter_rules()
        if "GET" in rule.methods and rule.endpoint != "static"
    ]
    pages = crawl(served_app, client_treater, clock, starts)

    # The crawl saw his client's own pages (they show the client's name)...
    assert any(b"Kalle Testsson" in body for body in pages.values())
    # ...and nothing she wrote.
    assert [url for url, body in pages.items() if b"KanarieInkommandeSms" in body] == []
