"""The calendar in the browser: a week at a time on the clinic's clocks (across the change to
summer time too), the list of what is upcoming and overdue, and only ever the reader's own
cases. The sessions are planned and booked through the real services."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.db import db
from partnercontact.partner_side.contact import record_answer
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.sessions import book_session, cancel_session
from partnercontact.partner_side.service import pick_up, reference_of
from partnercontact.tasks.queue import dispatch_due
from tests.cases_built import first_steps_taken
from tests.factories import Account, Factory
from tests.helpers import log_in, text_of
from tests.partners.conftest import handed_over_case

# The fixed clock starts on Thursday 15 January 2026, 09:00 UTC (10:00 in Stockholm), in ISO
# week 2026-W03. Summer time starts on Sunday 29 March 2026 at 02:00 (week 2026-W13).


@dataclass
class Held:
    client_treater: Account
    holder: Account
    case: PartnerCase

    @property
    def reference(self) -> str:
        return reference_of(self.case)


def held_case(factory: Factory, clock, *, holder: Account | None = None, **details: object) -> Held:
    """A case handed over and picked up by ``holder`` (a new partner treater if not given),
    with the first safety steps taken (tests.cases_built.first_steps_taken), whose partner
    accepted contact today: the clinic's plan gives it three sessions to book, due today, in
    four weeks and in eight weeks."""
    client_treater = factory.client_treater()
    partner_case = handed_over_case(factory, clock, client_treater=client_treater, **details)  # type: ignore[arg-type]
    holder = holder or factory.partner_treater()
    pick_up(holder.user, partner_case.id)
    first_steps_taken(holder.user, partner_case.id, clock)
    record_answer(
        holder.user,
        partner_case.id,
        answer="accepted",
        answered_on=clock.now().date(),
        scopes=["contact_phone"],
    )
    db.session.commit()
    return Held(client_treater, holder, partner_case)


def sessions_of(held: Held) -> list[ContactSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ContactSession)
            .where(ContactSession.partner_case_id == held.case.id)
            .order_by(ContactSession.due_on, ContactSession.recorded_at)
        )
    )


def book(
    held: Held,
    session: ContactSession,
    day: date,
    at: time,
    *,
    minutes: int = 60,
    channel: str = "meeting",
) -> ContactSession:
    booked = book_session(
        held.holder.user,
        held.case.id,
        session.id,
        day=day,
        at=at,
        minutes=minutes,
        channel=channel,
    )
    db.session.commit()
    return booked


def logged_in(app: Flask, account: Account, clock) -> FlaskClient:
    client = app.test_client()
    log_in(client, account, clock)
    return client


def day_row(page: str, day: date) -> str:
    """The week's or the list's row of ``day``."""
    match = re.search(rf'<tr id="day-{day.isoformat()}"(.*?)</tr>', page, re.S)
    assert match, f"no row for {day}"
    return match.group(1)


def entry(page: str, session_or_reminder_id: object) -> str:
    match = re.search(rf'<li [^>]*id="entry-{session_or_reminder_id}">(.*?)</li>', page, re.S)
    assert match, f"no entry {session_or_reminder_id}"
    return match.group(1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return held_case(factory, clock)


def test_the_week_shows_sessions_at_the_clinics_time_across_the_change_to_summer_time(
    app: Flask, held: Held, clock
) -> None:
    first, second, third = sessions_of(held)
    # Friday in winter time, Sunday late after the change, Monday in summer time: all three at
    # the time the clinic's clocks show, each on its own day.
    friday = book(held, first, date(2026, 3, 27), time(10, 0))
    sunday = book(held, second, date(2026, 3, 29), time(23, 30), minutes=30)
    monday = book(held, third, date(2026, 3, 30), time(10, 0), minutes=45, channel="video")
    assert friday.starts_at == utc(2026, 3, 27, 9, 0)
    assert sunday.starts_at == utc(2026, 3, 29, 21, 30)
    assert monday.starts_at == utc(2026, 3, 30, 8, 0)
    client = logged_in(app, held.holder, clock)

    week13 = text_of(client.get("/calendar?week=2026-W13"))
    assert "10:00–11:00" in entry(day_row(week13, date(2026, 3, 27)), friday.id)
    # 21:30 UTC is still Sunday on the clinic's clocks (23:30), not Monday.
    assert "23:30–00:00" in entry(day_row(week13, date(2026, 3, 29)), sunday.id)
    assert f"entry-{monday.id}" not in week13
    assert held.reference in entry(week13, friday.id)
    assert f"/partner/cases/{held.case.id}" in entry(week13, friday.id)
    assert 'href="/calendar?week=2026-W12"' in week13
    assert 'href="/calendar?week=2026-W14"' in week13

    week14 = text_of(client.get("/calendar?week=2026-W14"))
    assert "10:00–10:45" in entry(day_row(week14, date(2026, 3, 30)), monday.id)
    assert f"entry-{friday.id}" not in week14
    assert f"entry-{sunday.id}" not in week14
    # Seven days, Monday to Sunday.
    assert re.findall(r'<tr id="day-([0-9-]+)"', week14) == [
        f"2026-03-{day:02d}" for day in range(30, 32)
    ] + [f"2026-04-{day:02d}" for day in range(1, 6)]


def test_the_week_after_the_change_back_to_winter_time(app: Flask, held: Held, clock) -> None:
    # Winter time returns on Sunday 25 October 2026 at 03:00.
    first, second, _third = sessions_of(held)
    before = book(held, first, date(2026, 10, 23), time(10, 0))
    after = book(held, second, date(2026, 10, 26), time(10, 0))
    assert before.starts_at == utc(2026, 10, 23, 8, 0)
    assert after.starts_at == utc(2026, 10, 26, 9, 0)
    client = logged_in(app, held.holder, clock)
    page = text_of(client.get("/calendar?week=2026-W43"))
    assert "10:00–11:00" in entry(day_row(page, date(2026, 10, 23)), before.id)
    page = text_of(client.get("/calendar?week=2026-W44"))
    assert "10:00–11:00" in entry(day_row(page, date(2026, 10, 26)), after.id)


def test_the_current_week_holds_the_session_to_book_and_links_to_its_neighbours(
    app: Flask, held: Held, clock
) -> None:
    first, second, _third = sessions_of(held)
    client = logged_in(app, held.holder, clock)
    page = text_of(client.get("/calendar"))
    same = text_of(client.get("/calendar?week=2026-W03"))
    assert same[same.index('id="week-heading"') :] == page[page.index('id="week-heading"') :]
    today = day_row(page, date(2026, 1, 15))
    assert 'aria-current="date"' in today
    assert f'class="calendar-entry calendar-to_book" id="entry-{first.id}"' in today
    assert f"entry-{second.id}" not in page  # due in four weeks
    assert 'href="/calendar?week=2026-W02"' in page
    assert 'href="/calendar?week=2026-W04"' in page
    # The session to book four weeks on is in that week.
    page = text_of(client.get("/calendar?week=2026-W07"))
    assert f'id="entry-{second.id}"' in day_row(page, date(2026, 2, 12))


def test_the_week_links_stop_half_a_year_back_and_a_year_ahead(
    app: Flask, held: Held, clock
) -> None:
    client = logged_in(app, held.holder, clock)
    page = text_of(client.get("/calendar?week=2025-W29"))  # 26 weeks before 2026-W03
    assert "week=2025-W28" not in page
    assert 'href="/calendar?week=2025-W30"' in page
    page = text_of(client.get("/calendar?week=2027-W03"))  # 52 weeks after
    assert "week=2027-W04" not in page
    assert 'href="/calendar?week=2027-W02"' in page


@pytest.mark.parametrize("week", ["2026-14", "week", "2026-W54", "2026-W1"])
def test_a_week_not_written_as_an_iso_week_is_refused(
    app: Flask, held: Held, clock, week: str
) -> None:
    client = logged_in(app, held.holder, clock)
    assert client.get(f"/calendar?week={week}").status_code == 400


def test_a_cancelled_session_leaves_the_calendar(app: Flask, held: Held, clock) -> None:
    first, _second, _third = sessions_of(held)
    booked = book(held, first, date(2026, 1, 22), time(13, 0))
    client = logged_in(app, held.holder, clock)
    assert f"entry-{booked.id}" in text_of(client.get("/calendar?week=2026-W04"))
    cancel_session(held.holder.user, held.case.id, booked.id)
    db.session.commit()
    assert f"entry-{booked.id}" not in text_of(client.get("/calendar?week=2026-W04"))


def test_the_list_shows_what_is_overdue_then_the_coming_weeks(
    app: Flask, held: Held, clock
) -> None:
    first, second, third = sessions_of(held)
    booked = book(held, second, date(2026, 2, 10), time(14, 15))
    later = book(held, third, date(2026, 3, 19), time(9, 0))
    # A week on, the session due on 15 January has still not been booked; the dispatcher
    # raised the reminder to book it meanwhile (a week before its target day).
    clock.set(utc(2026, 1, 22, 10, 0))
    dispatch_due()
    client = logged_in(app, held.holder, clock)
    page = text_of(client.get("/calendar/list"))
    overdue = page[page.index('id="overdue"') : page.index('id="upcoming"')]
    assert f'id="entry-{first.id}"' in overdue
    assert "calendar-reminder" in overdue
    upcoming = page[page.index('id="upcoming"') :]
    assert "14:15–15:15" in entry(day_row(upcoming, date(2026, 2, 10)), booked.id)
    # Eight weeks from Thursday 22 January reach Wednesday 18 March, not the day after.
    assert f"entry-{later.id}" not in page
    # Days with nothing on them are left out of the list.
    assert 'id="day-2026-02-11"' not in upcoming


def test_the_calendar_never_holds_a_colleagues_case(
    app: Flask, factory: Factory, held: Held, clock
) -> None:
    colleague = held_case(
        factory, clock, name="Kollegans Partner", phone="070-222 33 44", address=None
    )
    theirs = book(colleague, sessions_of(colleague)[0], date(2026, 1, 20), time(9, 0))
    mine = book(held, sessions_of(held)[0], date(2026, 1, 20), time(11, 0))
    client = logged_in(app, held.holder, clock)
    pages = [
        text_of(client.get("/calendar?week=2026-W04")),
        text_of(client.get("/calendar")),
        text_of(client.get("/calendar/list")),
    ]
    assert f"entry-{mine.id}" in pages[0]
    for page in pages:
        assert f"entry-{theirs.id}" not in page
        assert colleague.reference not in page
        assert str(colleague.case.id) not in page
        assert "Kollegans Partner" not in page
    # Her treater sees his own.
    other = logged_in(app, colleague.holder, clock)
    page = text_of(other.get("/calendar?week=2026-W04"))
    assert f"entry-{theirs.id}" in page
    assert f"entry-{mine.id}" not in page


def test_the_calendar_pages_name_no_one(app: Flask, factory: Factory, clock) -> None:
    held = held_case(factory, clock, name="Vendela Hemligsson", phone="070-987 65 43")
    book(held, sessions_of(held)[0], date(2026, 1, 21), time(10, 0))
    client = logged_in(app, held.holder, clock)
    for url in ("/calendar", "/calendar?week=2026-W04", "/calendar/list", "/calendar/feed"):
        page = text_of(client.get(url))
        for secret in ("Vendela", "Hemligsson", "987 65 43", "0709876543", "Kalle Testsson"):
            assert secret not in page, (url, secret)


@pytest.mark.parametrize("role", ["client_treater", "manager", "admin"])
def test_only_partner_treaters_have_a_calendar(
    app: Flask, factory: Factory, clock, role: str
) -> None:
    client = logged_in(app, getattr(factory, role)(), clock)
    for url in ("/calendar", "/calendar/list", "/calendar/feed"):
        assert client.get(url).status_code == 403
    assert 'href="/calendar"' not in text_of(client.get("/account/"))
