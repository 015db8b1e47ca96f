"""The contact work on a partner case, through the real services on the real database:
suitability, her answer and consent, the end of contact, the safe-contact plan and the check
before any contact, attempts and the unreachable rule, threat warnings, sends to a protected
partner. Every refusal names its field and writes nothing; only the holder writes; the audit
log gets tags and the case, never content."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError, NotFound
from partnercontact.partner_side import contact, rules, sending
from partnercontact.partner_side.contact import SafeContactPlanIn
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.models import (
    ContactAttempt,
    PartnerAnswer,
    PartnerCase,
    PartnerConsent,
    SafeContactPlan,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
)
from partnercontact.partner_side.rules import (
    ContactNotAllowed,
    SendRefused,
    check_contact_allowed,
    check_send_allowed,
)
from partnercontact.partner_side.service import PartnerCaseNotFound, pick_up
from tests.factories import Factory
from tests.partners.conftest import HandedOver, handed_over_case

STOCKHOLM = ZoneInfo("Europe/Stockholm")
# The fixed clock starts on Thursday 15 January 2026, 09:00 UTC (10:00 in Stockholm).
MONDAY = date(2026, 1, 19)
SECRET = "Kodordet Blåbärssoppa"


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=STOCKHOLM)


@pytest.fixture
def held(handed_over: HandedOver) -> HandedOver:
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()
    return handed_over


def count(model: type, partner_case: PartnerCase) -> int:
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.partner_case_id == partner_case.id)
    )


def actions(partner_case: PartnerCase) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEvent.action)
            .where(
                AuditEvent.resource_type == "partner_case",
                AuditEvent.resource_id == str(partner_case.id),
            )
            .order_by(AuditEvent.seq)
        )
    )


def assert_refused(
    call: Callable[[], object],
    field: str,
    partner_case: PartnerCase,
    model: type,
    error: type[DomainError] = ContactInvalid,
) -> None:
    """The call is refused on ``field`` and leaves nothing behind."""
    before = count(model, partner_case)
    recorded = [a for a in actions(partner_case) if a != AuditAction.PARTNER_CASE_VIEWED]
    with pytest.raises(error) as caught:
        call()
    assert caught.value.field == field
    db.session.rollback()
    assert count(model, partner_case) == before
    after = [a for a in actions(partner_case) if a != AuditAction.PARTNER_CASE_VIEWED]
    assert after == recorded


def no_personal_content(*texts: str) -> None:
    for event in db.session.scalars(select(AuditEvent)):
        row = repr(vars(event))
        for text in texts:
            assert text not in row


PLAN = SafeContactPlanIn(
    channels=["sms", "phone"],
    safe_days=["1", "3", "5"],
    safe_from=time(9, 0),
    safe_until=time(17, 0),
    sender_name="Anna på vårdcentralen",
    opener="Passar det att prata nu?",
)


def plan(**changes: object) -> SafeContactPlanIn:
    values = {**vars(PLAN), **changes}
    return SafeContactPlanIn(**values)  # type: ignore[arg-type]


# --- suitability ------------------------------------------------------------------------------


def test_the_newest_suitability_decision_counts_and_the_history_stays(held, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.decide_suitability(holder, case.id, decision="no_contact", reason="other", note=SECRET)
    clock.advance(days=1)
    contact.decide_suitability(holder, case.id, decision="contact")
    db.session.commit()
    current = rules.current_suitability(case)
    assert current is not None and current.decision == "contact" and current.reason is None
    history = contact.suitability_history(case)
    assert [d.decision for d in history] == ["contact", "no_contact"]
    assert history[1].reason == "other" and history[1].note == SECRET
    assert actions(case).count(AuditAction.SUITABILITY_DECIDED) == 2
    no_personal_content(SECRET)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"decision": "maybe"}, "decision"),
        ({"decision": "no_contact"}, "reason"),
        ({"decision": "no_contact", "reason": "bored"}, "reason"),
        ({"decision": "no_contact", "reason": "other"}, "note"),
        ({"decision": "no_contact", "reason": "other", "note": "   "}, "note"),
        ({"decision": "contact", "reason": "abroad"}, "reason"),
        ({"decision": "contact", "note": "x" * 2001}, "note"),
    ],
)
def test_a_bad_suitability_decision_names_its_field(held, values, field) -> None:
    holder, case = held.partner_treater.user, held.case
    assert_refused(
        lambda: contact.decide_suitability(holder, case.id, **values),
        field,
        case,
        SuitabilityDecision,
    )


# --- her answer, her consent, the end of contact ----------------------------------------------


def test_accepting_records_her_own_consent(held, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.record_answer(
        holder,
        case.id,
        answer="accepted",
        answered_on=date(2026, 1, 14),
        scopes=["contact_sms", "told_when_ended"],
    )
    db.session.commit()
    assert case.answer == "accepted"
    consent = rules.current_partner_consent(case)
    assert consent is not None and consent.given_on == date(2026, 1, 14)
    assert (consent.contact_sms, consent.told_when_ended) == (True, True)
    assert (consent.contact_phone, consent.contact_letter, consent.sms_reminders) == (
        False,
        False,
        False,
    )
    assert actions(case)[-2:] == [
        AuditAction.PARTNER_ANSWER_RECORDED,
        AuditAction.PARTNER_CONSENT_RECORDED,
    ]


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"answer": "perhaps"}, "answer"),
        ({"answer": "declined", "answered_on": None}, "answered_on"),
        ({"answer": "declined", "answered_on": date(2026, 1, 16)}, "answered_on"),
        ({"answer": "accepted"}, "scopes"),
        ({"answer": "accepted", "scopes": ["contact_fax"]}, "scopes"),
        ({"answer": "declined", "scopes": ["contact_sms"]}, "scopes"),
        ({"answer": "declined", "scopes": ["told_when_ended", "contact_sms"]}, "scopes"),
        ({"answer": "pending", "scopes": ["told_when_ended"]}, "scopes"),
    ],
)
def test_a_bad_answer_names_its_field(held, values, field) -> None:
    holder, case = held.partner_treater.user, held.case
    values = {"answered_on": date(2026, 1, 15), **values}
    assert_refused(
        lambda: contact.record_answer(holder, case.id, **values), field, case, PartnerAnswer
    )
    assert case.answer == "pending" and count(PartnerConsent, case) == 0


def test_a_declined_offer_can_be_reopened(held, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.record_answer(holder, case.id, answer="declined", answered_on=date(2026, 1, 15))
    clock.advance(days=30)
    contact.record_answer(
        holder, case.id, answer="accepted", answered_on=date(2026, 2, 14), scopes=["contact_sms"]
    )
    db.session.commit()
    assert case.answer == "accepted"
    assert [a.answer for a in contact.answer_history(case)] == ["accepted", "declined"]


def test_her_consent_is_withdrawn_on_its_own(held, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    assert_refused(
        lambda: contact.withdraw_partner_consent(holder, case.id, withdrawn_on=date(2026, 1, 15)),
        "consent",
        case,
        PartnerConsent,
        Conflict,
    )
    contact.record_answer(
        holder, case.id, answer="accepted", answered_on=date(2026, 1, 12), scopes=["contact_sms"]
    )
    db.session.commit()
    for day, field in (
        (None, "withdrawn_on"),
        (date(2026, 1, 16), "withdrawn_on"),
        (date(2026, 1, 11), "withdrawn_on"),
    ):
        with pytest.raises(ContactInvalid) as caught:
            contact.withdraw_partner_consent(holder, case.id, withdrawn_on=day)
        assert caught.value.field == field
        db.session.rollback()
        assert rules.current_partner_consent(case).withdrawn_on is None
    contact.withdraw_partner_consent(holder, case.id, withdrawn_on=date(2026, 1, 15))
    db.session.commit()
    assert rules.current_partner_consent(case).withdrawn_on == date(2026, 1, 15)
    assert case.answer == "accepted"  # her answer stays; contact is refused (below)
    assert AuditAction.PARTNER_CONSENT_WITHDRAWN in actions(case)
    with pytest.raises(ContactNotAllowed):
        check_contact_allowed(case, "sms", local(MONDAY, 10))
    with pytest.raises(Conflict):
        contact.withdraw_partner_consent(holder, case.id, withdrawn_on=date(2026, 1, 15))


def test_she_ends_the_contact_and_a_new_answer_reopens_it(held, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    for day in (None, date(2026, 1, 16)):
        with pytest.raises(ContactInvalid) as caught:
            contact.end_contact(holder, case.id, ended_on=day)
        assert caught.value.field == "ended_on"
        db.session.rollback()
        assert case.contact_ended_on is None
    contact.end_contact(holder, case.id, ended_on=date(2026, 1, 15))
    db.session.commit()
    assert case.contact_ended_on == date(2026, 1, 15)
    assert actions(case)[-1] == AuditAction.PARTNER_CONTACT_ENDED
    with pytest.raises(Conflict) as caught:
        contact.end_contact(holder, case.id, ended_on=date(2026, 1, 15))
    assert caught.value.field == "contact"
    db.session.rollback()
    with pytest.raises(ContactNotAllowed) as refused:
        check_contact_allowed(case, "sms", local(MONDAY, 10))
    assert refused.value.field == "channel"
    clock.advance(days=1)
    for answer in ("declined", "unreachable"):  # neither re-opens the contact
        contact.record_answer(holder, case.id, answer=answer, answered_on=date(2026, 1, 16))
        assert case.contact_ended_on == date(2026, 1, 15)
    clock.advance(days=1)
    contact.record_answer(holder, case.id, answer="pending", answered_on=date(2026, 1, 16))
    db.session.commit()
    assert case.contact_ended_on is None
    check_contact_allowed(case, "sms", local(MONDAY, 10))


# --- the safe-contact plan --------------------------------------------------------------------


def test_each_save_is_a_new_version_of_her_plan(held, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    first = contact.save_safe_contact_plan(holder, case.id, PLAN)
    clock.advance(hours=1)
    second = contact.save_safe_contact_plan(
        holder,
        case.id,
        plan(
            channels=["letter"],
            safe_days=[],
            safe_from=None,
            safe_until=None,
            letters_safe_at_address=True,
            opener=None,
        ),
    )
    db.session.commit()
    assert (first.version, second.version) == (1, 2)
    assert first.safe_days == "135" and (first.phone_allowed, first.sms_allowed) == (True, True)
    assert first.voicemail_allowed is False  # never, unless she allows it
    assert first.opener == "Passar det att prata nu?"
    assert first.sender_name == "Anna på vårdcentralen"
    latest = rules.latest_plan(case)
    assert latest is not None and latest.id == second.id
    assert rules.plan_channels(latest) == ["letter"] and latest.opener is None
    assert count(SafeContactPlan, case) == 2
    assert actions(case).count(AuditAction.SAFE_CONTACT_PLAN_SAVED) == 2
    no_personal_content("Passar det att prata", "Anna på vårdcentralen")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"channels": ["pigeon"]}, "channels"),
        ({"safe_days": ["8"]}, "safe_days"),
        ({"safe_days": []}, "safe_days"),
        ({"safe_from": None, "safe_until": None}, "safe_from"),
        ({"safe_until": None}, "safe_until"),
        ({"safe_from": None}, "safe_from"),
        ({"safe_from": time(17), "safe_until": time(9)}, "safe_until"),
        ({"safe_from": time(9), "safe_until": time(9)}, "safe_until"),
        ({"channels": ["letter"]}, "letters_safe_at_address"),
        ({"sender_name": "x" * 101}, "sender_name"),
        ({"opener": "x" * 201}, "opener"),
    ],
)
def test_a_bad_plan_names_its_field(held, changes, field) -> None:
    holder, case = held.partner_treater.user, held.case
    assert_refused(
        lambda: contact.save_safe_contact_plan(holder, case.id, plan(**changes)),
        field,
        case,
        SafeContactPlan,
    )


# --- may she be contacted this way, now? ------------------------------------------------------


def test_before_her_own_answer_the_clients_consent_sets_the_ways(held) -> None:
    case = held.case
    # The client consented to letters and text messages (tests/cases_built.py), not calls.
    check_contact_allowed(case, "sms", local(MONDAY, 10))
    check_contact_allowed(case, "letter", local(MONDAY, 10))
    with pytest.raises(ContactNotAllowed) as caught:
        check_contact_allowed(case, "phone", local(MONDAY, 10))
    assert caught.value.field == "channel"
    with pytest.raises(ContactNotAllowed) as caught:
        check_contact_allowed(case, "carrier_pigeon", local(MONDAY, 10))
    assert caught.value.field == "channel"
    with pytest.raises(ValueError):
        check_contact_allowed(case, "sms", datetime(2026, 1, 19, 10))  # naive


def test_a_withdrawn_client_consent_stops_a_first_contact_not_her_support(held) -> None:
    consent = db.session.scalar(select(Consent))
    consent.withdrawn_on = date(2026, 1, 15)
    db.session.commit()
    with pytest.raises(ContactNotAllowed):
        check_contact_allowed(held.case, "sms", local(MONDAY, 10))
    # She calls the clinic herself: that reaches her without the clinic contacting her.
    contact.record_attempt(
        held.partner_treater.user,
        held.case.id,
        channel="phone",
        outcome="reached",
        attempted_at=datetime(2026, 1, 15, 8, tzinfo=UTC),
        called_in=True,
        safe_to_talk=True,
    )
    db.session.commit()
    check_contact_allowed(held.case, "sms", local(MONDAY, 10))
    check_contact_allowed(held.case, "phone", local(MONDAY, 10))


def test_her_plan_sets_channels_days_and_hours_in_the_clinics_time(held) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.record_answer(
        holder,
        case.id,
        answer="accepted",
        answered_on=date(2026, 1, 15),
        scopes=["contact_sms", "contact_phone", "contact_letter"],
    )
    contact.save_safe_contact_plan(holder, case.id, PLAN)  # sms, phone; Mon Wed Fri 09-17
    db.session.commit()
    check_contact_allowed(case, "sms", local(MONDAY, 9))
    check_contact_allowed(case, "phone", local(MONDAY, 16, 59))
    # 08:30 UTC in January is 09:30 in Stockholm: inside; 16:30 UTC is 17:30: outside.
    check_contact_allowed(case, "sms", datetime(2026, 1, 19, 8, 30, tzinfo=UTC))
    refusals = [
        ("sms", datetime(2026, 1, 19, 16, 30, tzinfo=UTC), "at"),
        ("sms", local(MONDAY, 8, 59), "at"),
        ("sms", local(MONDAY, 17), "at"),
        ("phone", local(MONDAY + timedelta(days=1), 10), "at"),  # a Tuesday
        ("letter", local(MONDAY, 10), "channel"),  # not in her plan
    ]
    for channel, at, field in refusals:
        with pytest.raises(ContactNotAllowed) as caught:
            check_contact_allowed(case, channel, at)
        assert caught.value.field == field, (channel, at)
    # Letters arrive when the post brings them: only the channel and her address count.
    contact.save_safe_contact_plan(
        holder,
        case.id,
        plan(
            channels=["letter"],
            safe_days=[],
            safe_from=None,
            safe_until=None,
            letters_safe_at_address=True,
        ),
    )
    db.session.commit()
    check_contact_allowed(case, "letter", local(MONDAY + timedelta(days=6), 23))


def test_her_consent_sets_the_ways_whatever_the_plan(held) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.record_answer(
        holder, case.id, answer="accepted", answered_on=date(2026, 1, 15), scopes=["contact_sms"]
    )
    contact.save_safe_contact_plan(holder, case.id, PLAN)
    db.session.commit()
    check_contact_allowed(case, "sms", local(MONDAY, 10))
    with pytest.raises(ContactNotAllowed) as caught:
        check_contact_allowed(case, "phone", local(MONDAY, 10))
    assert caught.value.field == "channel"


def test_no_contact_after_she_declined_or_the_assessment_said_no(held, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.decide_suitability(holder, case.id, decision="no_contact", reason="abroad")
    db.session.commit()
    with pytest.raises(ContactNotAllowed):
        check_contact_allowed(case, "sms", local(MONDAY, 10))
    clock.advance(minutes=1)
    contact.decide_suitability(holder, case.id, decision="contact")
    contact.record_answer(holder, case.id, answer="declined", answered_on=date(2026, 1, 15))
    db.session.commit()
    with pytest.raises(ContactNotAllowed) as caught:
        check_contact_allowed(case, "sms", local(MONDAY, 10))
    assert caught.value.field == "channel"


# --- contact attempts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"channel": "fax"}, "channel"),
        ({"outcome": "maybe"}, "outcome"),
        ({"attempted_at": None}, "attempted_at"),
        ({"attempted_at": datetime(2026, 1, 15, 9, 1, tzinfo=UTC)}, "attempted_at"),
        ({"channel": "phone"}, "channel"),  # the client consented to letters and sms only
    ],
)
def test_a_bad_attempt_names_its_field(held, values, field) -> None:
    holder, case = held.partner_treater.user, held.case
    values = {
        "channel": "sms",
        "outcome": "no_answer",
        "attempted_at": datetime(2026, 1, 15, 8, 30, tzinfo=UTC),
        **values,
    }
    contact.decide_suitability(holder, case.id, decision="contact")
    db.session.commit()
    error = ContactNotAllowed if values.get("channel") == "phone" else ContactInvalid
    assert_refused(
        lambda: contact.record_attempt(holder, case.id, **values),
        field,
        case,
        ContactAttempt,
        error,
    )


def test_an_attempt_outside_her_plan_is_refused_unless_she_called_in(held) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.decide_suitability(holder, case.id, decision="contact")
    contact.save_safe_contact_plan(holder, case.id, PLAN)
    db.session.commit()
    saturday = local(date(2026, 1, 10), 12)
    with pytest.raises(ContactNotAllowed) as caught:
        contact.record_attempt(
            holder, case.id, channel="sms", outcome="no_answer", attempted_at=saturday
        )
    assert caught.value.field == "attempted_at" and caught.value.rule == "plan_fit"
    assert "Lördag är inte en av hennes säkra dagar" in str(caught.value.message)
    db.session.rollback()
    assert count(ContactAttempt, case) == 0
    recorded = contact.record_attempt(
        holder,
        case.id,
        channel="phone",
        outcome="reached",
        attempted_at=saturday,
        called_in=True,
        safe_to_talk=True,
    )
    db.session.commit()
    assert recorded.attempt.called_in and recorded.attempt.safe_to_talk
    assert actions(case)[-1] == AuditAction.CONTACT_ATTEMPT_RECORDED


def _attempt(held: HandedOver, at: datetime, outcome: str = "no_answer"):  # type: ignore[no-untyped-def]
    if not contact.suitability_history(held.case):
        contact.decide_suitability(held.partner_treater.user, held.case.id, decision="contact")
    recorded = contact.record_attempt(
        held.partner_treater.user,
        held.case.id,
        channel="sms",
        outcome=outcome,
        attempted_at=at,
    )
    db.session.commit()
    return recorded


def test_three_attempts_without_reaching_her_mark_her_unreachable(held, clock) -> None:
    case = held.case
    assert not _attempt(held, clock.now()).marked_unreachable
    clock.advance(days=1)
    assert not _attempt(held, clock.now()).marked_unreachable
    assert contact.unreachable_review(case) is None
    clock.advance(days=4)  # Tuesday 20 January: business day 4 of the window
    assert _attempt(held, clock.now()).marked_unreachable
    assert case.answer == "unreachable"
    marking = contact.answer_history(case)[0]
    assert (
        marking.answer == "unreachable" and marking.recorded_by_id == held.partner_treater.user.id
    )
    assert actions(case)[-1] == AuditAction.PARTNER_MARKED_UNREACHABLE
    review = contact.unreachable_review(case)
    assert review is not None and review.attempts == 3 and review.marked_on == date(2026, 1, 20)
    # Once marked, more attempts change nothing; a new answer ends the review and restarts
    # the count.
    clock.advance(hours=1)
    assert not _attempt(held, clock.now()).marked_unreachable
    clock.advance(hours=1)
    contact.record_answer(
        held.partner_treater.user, case.id, answer="pending", answered_on=date(2026, 1, 20)
    )
    db.session.commit()
    assert contact.unreachable_review(case) is None
    clock.advance(hours=1)
    assert not _attempt(held, clock.now()).marked_unreachable
    assert case.answer == "pending"


def test_an_unreachable_answer_recorded_by_hand_needs_no_review(held) -> None:
    contact.record_answer(
        held.partner_treater.user, held.case.id, answer="unreachable", answered_on=date(2026, 1, 15)
    )
    db.session.commit()
    assert contact.unreachable_review(held.case) is None


def test_reaching_her_once_stops_the_rule(held, clock) -> None:
    _attempt(held, clock.now(), "reached")
    # Reached, her plan comes next; attempts after it follow the plan.
    every_day = [str(day) for day in range(1, 8)]
    contact.save_safe_contact_plan(
        held.partner_treater.user,
        held.case.id,
        plan(safe_days=every_day, safe_from=time(8), safe_until=time(20)),
    )
    db.session.commit()
    for _ in range(4):
        clock.advance(hours=2)
        assert not _attempt(held, clock.now()).marked_unreachable
    assert held.case.answer == "pending"


def test_the_rule_runs_only_while_her_answer_is_pending(held, clock) -> None:
    contact.record_answer(
        held.partner_treater.user,
        held.case.id,
        answer="accepted",
        answered_on=date(2026, 1, 15),
        scopes=["contact_sms"],
    )
    db.session.commit()
    for _ in range(4):
        clock.advance(hours=1)
        assert not _attempt(held, clock.now()).marked_unreachable
    assert held.case.answer == "accepted"


def test_when_the_window_passed_the_required_attempts_still_mark_her(held, clock) -> None:
    _attempt(held, clock.now())
    clock.advance(days=1)
    _attempt(held, clock.now())
    clock.advance(days=20)  # long after seven business days
    assert held.case.answer == "pending"  # fewer attempts than required: never marked
    assert _attempt(held, clock.now()).marked_unreachable


def test_the_clinic_sets_how_many_attempts(held, clock) -> None:
    clinic = contact.clinic_of(held.case)
    clinic.contact_attempts_required = 2
    db.session.commit()
    _attempt(held, clock.now())
    clock.advance(hours=3)
    assert _attempt(held, clock.now()).marked_unreachable


def test_the_window_counts_business_days() -> None:
    thursday = date(2026, 1, 15)
    assert contact.window_end(thursday, 7) == date(2026, 1, 23)  # Thu, Fri, Mon..Fri
    assert contact.window_end(thursday, 1) == thursday
    assert contact.window_end(date(2026, 1, 17), 7) == date(2026, 1, 27)  # from a Saturday


# --- imminent threat --------------------------------------------------------------------------


def test_a_threat_warning_needs_a_reason_and_that_she_opted_out(held) -> None:
    holder, case = held.partner_treater.user, held.case
    assert_refused(
        lambda: contact.record_threat_warning(holder, case.id, reason=SECRET),
        "reason",
        case,
        ThreatWarning,
        Conflict,
    )
    contact.record_answer(holder, case.id, answer="declined", answered_on=date(2026, 1, 15))
    db.session.commit()
    for reason in (None, "  ", "x" * 2001):
        assert_refused(
            lambda reason=reason: contact.record_threat_warning(holder, case.id, reason=reason),
            "reason",
            case,
            ThreatWarning,
        )


def test_a_confirmed_threat_warning_lets_her_be_warned_for_a_week(
    factory: Factory, held, clock
) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.record_answer(holder, case.id, answer="declined", answered_on=date(2026, 1, 15))
    warning = contact.record_threat_warning(holder, case.id, reason=SECRET)
    db.session.commit()
    assert actions(case)[-1] == AuditAction.THREAT_WARNING_RECORDED
    with pytest.raises(ContactNotAllowed):
        check_contact_allowed(case, "sms", clock.now())  # not confirmed yet

    manager = factory.manager().user
    [listed] = contact.unconfirmed_threat_warnings(manager)
    assert listed.id == warning.id and listed.reference == case.id.hex[:8]
    assert not hasattr(listed, "reason")  # the list shows reference and date only
    shown = contact.threat_warning_for_manager(manager, warning.id)
    assert shown.reason == SECRET

    other_clinic = factory.manager(clinic=factory.clinic()).user
    assert contact.unconfirmed_threat_warnings(other_clinic) == []
    for outsider in (other_clinic, holder, held.client_treater.user, factory.admin().user):
        with pytest.raises(NotFound):
            contact.confirm_threat_warning(outsider, warning.id)
        db.session.rollback()
    assert db.session.get(ThreatWarning, warning.id).confirmed_at is None

    clock.advance(hours=1)
    contact.confirm_threat_warning(manager, warning.id)
    db.session.commit()
    assert warning.confirmed_by_id == manager.id and warning.confirmed_at == clock.now()
    assert actions(case)[-1] == AuditAction.THREAT_WARNING_CONFIRMED
    assert contact.unconfirmed_threat_warnings(manager) == []
    with pytest.raises(Conflict):
        contact.confirm_threat_warning(manager, warning.id)
    db.session.rollback()

    check_contact_allowed(case, "sms", clock.now())
    check_contact_allowed(case, "sms", clock.now() + timedelta(days=6))
    with pytest.raises(ContactNotAllowed):
        check_contact_allowed(case, "sms", clock.now() + timedelta(days=7, minutes=1))
    no_personal_content(SECRET)


def test_a_threat_warning_does_not_override_her_safe_contact_plan(held, factory, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.save_safe_contact_plan(holder, case.id, PLAN)
    contact.end_contact(holder, case.id, ended_on=date(2026, 1, 15))
    warning = contact.record_threat_warning(holder, case.id, reason=SECRET)
    contact.confirm_threat_warning(factory.manager().user, warning.id)
    db.session.commit()
    check_contact_allowed(case, "phone", local(MONDAY, 10))  # a call she never consented to
    with pytest.raises(ContactNotAllowed) as caught:
        check_contact_allowed(case, "phone", local(MONDAY, 20))
    assert caught.value.field == "at"


# --- sends to a protected partner -------------------------------------------------------------


@pytest.fixture
def protected(factory: Factory, clock) -> HandedOver:
    client_treater = factory.client_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater, protected=True)
    holder = factory.partner_treater()
    pick_up(holder.user, case.id)
    db.session.commit()
    return HandedOver(client_treater, holder, case)


def test_a_send_to_an_unprotected_partner_needs_no_decision(held) -> None:
    assert check_send_allowed(held.partner_treater.user, held.case, "sms") is None
    with pytest.raises(ContactInvalid) as caught:
        check_send_allowed(held.partner_treater.user, held.case, "phone")
    assert caught.value.field == "channel"
    assert_refused(
        lambda: sending.record_send_decision(
            held.partner_treater.user, held.case.id, "sms", "Kallelse"
        ),
        "channel",
        held.case,
        SendDecision,
        Conflict,
    )


def test_a_protected_partner_gets_one_send_per_decision(protected, clock) -> None:
    holder, case = protected.partner_treater.user, protected.case
    with pytest.raises(SendRefused) as caught:
        check_send_allowed(holder, case, "sms")
    assert caught.value.field == "channel"
    db.session.commit()  # the refusal's audit entry, as a sender keeps it
    refused = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == AuditAction.SEND_REFUSED)
    )
    assert refused is not None and refused.outcome == "denied"
    assert refused.resource_id == str(case.id)

    decision = sending.record_send_decision(holder, case.id, "sms", SECRET)
    db.session.commit()
    assert actions(case)[-1] == AuditAction.SEND_DECISION_RECORDED
    with pytest.raises(SendRefused):
        check_send_allowed(holder, case, "letter")  # a decision is for its channel only
    db.session.rollback()
    clock.advance(minutes=5)
    assert check_send_allowed(holder, case, "sms") == decision
    db.session.commit()
    assert decision.used_at == clock.now()
    with pytest.raises(SendRefused):
        check_send_allowed(None, case, "sms")  # used once: spent
    db.session.commit()
    assert actions(case).count(AuditAction.SEND_REFUSED) == 2
    no_personal_content(SECRET)


@pytest.mark.parametrize(
    ("channel", "reason", "field"),
    [("phone", "Kallelse", "channel"), ("sms", "", "reason"), ("sms", "x" * 2001, "reason")],
)
def test_a_bad_send_decision_names_its_field(protected, channel, reason, field) -> None:
    holder, case = protected.partner_treater.user, protected.case
    assert_refused(
        lambda: sending.record_send_decision(holder, case.id, channel, reason),
        field,
        case,
        SendDecision,
    )


# --- only the holder writes -------------------------------------------------------------------


WRITES: dict[str, Callable] = {
    "suitability": lambda actor, case_id: contact.decide_suitability(
        actor, case_id, decision="contact"
    ),
    "answer": lambda actor, case_id: contact.record_answer(
        actor, case_id, answer="declined", answered_on=date(2026, 1, 15)
    ),
    "withdraw": lambda actor, case_id: contact.withdraw_partner_consent(
        actor, case_id, withdrawn_on=date(2026, 1, 15)
    ),
    "end": lambda actor, case_id: contact.end_contact(actor, case_id, ended_on=date(2026, 1, 15)),
    "plan": lambda actor, case_id: contact.save_safe_contact_plan(actor, case_id, PLAN),
    "attempt": lambda actor, case_id: contact.record_attempt(
        actor,
        case_id,
        channel="sms",
        outcome="no_answer",
        attempted_at=datetime(2026, 1, 15, 8, tzinfo=UTC),
    ),
    "threat": lambda actor, case_id: contact.record_threat_warning(actor, case_id, reason=SECRET),
    "send_decision": lambda actor, case_id: sending.record_send_decision(
        actor, case_id, "sms", SECRET
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
@pytest.mark.parametrize(
    "who", ["other_partner_treater", "other_clinic", "client_treater", "manager", "admin"]
)
def test_only_the_holder_records(factory: Factory, protected, write, who) -> None:
    case = protected.case
    actor = {
        "other_partner_treater": lambda: factory.partner_treater(),
        "other_clinic": lambda: factory.partner_treater(clinic=factory.clinic()),
        "client_treater": lambda: protected.client_treater,
        "manager": lambda: factory.manager(),
        "admin": lambda: factory.admin(),
    }[who]().user
    before = actions(case)
    with pytest.raises(PartnerCaseNotFound):
        WRITES[write](actor, case.id)
    db.session.rollback()
    assert actions(case) == before
    for model in (
        SuitabilityDecision,
        PartnerAnswer,
        SafeContactPlan,
        ContactAttempt,
        ThreatWarning,
        SendDecision,
    ):
        assert count(model, case) == 0


@pytest.mark.parametrize("write", sorted(WRITES))
def test_nobody_records_on_a_case_nobody_holds(factory: Factory, clock, write) -> None:
    case = handed_over_case(factory, clock, protected=True)
    with pytest.raises(Conflict) as caught:
        WRITES[write](factory.partner_treater().user, case.id)
    assert caught.value.field == "case"


def test_the_audit_log_holds_tags_never_content(held, factory, clock) -> None:
    holder, case = held.partner_treater.user, held.case
    contact.decide_suitability(holder, case.id, decision="no_contact", reason="other", note=SECRET)
    contact.save_safe_contact_plan(
        holder, case.id, plan(opener=SECRET, sender_name="Hemlig Avsändare")
    )
    contact.record_answer(holder, case.id, answer="declined", answered_on=date(2026, 1, 15))
    warning = contact.record_threat_warning(holder, case.id, reason="Hotet mot Maja")
    contact.threat_warning_for_manager(factory.manager().user, warning.id)
    db.session.commit()
    no_personal_content(SECRET, "Hemlig", "Hotet", "Maja", "Blåbär")
    assert {
        AuditAction.SUITABILITY_DECIDED,
        AuditAction.SAFE_CONTACT_PLAN_SAVED,
        AuditAction.PARTNER_ANSWER_RECORDED,
        AuditAction.THREAT_WARNING_RECORDED,
    } <= set(actions(case))
