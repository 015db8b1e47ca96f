"""The text that reminds her of a session: at the clinic's 09:00 on the right day across a
daylight-saving change, only within her safe hours, never after the session began, and once."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from partnercontact.db import db
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.inbound import record_carrier_opt_out
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.sessions import cancel_session
from partnercontact.phones import phone_index
from partnercontact.tasks.queue import dispatch_due
from tests.messaging.sending import safe_hours
from tests.scheduling.building import accepted, book, sessions, tasks_of, utc


def _texts(held) -> list[SmsMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(SmsMessage)
            .where(SmsMessage.partner_case_id == held.case.id)
            .order_by(SmsMessage.created_at)
        )
    )


def _run(clock, moment) -> None:
    clock.set(moment)
    dispatch_due()
    send_due_sms()


@pytest.mark.parametrize(
    ("accepted_at", "session_day", "reminder_utc"),
    [
        # Summer time starts on Sunday 29 March 2026: Monday's 09:00 is 07:00 UTC, not 08:00.
        (utc(2026, 3, 20, 9), date(2026, 3, 31), utc(2026, 3, 30, 7)),
        # Summer time ends on Sunday 25 October 2026: Monday's 09:00 is 08:00 UTC, not 07:00.
        (utc(2026, 10, 16, 9), date(2026, 10, 27), utc(2026, 10, 26, 8)),
    ],
    ids=["spring_forward", "fall_back"],
)
def test_a_reminder_at_nine_on_the_day_after_a_clock_change_fires_at_that_instant(
    app, factory, clock, accepted_at, session_day, reminder_utc
):
    clock.set(accepted_at)
    held = accepted(factory, clock)
    first = sessions(held)[0]
    book(held, first, session_day, time(13, 0))
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert task.due_at == reminder_utc

    _run(clock, reminder_utc - timedelta(seconds=1))
    assert _texts(held) == []

    _run(clock, reminder_utc)
    (text,) = _texts(held)
    assert text.state == "delivered"  # the outbox transport delivers at once
    assert text.sent_at == reminder_utc
    assert f"{session_day.day} " in text.body and "kl. 13:00" in text.body
    assert "tisdag" in text.body


def test_a_reminder_due_outside_her_safe_hours_waits_for_them(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    safe_hours(held, days="12345", start=13, end=17)
    book(held, sessions(held)[0], date(2026, 3, 31), time(16, 0), channel="meeting")
    reminder_at = utc(2026, 3, 30, 7)  # 09:00 in Stockholm, before her safe hours

    _run(clock, reminder_at)
    assert _texts(held) == []
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert task.state == "pending"
    assert task.due_at == utc(2026, 3, 30, 11)  # 13:00 in Stockholm
    assert task.attempts == 0

    _run(clock, utc(2026, 3, 30, 10, 59))
    assert _texts(held) == []

    _run(clock, utc(2026, 3, 30, 11))
    (text,) = _texts(held)
    assert text.state == "delivered"  # the outbox transport delivers at once
    assert text.sent_at == utc(2026, 3, 30, 11)


def test_no_reminder_when_no_safe_moment_comes_before_the_session(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    book(held, sessions(held)[0], date(2026, 3, 31), time(10, 0))
    # Her plan changes after the booking (one made under it is never scheduled at all).
    safe_hours(held, days="6", start=13, end=17)  # Saturdays only

    for hours in range(0, 30, 3):
        _run(clock, utc(2026, 3, 30, 7) + timedelta(hours=hours))
    assert _texts(held) == []
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert (task.state, task.outcome) == ("done", "no_safe_time")


def test_a_reminder_that_waited_past_the_session_is_cancelled_not_sent(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    book(held, sessions(held)[0], date(2026, 3, 31), time(10, 0))
    clock.set(utc(2026, 3, 30, 7))
    dispatch_due()
    (text,) = _texts(held)
    assert text.state == "queued"

    # The worker's text duty did not run until the session had begun.
    clock.set(utc(2026, 3, 31, 8, 1))
    send_due_sms()
    (text,) = _texts(held)
    assert (text.state, text.error_code) == ("cancelled", "expired")
    assert text.sent_at is None


def test_moving_a_session_moves_its_reminder(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    first = sessions(held)[0]
    book(held, first, date(2026, 3, 31), time(10, 0))
    book(held, first, date(2026, 4, 7), time(10, 0))

    _run(clock, utc(2026, 3, 30, 7))
    assert _texts(held) == []
    _run(clock, utc(2026, 4, 6, 7))
    (text,) = _texts(held)
    assert "7 april" in text.body
    states = sorted(task.state for task in tasks_of(kinds.SESSION_REMINDER_SMS))
    assert states == ["cancelled", "done"]


def test_a_cancelled_session_sends_no_reminder(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    first = sessions(held)[0]
    book(held, first, date(2026, 3, 31), time(10, 0))
    cancel_session(held.holder.user, held.case.id, first.id)
    db.session.commit()

    _run(clock, utc(2026, 3, 30, 7))
    assert _texts(held) == []


def test_no_reminder_unless_she_asked_for_reminders_by_text(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock, scopes=["contact_phone", "contact_sms"])
    book(held, sessions(held)[0], date(2026, 3, 31), time(10, 0))

    assert tasks_of(kinds.SESSION_REMINDER_SMS) == []
    _run(clock, utc(2026, 3, 30, 7))
    assert _texts(held) == []


def test_a_reminder_is_not_sent_after_she_replied_stop(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    book(held, sessions(held)[0], date(2026, 3, 31), time(10, 0))
    record_carrier_opt_out(phone_index("070-765 43 21"), clock.now())
    db.session.commit()

    _run(clock, utc(2026, 3, 30, 7))
    assert _texts(held) == []
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert (task.state, task.outcome) == ("done", "refused")


def test_a_protected_partner_gets_no_automatic_reminder(app, factory, clock):
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock, protected=True)
    book(held, sessions(held)[0], date(2026, 3, 31), time(10, 0))

    _run(clock, utc(2026, 3, 30, 7))
    assert _texts(held) == []
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert task.outcome == "refused"
