"""The time the case page gives for a session's text reminder is the time the worker sends it:
inside her safe days and hours, never the clinic's reminder time when that falls outside them,
and "no safe time" when her plan leaves none before the session.

The clock starts on Friday 2026-03-20 at 09:00 UTC. Summer time starts on Sunday 29 March, so
on Monday 30 March the clinic's 09:00 is 07:00 UTC and her 13:00 is 11:00 UTC.
"""

from __future__ import annotations

from datetime import date, time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.db import db
from partnercontact.partner_side.contact import decide_suitability
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.sessions import pending_reminder_times
from partnercontact.tasks.queue import dispatch_due
from tests.helpers import log_in, text_of
from tests.messaging.sending import Held, safe_hours
from tests.scheduling.building import accepted, book, sessions, tasks_of, utc
from tests.scheduling.test_session_pages import case_page, section, sv

SESSION_DAY = date(2026, 3, 31)  # a Tuesday
REMINDER_DAY = "2026-03-30"  # the Monday before: the clinic reminds one day ahead
NO_SAFE_TIME = "Not sent: her safe-contact plan leaves no safe time before the session"


@pytest.fixture
def held(factory, clock) -> Held:
    clock.set(utc(2026, 3, 20, 9))
    clinic = factory.default_clinic
    clinic.reminder_time = time(9, 0)
    clinic.reminder_days_before = 1
    db.session.commit()
    held = accepted(factory, clock)
    decide_suitability(held.holder.user, held.case.id, decision="contact")
    db.session.commit()
    return held


@pytest.fixture
def browser(app: Flask, held: Held, clock) -> FlaskClient:
    client = app.test_client()
    log_in(client, held.holder, clock)
    return client


def _texts(held: Held) -> list[SmsMessage]:
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


def _shown(browser: FlaskClient, held: Held) -> str:
    return section(text_of(browser.get(case_page(held))))


def test_the_page_shows_her_first_safe_moment_and_the_worker_sends_then(
    browser, held, clock
) -> None:
    safe_hours(held, days="12345", start=13, end=15)
    booked = book(held, sessions(held)[0], SESSION_DAY, time(16, 0))

    # Scheduled at her 13:00, not at the clinic's 09:00 outside her safe hours.
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert task.due_at == utc(2026, 3, 30, 11)
    assert pending_reminder_times(held.case) == {booked.id: utc(2026, 3, 30, 11)}
    shown = _shown(browser, held)
    assert sv("Pending, goes out %(when)s", when=f"{REMINDER_DAY} 13:00") in shown
    assert f"{REMINDER_DAY} 09:00" not in shown

    _run(clock, utc(2026, 3, 30, 7))  # the clinic's 09:00
    _run(clock, utc(2026, 3, 30, 10, 59))
    assert _texts(held) == []

    _run(clock, utc(2026, 3, 30, 11))
    (text,) = _texts(held)
    assert text.state == "delivered"  # the outbox transport delivers at once
    assert text.sent_at == utc(2026, 3, 30, 11)


def test_a_plan_changed_since_the_booking_is_what_the_page_reads(browser, held, clock) -> None:
    safe_hours(held, days="12345", start=9, end=17)
    booked = book(held, sessions(held)[0], SESSION_DAY, time(16, 0))
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert task.due_at == utc(2026, 3, 30, 7)  # the clinic's 09:00, inside her hours
    assert sv("Pending, goes out %(when)s", when=f"{REMINDER_DAY} 09:00") in _shown(browser, held)

    # Her hours move to the afternoon: the task still says 09:00, the worker would wait.
    safe_hours(held, days="12345", start=13, end=15)
    assert pending_reminder_times(held.case) == {booked.id: utc(2026, 3, 30, 11)}
    assert sv("Pending, goes out %(when)s", when=f"{REMINDER_DAY} 13:00") in _shown(browser, held)

    # Saturdays only: nothing safe before Tuesday's session.
    safe_hours(held, days="6", start=13, end=15)
    assert pending_reminder_times(held.case) == {booked.id: None}
    shown = _shown(browser, held)
    assert sv(NO_SAFE_TIME) in shown
    assert sv("Pending, goes out %(when)s", when=f"{REMINDER_DAY} 09:00") not in shown

    # And the worker indeed sends nothing.
    for hour in (7, 11, 15):
        _run(clock, utc(2026, 3, 30, hour))
    assert _texts(held) == []
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert (task.state, task.outcome) == ("done", "no_safe_time")
    assert pending_reminder_times(held.case) == {}


def test_no_reminder_is_scheduled_when_her_plan_leaves_no_safe_time_before_the_session(
    browser, held, clock
) -> None:
    safe_hours(held, days="6", start=13, end=15)  # Saturdays only
    book(held, sessions(held)[0], SESSION_DAY, time(16, 0))

    assert tasks_of(kinds.SESSION_REMINDER_SMS) == []
    assert sv("None pending") in _shown(browser, held)


def test_a_safe_moment_on_a_later_day_than_the_reminder_day_is_the_one_shown(
    browser, held, clock
) -> None:
    safe_hours(held, days="2", start=13, end=15)  # Tuesdays only
    booked = book(held, sessions(held)[0], SESSION_DAY, time(16, 0))

    # Not on Monday: on the Tuesday of the session, at her 13:00, before it begins.
    (task,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    assert task.due_at == utc(2026, 3, 31, 11)
    assert pending_reminder_times(held.case) == {booked.id: utc(2026, 3, 31, 11)}
    assert sv("Pending, goes out %(when)s", when="2026-03-31 13:00") in _shown(browser, held)
