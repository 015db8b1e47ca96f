"""The safety steps before every contact with her: a suitability decision, then only the
first-contact path until she is reached, then nothing until her plan is recorded, then only
what fits the plan; and a manager's logged exception, spent once.

Every kind of contact is tried at each stage through the service that makes it: a letter, a
text message, a phone attempt, a session booking, a relay outcome that names a channel, and an
invitation to her message channel (through the gate itself, which every sender calls).
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import defer_appends_until_commit
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.errors import Forbidden
from partnercontact.partner_side import contact, overrides, relay_inbox
from partnercontact.partner_side.contact import SafeContactPlanIn
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.messaging import letters
from partnercontact.partner_side.messaging.models import SentLetter, SmsMessage
from partnercontact.partner_side.messaging.sms import new_idempotency_key, queue_sms
from partnercontact.partner_side.models import ContactAttempt, PartnerCase, SafetyOverride
from partnercontact.partner_side.rules import (
    Contact,
    ContactNotAllowed,
    MessageRefused,
    check_contact,
    safety_steps,
)
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.sessions import book_session
from partnercontact.relay.models import RelayEvent, RelayOutcome
from tests.factories import Factory
from tests.messaging.sending import Held, held_for_sms


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo("Europe/Stockholm"))


THURSDAY = date(2026, 1, 15)  # the test clock's day; 10:00 in Stockholm
SATURDAY = date(2026, 1, 10)  # the Saturday before


def _count(model: type, held: Held) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.partner_case_id == held.case.id)
    )


# --- each kind of contact, through its own service --------------------------------------------


def _letter(held: Held, purpose: str = "information", event_id: uuid.UUID | None = None):
    # Each try is meant: a repeat within the clinic's interval is confirmed.
    return letters.send_letter(
        held.holder.user, held.case.id, purpose, "sv", event_id, confirm_duplicate=True
    )


def _text(held: Held, purpose: str = "first_contact"):
    return queue_sms(
        held.holder.user,
        held.case.id,
        purpose=purpose,
        language="sv",
        idempotency_key=new_idempotency_key(),
        confirm_duplicate=True,
    )


def _call(held: Held, at: datetime, outcome: str = "no_answer", **flags: Any):
    return contact.record_attempt(
        held.holder.user, held.case.id, channel="phone", outcome=outcome, attempted_at=at, **flags
    )


def _accepted_by_letter(held: Held, clock) -> None:
    """Her answer came back by post: she accepts, and sessions are planned for booking."""
    contact.record_answer(
        held.holder.user,
        held.case.id,
        answer="accepted",
        answered_on=clock.now().date(),
        scopes=["contact_phone", "contact_sms", "contact_letter", "told_when_ended"],
    )
    db.session.commit()


def _booking(held: Held, clock, channel: str = "meeting", hour: int = 10):
    session_id = db.session.scalar(
        select(ContactSession.id)
        .where(ContactSession.partner_case_id == held.case.id)
        .order_by(ContactSession.due_on)
        .limit(1)
    )
    assert session_id is not None, "accepting plans sessions"
    return book_session(
        held.holder.user,
        held.case.id,
        session_id,
        day=clock.now().date() + timedelta(days=5),  # Tuesday 20 January
        at=time(hour),
        minutes=60,
        channel=channel,
    )


def _relayed_event(held: Held, clock) -> uuid.UUID:
    client_id = db.session.get(TreatmentEpisode, held.case.episode_id).client_id
    start_treatment(held.client_treater.user, client_id, started_on=clock.now().date())
    record_session(
        held.client_treater.user, client_id, held_on=clock.now().date(), attendance="missed"
    )
    db.session.commit()
    return db.session.scalar(
        select(RelayEvent.id).where(RelayEvent.episode_id == held.case.episode_id)
    )


def _told(held: Held, event_id: uuid.UUID, outcome: str, clock):
    return relay_inbox.record_outcome(
        held.holder.user, held.case.id, event_id, outcome=outcome, outcome_on=clock.now().date()
    )


def _invitation(held: Held):
    return check_contact(
        held.holder.user, held.case, Contact(kind="invitation", channel="sms", at=None)
    )


def _refused(action: Callable[[], object], rule: str) -> ContactNotAllowed | MessageRefused:
    with pytest.raises((ContactNotAllowed, MessageRefused)) as caught:
        action()
    db.session.rollback()
    assert caught.value.rule == rule, (caught.value.rule, str(caught.value.message))
    return caught.value


def _plan(held: Held, **changes: Any) -> None:
    values: dict[str, Any] = {
        "channels": ["phone", "sms", "letter"],
        "safe_days": ["1", "2", "3", "4", "5"],
        "safe_from": time(9),
        "safe_until": time(17),
        "letters_safe_at_address": True,
        **changes,
    }
    contact.save_safe_contact_plan(held.holder.user, held.case.id, SafeContactPlanIn(**values))
    db.session.commit()


@pytest.fixture
def new_case(factory: Factory, clock) -> Held:
    """Handed over under a consent to every way of first contact, and picked up; nothing
    decided yet."""
    return held_for_sms(
        factory,
        clock,
        suitable=False,
        scopes=["contact_phone", "contact_letter", "contact_sms", "tell_when_ended"],
    )


# --- before a suitability decision -------------------------------------------------------------


def test_every_kind_of_contact_is_refused_before_a_suitability_decision(new_case, clock) -> None:
    held = new_case
    _accepted_by_letter(held, clock)
    event_id = _relayed_event(held, clock)
    now = clock.now()
    tries: dict[str, Callable[[], object]] = {
        "letter": lambda: _letter(held),
        "text": lambda: _text(held),
        "call": lambda: _call(held, now),
        "booking": lambda: _booking(held, clock),
        "relay outcome": lambda: _told(held, event_id, "informed_sms", clock),
        "invitation": lambda: _invitation(held),
    }
    for kind, attempt in tries.items():
        refusal = _refused(attempt, "suitability")
        assert "lämplig" in str(refusal.message), kind  # the missing step, named
    assert _count(SentLetter, held) == _count(SmsMessage, held) == 0
    assert _count(ContactAttempt, held) == _count(RelayOutcome, held) == 0
    assert safety_steps(held.case).next_step == "suitability"


def test_a_decision_against_contact_keeps_every_contact_refused(new_case, clock) -> None:
    held = new_case
    contact.decide_suitability(
        held.holder.user, held.case.id, decision="no_contact", reason="sheltered_housing"
    )
    db.session.commit()
    _refused(lambda: _text(held), "suitability")
    _refused(lambda: _call(held, clock.now()), "suitability")


# --- the first-contact path -------------------------------------------------------------------


@pytest.fixture
def suitable(new_case) -> Held:
    contact.decide_suitability(new_case.holder.user, new_case.case.id, decision="contact")
    db.session.commit()
    return new_case


def test_before_her_plan_only_the_first_contact_path_is_open(suitable, clock) -> None:
    held = suitable
    _accepted_by_letter(held, clock)
    event_id = _relayed_event(held, clock)
    # Off the path: a later letter, a text that is not the first, a call outside the clinic's
    # first-call hours, a booking, a relay outcome, an invitation.
    _refused(lambda: _letter(held, "closing"), "first_contact")
    _refused(lambda: _text(held, "threat_warning"), "threat_warning")
    evening = _refused(lambda: _call(held, _at(THURSDAY, 8, 30)), "first_contact")
    assert evening.field == "attempted_at" and "09:00" in str(evening.message)
    _refused(lambda: _call(held, _at(date(2026, 1, 11), 12)), "first_contact")  # a Sunday
    _refused(lambda: _booking(held, clock), "first_contact")
    _refused(lambda: _told(held, event_id, "informed_letter", clock), "first_contact")
    _refused(lambda: _invitation(held), "first_contact")
    assert _count(ContactAttempt, held) == 0
    # On it: the neutral first letter, the first text, a call within the first-call hours.
    _letter(held, "information")
    _text(held, "first_contact")
    _call(held, _at(THURSDAY, 9, 30))
    db.session.commit()
    assert _count(SentLetter, held) == _count(SmsMessage, held) == _count(ContactAttempt, held) == 1


def test_the_clinic_sets_its_first_call_hours(suitable, clock) -> None:
    held = suitable
    clinic = held.case.clinic_id
    from partnercontact.clinics.models import Clinic

    row = db.session.get(Clinic, clinic)
    row.first_contact_days, row.first_contact_from = "123456", time(8)
    db.session.commit()
    _call(held, _at(THURSDAY, 8, 30))
    _call(held, _at(SATURDAY, 9))
    db.session.commit()
    assert _count(ContactAttempt, held) == 2


def test_a_reached_call_needs_the_safety_question(suitable, clock) -> None:
    held = suitable
    with pytest.raises(ContactInvalid) as caught:
        _call(held, _at(THURSDAY, 9, 30), "reached")
    assert caught.value.field == "safe_to_talk"
    db.session.rollback()
    assert _count(ContactAttempt, held) == 0
    recorded = _call(held, _at(THURSDAY, 9, 30), "reached", safe_to_talk=True)
    db.session.commit()
    assert recorded.attempt.safe_to_talk is True


# --- reached, no plan yet: nothing goes out ------------------------------------------------------


@pytest.fixture
def reached(suitable, clock) -> Held:
    _letter(suitable, "information")
    _call(suitable, _at(THURSDAY, 9, 30), "reached", safe_to_talk=True)
    db.session.commit()
    return suitable


def test_once_she_is_reached_nothing_goes_out_until_her_plan(reached, clock) -> None:
    held = reached
    _accepted_by_letter(held, clock)
    event_id = _relayed_event(held, clock)
    for attempt in (
        lambda: _letter(held, "information"),
        lambda: _text(held, "first_contact"),
        lambda: _call(held, _at(THURSDAY, 9, 45)),
        lambda: _booking(held, clock),
        lambda: _told(held, event_id, "informed_phone", clock),
        lambda: _invitation(held),
    ):
        refusal = _refused(attempt, "plan")
        assert "plan" in str(refusal.message)
    assert safety_steps(held.case).next_step == "plan"
    # She calls the clinic herself: that is hers, and is recorded.
    _call(held, _at(SATURDAY, 21), "reached", called_in=True, safe_to_talk=True)
    db.session.commit()
    assert _count(ContactAttempt, held) == 2


def test_the_next_step_follows_the_newest_decision_and_only_a_call_that_reached_her(
    new_case, clock
) -> None:
    held = new_case

    def decide(decision: str, **reason: str) -> None:
        clock.advance(minutes=1)
        contact.decide_suitability(held.holder.user, held.case.id, decision=decision, **reason)
        db.session.commit()

    steps = []
    decide("contact")
    steps.append(safety_steps(held.case).next_step)
    decide("no_contact", reason="sheltered_housing")  # the newer decision counts
    steps.append(safety_steps(held.case).next_step)
    decide("contact")
    _call(held, _at(THURSDAY, 9, 30))  # no answer: not reached
    db.session.commit()
    steps.append(safety_steps(held.case).next_step)
    _call(held, _at(THURSDAY, 9, 45), "reached", safe_to_talk=True)
    db.session.commit()
    steps.append(safety_steps(held.case).next_step)
    _plan(held)
    steps.append(safety_steps(held.case).next_step)
    assert steps == ["first_contact", "suitability", "first_contact", "plan", None]


# --- with her plan: what fits passes, what does not is refused ---------------------------------


def test_after_her_plan_contact_that_fits_passes_and_the_rest_is_refused(reached, clock) -> None:
    held = reached
    _accepted_by_letter(held, clock)
    event_id = _relayed_event(held, clock)
    _plan(held, channels=["phone", "sms"], safe_from=time(10), safe_until=time(16))
    assert safety_steps(held.case).next_step is None
    # Fits: a text now (Thursday 10:00), a call at 11, a phone session at 10 on Tuesday, being
    # told of the event by phone, an invitation by text.
    _text(held, "call_announcement")
    clock.set(_at(THURSDAY, 17))
    _call(held, _at(THURSDAY, 11))
    _booking(held, clock, channel="phone", hour=10)
    _told(held, event_id, "informed_phone", clock)
    _invitation(held)
    db.session.commit()
    # Does not fit: a letter (not in her plan), a call at 16:30 or on Saturday, a phone
    # session at 17, being told by letter.
    _refused(lambda: _letter(held, "information"), "plan_fit")
    outside = _refused(lambda: _call(held, _at(THURSDAY, 16, 30)), "plan_fit")
    assert outside.field == "attempted_at"
    _refused(lambda: _call(held, _at(SATURDAY, 11)), "plan_fit")
    _refused(lambda: _booking(held, clock, channel="phone", hour=17), "plan_fit")
    by_letter = _refused(lambda: _told(held, event_id, "informed_letter", clock), "plan_fit")
    assert by_letter.field == "outcome"


# --- a manager's exception ---------------------------------------------------------------------


def test_a_managers_exception_lets_one_contact_through_once_and_is_audited(
    factory: Factory, new_case, clock
) -> None:
    held = new_case
    manager = factory.manager()
    reference = held.case.id.hex[:8]
    with pytest.raises(Forbidden):  # a treater cannot lift the steps for herself
        overrides.decide_override(
            held.holder.user,
            case=reference,
            rule="suitability",
            kind="sms",
            reason="imminent_threat",
        )
    db.session.rollback()
    decided = overrides.decide_override(
        manager.user, case=reference, rule="suitability", kind="sms", reason="imminent_threat"
    )
    db.session.commit()
    assert decided.used_at is None
    # Another kind of contact, or another step, is not covered.
    _refused(lambda: _letter(held), "suitability")
    # The text it covers goes once; the next is refused again.
    _text(held)
    db.session.commit()
    db.session.refresh(decided)
    assert decided.used_at is not None and decided.used_by_id == held.holder.user.id
    _refused(lambda: _text(held), "suitability")
    assert _count(SmsMessage, held) == 1
    audited = list(
        db.session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.resource_id == str(held.case.id),
                AuditEvent.action.in_(
                    [AuditAction.SAFETY_OVERRIDE_DECIDED, AuditAction.SAFETY_OVERRIDE_USED]
                ),
            )
        )
    )
    assert sorted(audited) == sorted(
        [AuditAction.SAFETY_OVERRIDE_DECIDED, AuditAction.SAFETY_OVERRIDE_USED]
    )


def test_an_exception_never_overrides_her_own_answer(factory: Factory, suitable, clock) -> None:
    held = suitable
    contact.record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=clock.now().date()
    )
    db.session.commit()
    overrides.decide_override(
        factory.manager().user,
        case=held.case.id.hex[:8],
        rule="first_contact",
        kind="sms",
        reason="authority_request",
    )
    db.session.commit()
    _refused(lambda: _text(held, "first_contact"), "contact")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("case", {"case": ""}),
        ("case", {"case": "zzzzzzzz"}),
        ("case", {"case": "00000000"}),
        ("rule", {"rule": "consent"}),
        ("kind", {"kind": "pigeon"}),
        ("reason", {"reason": "because"}),
    ],
)
def test_a_bad_exception_names_its_field_and_writes_nothing(
    factory: Factory, new_case, field: str, values: dict[str, str]
) -> None:
    manager = factory.manager()
    given = {
        "case": new_case.case.id.hex[:8],
        "rule": "plan",
        "kind": "phone",
        "reason": "child_safety",
        **values,
    }
    with pytest.raises(overrides.OverrideInvalid) as caught:
        overrides.decide_override(manager.user, **given)
    assert caught.value.field == field
    db.session.rollback()
    assert _count(SafetyOverride, new_case) == 0


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_exception_is_spent_by_one_of_two_contacts_at_the_same_moment(
    app, factory: Factory, new_case, clock
) -> None:
    held = new_case
    overrides.decide_override(
        factory.manager().user,
        case=held.case.id.hex[:8],
        rule="suitability",
        kind="sms",
        reason="imminent_threat",
    )
    db.session.commit()
    user_id, case_id = held.holder.user.id, held.case.id
    db.session.remove()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def send() -> None:
        with app.app_context():
            # As in a web request: the audit chain is taken only at commit, so nothing but the
            # override's own update keeps the two apart.
            defer_appends_until_commit()
            holder = db.session.get(User, user_id)
            partner_case = db.session.get(PartnerCase, case_id)
            barrier.wait()
            try:
                check_contact(
                    holder, partner_case, Contact.message("sms", clock.now(), "first_contact")
                )
                db.session.commit()
                outcomes.append("sent")
            except ContactNotAllowed:
                outcomes.append("refused")
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["refused", "sent"]
    used = db.session.scalars(select(SafetyOverride.used_at)).all()
    assert len(used) == 1 and used[0] is not None
