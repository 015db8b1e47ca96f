"""The contact plan and the recurring duties: what a hand-over, her answer, a letter, a risk
assessment, unanswered attempts and the end of his treatment put on the staff's list, and when.
"""

from __future__ import annotations

from datetime import date, time

from sqlalchemy import select

from partnercontact.client_side.cases.ending import end_episode
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.clinical import record_risk_assessment
from partnercontact.partner_side.contact import record_answer, record_attempt
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.tasks.queue import dispatch_due
from tests.messaging.sending import held_for_sms
from tests.partners.conftest import handed_over_case
from tests.ratings import rated
from tests.scheduling.building import accepted, book, sessions, tasks_of, utc


def _reminders(**where: object) -> list[StaffReminder]:
    db.session.expire_all()
    query = select(StaffReminder)
    for name, value in where.items():
        query = query.where(getattr(StaffReminder, name) == value)
    return list(db.session.scalars(query.order_by(StaffReminder.created_at)))


def test_the_first_contact_is_due_days_after_the_hand_over_at_the_clinics_reminder_time(
    app, factory, clock
):
    clinic = factory.default_clinic
    clinic.plan_first_contact_days = 3
    clinic.reminder_time = time(8, 30)
    db.session.commit()
    held = held_for_sms(factory, clock)  # handed over on Thursday 15 January 2026

    (task,) = tasks_of(kinds.FIRST_CONTACT_DUE)
    assert task.due_at == utc(2026, 1, 18, 7, 30)  # Sunday 08:30 in Stockholm (winter time)
    clock.set(utc(2026, 1, 18, 7, 29))
    dispatch_due()
    assert _reminders() == []

    clock.set(utc(2026, 1, 18, 7, 30))
    dispatch_due()
    (reminder,) = _reminders()
    assert (reminder.user_id, reminder.kind) == (held.holder.user.id, kinds.FIRST_CONTACT_DUE)
    assert reminder.partner_case_id == held.case.id


def test_no_first_contact_reminder_once_she_was_reached(app, factory, clock):
    held = held_for_sms(factory, clock)
    # She called the clinic herself (the client's consent names letters and texts, not calls).
    record_attempt(
        held.holder.user,
        held.case.id,
        channel="phone",
        outcome="reached",
        attempted_at=clock.now(),
        called_in=True,
        safe_to_talk=True,
    )
    db.session.commit()
    clock.advance(days=10)
    dispatch_due()
    assert _reminders() == []
    (task,) = tasks_of(kinds.FIRST_CONTACT_DUE)
    assert (task.state, task.outcome) == ("done", "not_needed")


def test_a_case_nobody_has_picked_up_reminds_the_managers(app, factory, clock):
    manager = factory.manager()
    other_manager = factory.manager()
    handed_over_case(factory, clock)
    clock.advance(days=10)
    dispatch_due()
    assert sorted(r.user_id for r in _reminders()) == sorted(
        [manager.user.id, other_manager.user.id]
    )


def test_acceptance_books_the_plans_sessions_to_be_booked(app, factory, clock):
    clinic = factory.default_clinic
    clinic.plan_session_count = 2
    clinic.plan_session_interval_weeks = 3
    db.session.commit()
    held = accepted(factory, clock, on=date(2026, 1, 15))

    planned = sessions(held)
    assert [(s.purpose, s.state, s.due_on) for s in planned] == [
        ("regular", "to_book", date(2026, 1, 15)),
        ("regular", "to_book", date(2026, 2, 5)),
    ]
    # Accepting again after a pause keeps the plan it has.
    record_answer(held.holder.user, held.case.id, answer="pending", answered_on=clock.now().date())
    record_answer(
        held.holder.user,
        held.case.id,
        answer="accepted",
        answered_on=clock.now().date(),
        scopes=["contact_phone"],
    )
    db.session.commit()
    assert len(sessions(held)) == 2


def test_a_session_still_to_book_a_week_before_its_day_reminds_her_treater(app, factory, clock):
    held = accepted(factory, clock, on=date(2026, 1, 15))
    second = sessions(held)[1]  # due 12 February
    book(held, sessions(held)[0], date(2026, 1, 20), time(10, 0))

    clock.set(utc(2026, 2, 5, 7, 59))
    dispatch_due()
    # The first session's reminder to book was due at once; it was booked before that ran.
    assert [r.session_id for r in _reminders(kind=kinds.SESSION_TO_BOOK)] == []
    clock.set(utc(2026, 2, 5, 8, 0))  # 09:00 in Stockholm, a week before the 12th
    dispatch_due()
    (reminder,) = _reminders(kind=kinds.SESSION_TO_BOOK)
    assert (reminder.session_id, reminder.user_id) == (second.id, held.holder.user.id)


def test_the_follow_up_call_after_an_information_letter(app, factory, clock):
    from partnercontact.partner_side.messaging.letters import send_letter

    held = held_for_sms(factory, clock)
    clinic = factory.default_clinic
    clinic.postal_address = "Box 12\n123 45 Lindvik"
    clinic.letter_signatory = "Kim Berg, kurator"
    db.session.commit()
    send_letter(held.holder.user, held.case.id, "information", "sv")
    db.session.commit()

    (task,) = tasks_of(kinds.LETTER_FOLLOW_UP)
    assert task.due_at == utc(2026, 1, 22, 8)  # seven days later, 09:00 in Stockholm
    clock.set(task.due_at)
    dispatch_due()
    (reminder,) = _reminders(kind=kinds.LETTER_FOLLOW_UP)
    assert reminder.user_id == held.holder.user.id


def test_a_risk_review_reminds_unless_a_newer_assessment_came_first(app, factory, clock):
    held = held_for_sms(factory, clock)
    for review in (date(2026, 2, 1), date(2026, 3, 1)):
        record_risk_assessment(
            held.holder.user,
            held.case.id,
            instrument="freda_short",
            ratings=rated("freda_short"),
            assessed_on=clock.now().date(),
            level="moderate",
            next_review_on=review,
            notes=None,
        )
        db.session.commit()
        clock.advance(minutes=5)

    clock.set(utc(2026, 3, 2, 12))
    dispatch_due()
    outcomes = {task.due_at.date(): task.outcome for task in tasks_of(kinds.RISK_REVIEW_DUE)}
    assert outcomes == {date(2026, 2, 1): "not_needed", date(2026, 3, 1): "reminded"}
    assert len(_reminders(kind=kinds.RISK_REVIEW_DUE)) == 1


def test_an_unanswered_first_contact_is_escalated_to_treater_and_managers_once(app, factory, clock):
    manager = factory.manager()
    held = held_for_sms(factory, clock)
    required = factory.default_clinic.contact_attempts_required
    for _ in range(required + 1):
        # First texts: the client's consent names letters and texts, not calls.
        record_attempt(
            held.holder.user,
            held.case.id,
            channel="sms",
            outcome="no_answer",
            attempted_at=clock.now(),
        )
        db.session.commit()
        clock.advance(hours=2)
    dispatch_due()

    escalations = _reminders(kind=kinds.FIRST_CONTACT_UNANSWERED)
    assert sorted(r.user_id for r in escalations) == sorted([held.holder.user.id, manager.user.id])


def test_the_end_of_his_treatment_plans_a_closing_and_a_follow_up_session(app, factory, clock):
    clinic = factory.default_clinic
    clinic.plan_follow_up_months = 6
    db.session.commit()
    held = accepted(factory, clock, on=date(2026, 1, 15))
    episode = db.session.get(TreatmentEpisode, held.case.episode_id)
    clock.advance(days=30)
    end_episode(
        held.client_treater.user,
        episode.client_id,
        ended_on=date(2026, 2, 13),
        outcome="dropped_out",
    )
    db.session.commit()
    # The client side only asked for it; the worker plans it on the partner side.
    assert [s.purpose for s in sessions(held)] == ["regular"] * 3

    dispatch_due()
    planned = {(s.purpose, s.due_on) for s in sessions(held) if s.purpose != "regular"}
    assert planned == {("closing", date(2026, 2, 13)), ("follow_up", date(2026, 8, 13))}


def test_tasks_that_fell_due_while_no_worker_ran_are_all_caught_up(app, factory, clock):
    held = accepted(factory, clock, on=date(2026, 1, 15))
    clock.advance(days=120)
    report = dispatch_due()
    # The first contact reminder (not needed: she accepted) and three reminders to book.
    assert len(report.done) == 4
    assert len(_reminders(kind=kinds.SESSION_TO_BOOK)) == 3
    assert all(task.state == "done" for task in tasks_of(kinds.SESSION_TO_BOOK))
    assert held.case.id == _reminders()[0].partner_case_id
    assert dispatch_due().done == []
