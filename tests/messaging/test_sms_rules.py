"""Every text message passes the safety rules when it is queued, and a refusal says which
rule applied, writes nothing and leaves a trace in the audit log."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.halt import halt_outbound, resume_outbound
from partnercontact.partner_side.messaging.models import SmsMessage, SmsOptOut
from partnercontact.partner_side.messaging.sms import SmsInvalid
from partnercontact.partner_side.models import PartnerHandover
from partnercontact.partner_side.rules import MessageRefused, attempts_of
from partnercontact.partner_side.sending import record_send_decision
from partnercontact.partner_side.service import name_staff
from partnercontact.phones import phone_index
from partnercontact.relay.models import RelayEvent
from partnercontact.transports.transport import OutboxTransport
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.messaging.rows import case_with_number, fresh, sms_row
from tests.messaging.sending import CLINIC_PHONE, Held, held_for_sms, queue, safe_hours

HER_NUMBER = "070-765 43 21"  # the number handed_over_case hands over


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return held_for_sms(factory, clock)


def _queued() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SmsMessage))


def _refusals() -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "partner.send_refused", AuditEvent.outcome == "denied")
    )


def _refused(held: Held, rule: str, words: str, **kwargs) -> MessageRefused:
    before, queued = _refusals(), _queued()
    with pytest.raises(MessageRefused) as caught:
        queue(held, **kwargs)
    db.session.commit()  # what a page does: the refusal stays on record
    assert caught.value.rule == rule
    assert words in str(caught.value.message)
    assert _queued() == queued
    assert _refusals() == before + 1
    return caught.value


def test_the_first_text_names_only_the_sender_and_a_number(held) -> None:
    message = queue(held)
    assert message.state == "queued"
    assert message.to_number == "+46707654321"
    assert message.to_index == phone_index(HER_NUMBER)
    assert "Norrbacka samtal" in message.body and CLINIC_PHONE in message.body
    for word in ("våld", "behandling", "partner", "Maja"):
        assert word not in message.body.lower()
    assert len(message.template_version) == 12


def test_her_plan_gives_the_sender_and_the_opener(held, clock) -> None:
    contact.save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        contact.SafeContactPlanIn(
            channels=["sms"],
            safe_days=list("1234567"),
            safe_from=datetime(2026, 1, 1, 8).time(),
            safe_until=datetime(2026, 1, 1, 20).time(),
            sender_name="Frisören",
            opener="Hej från salongen!",
        ),
    )
    db.session.commit()
    body = queue(held, language="en").body
    assert body.startswith("Hej från salongen!\n")
    assert "this is Frisören." in body and "Norrbacka" not in body


def test_the_same_form_submitted_twice_queues_one_message(held) -> None:
    first = queue(held, idempotency_key="a" * 32)
    second = queue(held, idempotency_key="a" * 32)
    assert first.id == second.id and _queued() == 1


def test_the_stop_switch_refuses_every_send_until_lifted(held, factory) -> None:
    manager = factory.manager()
    halt_outbound(manager.user, "A template looked wrong")
    db.session.commit()
    _refused(held, "halted", "stoppknappen")
    resume_outbound(manager.user)
    db.session.commit()
    assert queue(held).state == "queued"


def test_a_number_that_replied_stop_gets_nothing(held, clock) -> None:
    db.session.add(
        SmsOptOut(
            phone_index=phone_index("+46707654321"), source="stop_reply", opted_out_at=clock.now()
        )
    )
    db.session.commit()
    _refused(held, "opted_out", "STOP")


def test_she_declined(held) -> None:
    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=date(2026, 1, 15)
    )
    db.session.commit()
    _refused(held, "contact", "tackat nej")


def test_she_ended_the_contact(held) -> None:
    contact.record_answer(
        held.holder.user,
        held.case.id,
        answer="accepted",
        answered_on=date(2026, 1, 15),
        scopes=["contact_sms"],
    )
    contact.end_contact(held.holder.user, held.case.id, ended_on=date(2026, 1, 15))
    db.session.commit()
    _refused(held, "contact", "avslutat kontakten")


def test_outside_her_safe_hours_and_channels(held, clock) -> None:
    safe_hours(held, start=13, end=15)  # 09:00 UTC is 10:00 in Stockholm
    _refused(held, "plan_fit", "utanför hennes säkra tider")
    clock.set(datetime(2026, 1, 17, 13, 0, tzinfo=UTC))  # a Saturday
    _refused(held, "plan_fit", "inte en av hennes säkra dagar")
    clock.set(datetime(2026, 1, 19, 13, 0, tzinfo=UTC))  # Monday 14:00 in Stockholm
    assert queue(held).state == "queued"
    contact.save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        contact.SafeContactPlanIn(
            channels=["phone"],
            safe_days=list("12345"),
            safe_from=datetime(2026, 1, 1, 9).time(),
            safe_until=datetime(2026, 1, 1, 17).time(),
        ),
    )
    db.session.commit()
    with pytest.raises(MessageRefused) as caught:
        queue(held, confirm_duplicate=True)  # the same text as a moment ago
    assert caught.value.rule == "plan_fit"
    assert "tillåter inte det här kontaktsättet" in str(caught.value.message)


def test_a_protected_partner_needs_a_decision_for_each_send(factory, clock) -> None:
    held = held_for_sms(factory, clock, protected=True)
    name_staff(held.holder.user, held.case.id, held.holder.user.id)
    db.session.commit()
    _refused(held, "protected", "skyddade personuppgifter")
    record_send_decision(held.holder.user, held.case.id, "sms", "She asked for a text today")
    db.session.commit()
    assert queue(held).state == "queued"
    _refused(held, "protected", "skyddade personuppgifter", confirm_duplicate=True)


def _ended_treatment(held: Held, clock, outcome: str = "dropped_out") -> RelayEvent:
    client_id = db.session.get(TreatmentEpisode, held.case.episode_id).client_id
    start_treatment(held.client_treater.user, client_id, started_on=clock.now().date())
    end_episode(held.client_treater.user, client_id, ended_on=clock.now().date(), outcome=outcome)
    db.session.commit()
    return db.session.scalar(
        select(RelayEvent).where(
            RelayEvent.episode_id == held.case.episode_id, RelayEvent.kind == outcome
        )
    )


def test_the_notice_she_asked_for_reaches_her_although_she_declined(held, clock) -> None:
    first_steps_taken(held.holder.user, held.case.id, clock)  # reached: she answers
    contact.record_answer(
        held.holder.user,
        held.case.id,
        answer="declined",
        answered_on=date(2026, 1, 15),
        scopes=["told_when_ended"],
    )
    db.session.commit()
    event = _ended_treatment(held, clock)
    _refused(held, "contact", "tackat nej")
    message = queue(held, purpose="treatment_ended", relay_event_id=event.id)
    assert message.state == "queued" and message.relay_event_id == event.id


def test_without_asking_for_it_a_declined_partner_gets_no_notice(held, clock) -> None:
    first_steps_taken(held.holder.user, held.case.id, clock)  # reached: she answers
    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=date(2026, 1, 15)
    )
    db.session.commit()
    event = _ended_treatment(held, clock)
    _refused(held, "contact", "tackat nej", purpose="treatment_ended", relay_event_id=event.id)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"purpose": "birthday"}, "purpose"),
        ({"language": "de"}, "language"),
        ({"idempotency_key": "not-a-key"}, "idempotency_key"),
        ({"purpose": "treatment_ended"}, "purpose"),
    ],
)
def test_bad_input_names_its_field_and_writes_nothing(held, values, field) -> None:
    with pytest.raises(SmsInvalid) as caught:
        queue(held, **values)
    assert caught.value.field == field
    assert _queued() == 0


def test_a_clinic_without_a_phone_number_cannot_send(held, factory) -> None:
    factory.default_clinic.phone = ""
    db.session.commit()
    with pytest.raises(SmsInvalid) as caught:
        queue(held)
    assert "telefonnummer" in str(caught.value.message)
    assert _queued() == 0


LANDLINE = "08-123 456 78"


def test_a_swedish_landline_is_handed_over_and_called_but_never_texted(factory, clock) -> None:
    """Her landline is hers to be called on: the hand-over keeps it and a call to it is
    recorded, but a text message to it would never arrive, so none is queued. (The client's
    consent names letters and texts: the clinic calls her once she has called back after the
    first letter and her plan allows calls.)"""
    held = held_for_sms(factory, clock, phone=LANDLINE)
    note = db.session.scalar(
        select(PartnerHandover).where(PartnerHandover.episode_id == held.case.episode_id)
    )
    assert note.phone == "+46812345678" and note.phone_index == phone_index(LANDLINE)
    refusal = _refused(held, "not_mobile", "kan inte ta emot sms")
    assert refusal.field == "partner_phone"
    assert "telefonnummer" in str(refusal.message)

    first_steps_taken(held.holder.user, held.case.id, clock)
    contact.record_attempt(
        held.holder.user,
        held.case.id,
        channel="phone",
        outcome="no_answer",
        attempted_at=clock.now(),
    )
    db.session.commit()
    called = attempts_of(held.case)[0]  # the newest: the clinic's call
    assert (called.channel, called.outcome, called.called_in) == ("phone", "no_answer", False)


def test_a_message_queued_to_a_landline_before_the_rule_is_cancelled_by_the_worker(
    factory, clock
) -> None:
    """A message that waited in the queue from before the rule is stopped at sending."""
    partner_case = case_with_number(factory, clock, LANDLINE)
    message = sms_row(partner_case, LANDLINE)
    report = send_due_sms(OutboxTransport())
    assert report.cancelled == [message.id]
    cancelled = fresh(SmsMessage, message.id)
    assert cancelled.state == "cancelled" and cancelled.error_code == "not_mobile"
