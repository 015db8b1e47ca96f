"""Contact sessions in the browser: the plan's sessions appear when she accepts contact, are
booked and moved on the clinic's clocks, cancelled only after a confirmation and recorded once
their time has come. Bad input comes back on its field with what was typed kept, writes
nothing and is never a 500; only the partner-contact treater holding the case reaches any of it.

The clock starts on Thursday 2026-01-15 at 09:00 UTC, 10:00 in Stockholm (UTC+1 in winter).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, gettext
from markupsafe import escape
from sqlalchemy import func, select

from partnercontact.db import db
from partnercontact.partner_side.contact import record_answer
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.scheduling.sessions import book_session
from partnercontact.partner_side.service import pick_up
from partnercontact.tasks.models import ScheduledTask
from tests.cases_built import first_steps_taken
from tests.factories import Account, Factory
from tests.helpers import case_view, csrf_token, log_in, submit, text_of
from tests.messaging.sending import Held, held_for_sms, safe_hours
from tests.partners.conftest import handed_over_case

ACCEPTED_ON = date(2026, 1, 15)
# She consents to calls and texts, and asks for reminders by text.
SCOPES = ["contact_phone", "contact_sms", "sms_reminders"]
# Tuesday 2026-01-20, a weekday inside the safe hours tests.messaging.sending sets (09-17).
DAY = "2026-01-20"
BOOKING = {"day": DAY, "time": "14:30", "minutes": "60", "channel": "meeting"}


def sv(message: str, **values: object) -> str:
    """``message`` as the Swedish page shows it, escaped as in the HTML (the English text until
    the catalogue has it)."""
    with force_locale("sv"):
        return str(escape(gettext(message, **values)))


def accept(held: Held, clock) -> None:
    """The first safety steps (found suitable, her plan, reached), then she accepts."""
    first_steps_taken(held.holder.user, held.case.id, clock)
    record_answer(
        held.holder.user, held.case.id, answer="accepted", answered_on=ACCEPTED_ON, scopes=SCOPES
    )
    db.session.commit()


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return held_for_sms(factory, clock)


@pytest.fixture
def accepted(held: Held, clock) -> Held:
    accept(held, clock)
    return held


def browser_for(app: Flask, account: Account, clock) -> FlaskClient:
    client = app.test_client()
    log_in(client, account, clock)
    return client


@pytest.fixture
def browser(app: Flask, held: Held, clock) -> FlaskClient:
    return browser_for(app, held.holder, clock)


def case_page(held: Held) -> str:
    """The case page's view with the sessions."""
    return case_view(held.case.id, "sessions")


def page_of(held: Held, session: ContactSession | None = None, action: str = "new") -> str:
    if session is None:
        return f"/partner/cases/{held.case.id}/sessions/new"
    return f"/partner/cases/{held.case.id}/sessions/{session.id}/{action}"


def sessions_of(held: Held) -> list[ContactSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ContactSession)
            .where(ContactSession.partner_case_id == held.case.id)
            .order_by(ContactSession.due_on, ContactSession.recorded_at)
        )
    )


def snapshot(held: Held) -> list[tuple[object, ...]]:
    """Everything a session page could change: the sessions and their tasks."""
    rows = [
        (s.id, s.state, s.starts_at, s.minutes, s.channel, s.note, s.due_on)
        for s in sessions_of(held)
    ]
    tasks = db.session.execute(
        select(ScheduledTask.kind, ScheduledTask.state, ScheduledTask.due_at)
        .where(ScheduledTask.partner_case_id == held.case.id)
        .order_by(ScheduledTask.kind, ScheduledTask.due_at)
    ).all()
    return [*rows, *map(tuple, tasks)]


def sms_reminders(session: ContactSession, state: str = "pending") -> list[ScheduledTask]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(ScheduledTask)
            .where(
                ScheduledTask.subject_id == session.id,
                ScheduledTask.kind == kinds.SESSION_REMINDER_SMS,
                ScheduledTask.state == state,
            )
            .order_by(ScheduledTask.due_at)
        )
    )


def section(page: str) -> str:
    """The case page's sessions section."""
    start = page.index('id="sessions"')
    return page[start : page.index("</section>", start)]


def book(browser: FlaskClient, held: Held, session: ContactSession, **changes: str):
    return submit(browser, page_of(held, session, "book"), {**BOOKING, **changes})


# --- the list -----------------------------------------------------------------------------------


def test_the_plans_sessions_appear_when_she_accepts(browser, held, clock) -> None:
    before = section(text_of(browser.get(case_page(held))))
    assert 'id="session-' not in before
    assert sv("No contact sessions yet.") in before

    accept(held, clock)
    page = section(text_of(browser.get(case_page(held))))
    planned = sessions_of(held)
    # The clinic's default plan: three sessions, one every four weeks from the day she accepted.
    assert [s.due_on for s in planned] == [ACCEPTED_ON + timedelta(weeks=4 * n) for n in range(3)]
    for session in planned:
        assert f'id="session-{session.id}"' in page
        assert sv("To book near %(date)s", date=session.due_on.isoformat()) in page
        assert f"/sessions/{session.id}/book" in page and f"/sessions/{session.id}/cancel" in page
        # Nothing booked yet, so nothing to record and no reminder to her.
        assert f"/sessions/{session.id}/record" not in page
    assert page.count(sv("Contact session") + "</td>") == 3
    assert page.count(sv("To book") + "\n") == 3
    assert page.count(sv("None pending")) == 3
    assert sv("She asked for reminders by text: booking a session schedules one.") in page


# --- booking and moving -------------------------------------------------------------------------


def test_booking_shows_the_clinics_time_and_moving_changes_it(browser, accepted) -> None:
    held = accepted
    first = sessions_of(held)[0]
    form = text_of(browser.get(page_of(held, first, "book")))
    assert 'value="2026-01-15"' in form and 'value="60"' in form  # its target day, an hour

    response = book(browser, held, first)
    assert response.status_code == 302, text_of(response)
    assert response.headers["Location"].endswith(f"{case_page(held)}#sessions")
    booked = sessions_of(held)[0]
    # 14:30 in Stockholm in January is 13:30 UTC.
    assert booked.state == "booked"
    assert booked.starts_at == datetime(2026, 1, 20, 13, 30, tzinfo=UTC)
    assert (booked.minutes, booked.channel) == (60, "meeting")
    page = section(text_of(browser.get(case_page(held))))
    assert "2026-01-20 14:30" in page and "13:30" not in page
    assert sv("Meeting at the clinic") in page and sv("Booked") in page
    # Her reminder by text: one day before, at the clinic's 09:00.
    assert [t.due_at for t in sms_reminders(booked)] == [datetime(2026, 1, 19, 8, 0, tzinfo=UTC)]
    assert sv("Pending, goes out %(when)s", when="2026-01-19 09:00") in page
    assert f"/sessions/{first.id}/record" in page

    # Moving: the form opens on the booked time, and a new time replaces the old one.
    form = text_of(browser.get(page_of(held, first, "book")))
    assert 'value="2026-01-20"' in form and 'value="14:30"' in form
    response = book(browser, held, first, day="2026-01-22", time="10:00", channel="video")
    assert response.status_code == 302, text_of(response)
    moved = sessions_of(held)[0]
    assert moved.starts_at == datetime(2026, 1, 22, 9, 0, tzinfo=UTC)
    page = section(text_of(browser.get(case_page(held))))
    assert "2026-01-22 10:00" in page and "2026-01-20 14:30" not in page
    assert sv("Video") in page
    assert [t.due_at for t in sms_reminders(moved)] == [datetime(2026, 1, 21, 8, 0, tzinfo=UTC)]
    assert [t.due_at for t in sms_reminders(moved, "cancelled")] == [
        datetime(2026, 1, 19, 8, 0, tzinfo=UTC)
    ]


def test_a_summer_time_is_shown_as_the_clinics_clocks_show_it(browser, accepted) -> None:
    last = sessions_of(accepted)[-1]
    response = book(browser, accepted, last, day="2026-06-10", time="14:30")
    assert response.status_code == 302, text_of(response)
    # Stockholm is UTC+2 in June.
    assert sessions_of(accepted)[-1].starts_at == datetime(2026, 6, 10, 12, 30, tzinfo=UTC)
    assert "2026-06-10 14:30" in section(text_of(browser.get(case_page(accepted))))


def test_a_call_outside_her_safe_hours_is_refused_on_the_time_field(browser, accepted) -> None:
    held = accepted
    safe_hours(held)  # weekdays, 09:00 to 17:00
    first = sessions_of(held)[0]
    before = snapshot(held)
    for changes in ({"time": "18:00"}, {"day": "2026-01-24", "time": "10:00"}):  # a Saturday
        response = book(browser, held, first, channel="phone", **changes)
        assert response.status_code in (400, 409), changes
        page = text_of(response)
        assert 'id="time-error"' in page, changes
        assert f'value="{changes["time"]}"' in page  # what was typed is kept
        assert snapshot(held) == before

    # A meeting at the clinic is not a call: her safe hours do not apply to it.
    assert book(browser, held, first, time="18:00").status_code == 302
    # A call inside her hours is booked.
    second = sessions_of(held)[1]
    assert book(browser, held, second, time="10:00", channel="phone").status_code == 302
    assert sessions_of(held)[1].channel == "phone"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"time": ""}, "time", ("Enter the time.", {})),
        ({"day": ""}, "day", ("Enter the day.", {})),
        ({"day": "2026-01-14"}, "day", ("That time has passed.", {})),
        ({"day": "2026-01-15", "time": "09:30"}, "time", ("That time has passed.", {})),
        (
            {"minutes": "5"},
            "minutes",
            ("Enter a length between %(low)d and %(high)d minutes.", {"low": 15, "high": 240}),
        ),
        (
            {"minutes": ""},
            "minutes",
            ("Enter a length between %(low)d and %(high)d minutes.", {"low": 15, "high": 240}),
        ),
        ({"channel": "carrier_pigeon"}, "channel", ("Choose how you will meet.", {})),
        ({"channel": ""}, "channel", ("Choose how you will meet.", {})),
        # Not parsed at all: the form's own message, on the field.
        ({"minutes": "an hour"}, "minutes", None),
        ({"time": "25:61"}, "time", None),
        ({"day": "20/1"}, "day", None),
    ],
)
def test_bad_booking_input_names_its_field_and_writes_nothing(
    browser, accepted, changes, field, message
) -> None:
    first = sessions_of(accepted)[0]
    before = snapshot(accepted)
    response = book(browser, accepted, first, **changes)
    assert response.status_code == 400
    page = text_of(response)
    assert f'id="{field}-error"' in page
    if message is not None:
        text, values = message
        error = page[page.index(f'id="{field}-error"') :]
        assert error.startswith(f'id="{field}-error">{sv(text, **values)}</p>')
    typed = {**BOOKING, **changes}
    for name in ("day", "time", "minutes"):
        if typed[name]:
            assert f'value="{typed[name]}"' in page, name
    assert snapshot(accepted) == before


def test_sessions_are_booked_only_while_she_has_accepted(browser, held, factory, clock) -> None:
    accept(held, clock)
    first = sessions_of(held)[0]
    record_answer(
        held.holder.user, held.case.id, answer="declined", answered_on=ACCEPTED_ON, scopes=[]
    )
    db.session.commit()
    before = snapshot(held)
    response = book(browser, held, first)
    assert response.status_code == 409
    page = text_of(response)
    message = sv("Sessions are booked only while she has accepted contact and it is open.")
    assert message in page and 'value="14:30"' in page
    response = submit(browser, page_of(held), {"due_on": "2026-02-01"})
    assert response.status_code == 409 and message in text_of(response)
    assert snapshot(held) == before


# --- adding -------------------------------------------------------------------------------------


def test_an_extra_session_is_added_near_a_day(browser, accepted) -> None:
    held = accepted
    form = page_of(held)
    assert 'value="2026-01-15"' in text_of(browser.get(form))  # the clinic's today
    before = snapshot(held)
    for due_on, text in (("", "Enter the day it should be near."), ("2026-01-14", None)):
        response = submit(browser, form, {"due_on": due_on})
        assert response.status_code == 400 and 'id="due_on-error"' in text_of(response)
        if text:
            assert sv(text) in text_of(response)
    assert snapshot(held) == before

    response = submit(browser, form, {"due_on": "2026-03-01"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#sessions")
    extra = [s for s in sessions_of(held) if s.purpose == "extra"]
    assert [s.due_on for s in extra] == [date(2026, 3, 1)]
    page = section(text_of(browser.get(case_page(held))))
    assert sv("Extra session") in page and f'id="session-{extra[0].id}"' in page


# --- cancelling ---------------------------------------------------------------------------------


def test_cancelling_needs_the_confirmation(browser, accepted) -> None:
    held = accepted
    first = sessions_of(held)[0]
    assert book(browser, held, first).status_code == 302
    before = snapshot(held)

    page = browser.get(page_of(held, first, "cancel"))
    assert page.status_code == 200 and 'class="danger"' in text_of(page)
    assert "2026-01-20 14:30" in text_of(page)  # which session it is
    assert snapshot(held) == before  # opening the page changes nothing
    unconfirmed = browser.post(page_of(held, first, "cancel"))  # no token: not from the page
    assert unconfirmed.status_code == 400
    assert snapshot(held) == before

    response = submit(browser, page_of(held, first, "cancel"), {})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#sessions")
    cancelled = sessions_of(held)[0]
    assert cancelled.state == "cancelled"
    assert sms_reminders(cancelled) == [] and len(sms_reminders(cancelled, "cancelled")) == 1
    listed = section(text_of(browser.get(case_page(held))))
    assert f"/sessions/{first.id}/book" not in listed
    assert f"/sessions/{first.id}/cancel" not in listed

    # Once recorded it stays so: a second cancellation is refused on the page, not a 500.
    again = submit(browser, page_of(held, first, "cancel"), {})
    assert again.status_code == 409
    assert sv("This session is already recorded.") in text_of(again)


# --- recording ----------------------------------------------------------------------------------


def test_a_session_is_recorded_held_only_once_its_time_has_come(
    app, browser, accepted, clock
) -> None:
    held = accepted
    first = sessions_of(held)[0]
    # Today at 11:00 in Stockholm (10:00 UTC), an hour from now.
    assert book(browser, held, first, day="2026-01-15", time="11:00").status_code == 302
    before = snapshot(held)
    form = page_of(held, first, "record")
    response = submit(browser, form, {"outcome": "held", "note": "Vi pratade om sommaren"})
    assert response.status_code == 400
    page = text_of(response)
    assert 'id="outcome-error"' in page
    assert (
        sv("A session is recorded as held or missed only once its time has come.")
        in page[page.index('id="outcome-error"') :]
    )
    assert "Vi pratade om sommaren" in page  # the note is kept
    for bad in ({"outcome": ""}, {"outcome": "went_well"}):
        response = submit(browser, form, bad)
        assert response.status_code == 400
        assert sv("Choose what came of the session.") in text_of(response)
    assert snapshot(held) == before

    clock.advance(hours=2)
    browser = browser_for(app, held.holder, clock)  # the old login has gone idle
    response = submit(browser, form, {"outcome": "held", "note": "Vi pratade om sommaren"})
    assert response.status_code == 302, text_of(response)
    recorded = sessions_of(held)[0]
    assert (recorded.state, recorded.note) == ("held", "Vi pratade om sommaren")
    page = section(text_of(browser.get(case_page(held))))
    assert sv("Held") in page and "Vi pratade om sommaren" in page
    assert f"/sessions/{first.id}/record" not in page


def test_she_did_not_come_is_recorded_without_a_note(app, browser, accepted, clock) -> None:
    held = accepted
    first = sessions_of(held)[0]
    assert book(browser, held, first, day="2026-01-15", time="11:00").status_code == 302
    clock.advance(hours=2)
    browser = browser_for(app, held.holder, clock)
    response = submit(browser, page_of(held, first, "record"), {"outcome": "no_show"})
    assert response.status_code == 302
    recorded = sessions_of(held)[0]
    assert (recorded.state, recorded.note) == ("no_show", None)
    assert sv("She did not come") in section(text_of(browser.get(case_page(held))))


def test_a_too_long_note_is_refused_on_its_field(browser, accepted) -> None:
    first = sessions_of(accepted)[0]
    before = snapshot(accepted)
    response = submit(
        browser, page_of(accepted, first, "record"), {"outcome": "cancelled", "note": "x" * 2001}
    )
    assert response.status_code == 400 and 'id="note-error"' in text_of(response)
    assert snapshot(accepted) == before


# --- the wall -------------------------------------------------------------------------------------


def _every_page(held: Held, session: ContactSession) -> list[str]:
    return [page_of(held)] + [page_of(held, session, a) for a in ("book", "cancel", "record")]


def test_another_cases_session_is_not_found(browser, accepted, factory, clock) -> None:
    # A second case held by the same treater: its session is not the first case's.
    client_treater = factory.client_treater()
    other_case = handed_over_case(
        factory, clock, client_treater=client_treater, phone="070-111 22 33"
    )
    pick_up(accepted.holder.user, other_case.id)
    db.session.commit()
    other = Held(client_treater, accepted.holder, other_case)
    accept(other, clock)
    theirs = sessions_of(other)[0]
    before = snapshot(accepted), snapshot(other)
    for action in ("book", "cancel", "record"):
        url = f"/partner/cases/{accepted.case.id}/sessions/{theirs.id}/{action}"
        assert browser.get(url).status_code == 404, action
        token = csrf_token(browser, page_of(accepted))
        data = {"csrf_token": token, **BOOKING, "outcome": "cancelled"}
        assert browser.post(url, data=data).status_code == 404, action
    assert (snapshot(accepted), snapshot(other)) == before


def test_a_treater_who_does_not_hold_the_case_gets_404(app, accepted, factory, clock) -> None:
    first = sessions_of(accepted)[0]
    book_session(
        accepted.holder.user,
        accepted.case.id,
        first.id,
        day=date(2026, 1, 20),
        at=time(14, 30),
        minutes=60,
        channel="meeting",
    )
    db.session.commit()
    before = snapshot(accepted)
    colleague = browser_for(app, factory.partner_treater(), clock)
    token = csrf_token(colleague, "/partner/")
    assert colleague.get(case_page(accepted)).status_code == 404
    for url in _every_page(accepted, first):
        assert colleague.get(url).status_code == 404, url
        data = {"csrf_token": token, **BOOKING, "due_on": "2026-02-01", "outcome": "cancelled"}
        assert colleague.post(url, data=data).status_code == 404, url
    assert "2026-01-20 14:30" not in text_of(colleague.get("/partner/"))
    assert snapshot(accepted) == before
    # Nor does anyone on the other side of the wall see the list.
    client_treater = browser_for(app, accepted.client_treater, clock)
    for url in [case_page(accepted), *_every_page(accepted, first)]:
        assert client_treater.get(url).status_code in (403, 404), url


def test_the_section_counts_sessions_of_this_case_only(browser, accepted) -> None:
    count = db.session.scalar(select(func.count()).select_from(ContactSession))
    page = section(text_of(browser.get(case_page(accepted))))
    assert page.count('id="session-') == count == 3
