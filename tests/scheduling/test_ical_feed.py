"""The private iCalendar address: made on the feed page and shown once, read without logging
in, parsed by the ``icalendar`` library; its events are the holder's booked sessions at their
UTC instants and carry nothing but a fixed word, the case reference and ids. A revoked or
replaced address answers like any missing page."""

from __future__ import annotations

import hashlib
import re
from datetime import date, time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.service import disable_user
from partnercontact.db import db
from partnercontact.partner_side.scheduling.models import CalendarFeed
from partnercontact.partner_side.scheduling.sessions import cancel_session
from tests.factories import Factory
from tests.helpers import masked, submit, text_of
from tests.scheduling.test_calendar_pages import Held, book, held_case, logged_in, sessions_of, utc

# Invented people, spelled out so the test can look for every piece of them.
PARTNER_NAME = "Ingrid Kalenderström"
PARTNER_PHONE = "070-314 15 92"
PARTNER_ADDRESS = "Hemliga gränd 7, 123 45 Lindvik"
CLIENT_NAME = "Kalle Testsson"  # tests.cases_built.client_of
CLIENT_PHONE = "0701234567"
NEVER = [
    "Ingrid",
    "Kalenderström",
    "Kalenderstr",
    "314 15 92",
    "0703141592",
    "703141592",
    "Hemliga",
    "Lindvik",
    "Kalle",
    "Testsson",
    CLIENT_PHONE,
    CLIENT_PHONE[1:],
]
_FEED_URL = re.compile(r'<code class="uri" id="feed-url">([^<]+)</code>')


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return held_case(
        factory, clock, name=PARTNER_NAME, phone=PARTNER_PHONE, address=PARTNER_ADDRESS
    )


def make_feed(client: FlaskClient) -> str:
    """Make an address on the feed page; its path as the page shows it, once."""
    response = submit(client, "/calendar/feed", {}, "/calendar/feed/new")
    assert response.status_code == 200
    match = _FEED_URL.search(text_of(response))
    assert match, "the new address is not shown"
    url = match.group(1)
    # Built from server.public_url (development's default), not the request's host.
    public_url = client.application.extensions["partnercontact"].config.server.public_url
    assert public_url == "http://127.0.0.1:5000"
    assert url.startswith(f"{public_url}/calendar/feed/") and url.endswith(".ics")
    return url.removeprefix(public_url)


def read(app: Flask, path: str):  # type: ignore[no-untyped-def]
    """The feed as a calendar program reads it: no session, no cookie."""
    return app.test_client().get(path)


def events(body: bytes) -> dict[str, object]:
    calendar = Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_feed_holds_the_booked_sessions_at_their_utc_instants_and_nothing_personal(
    app: Flask, held: Held, clock
) -> None:
    first, second, third = sessions_of(held)
    winter = book(held, first, date(2026, 2, 3), time(13, 30), minutes=45, channel="phone")
    summer = book(held, second, date(2026, 3, 30), time(10, 0), channel="video")
    # The third stays to book: it has no time, so it is not in the feed.
    client = logged_in(app, held.holder, clock)
    path = make_feed(client)

    response = read(app, path)
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    found = events(response.data)
    assert set(found) == {f"{winter.id}@partnercontact", f"{summer.id}@partnercontact"}
    event = found[f"{winter.id}@partnercontact"]
    assert event.decoded("DTSTART") == utc(2026, 2, 3, 12, 30)
    assert event.decoded("DTEND") == utc(2026, 2, 3, 13, 15)
    event = found[f"{summer.id}@partnercontact"]
    assert event.decoded("DTSTART") == utc(2026, 3, 30, 8, 0)
    assert event.decoded("DTEND") == utc(2026, 3, 30, 9, 0)
    for event in found.values():
        assert str(event["SUMMARY"]) == "Kontakttillfälle"
        assert str(event["CLASS"]) == "PRIVATE"
        description = str(event["DESCRIPTION"])
        assert held.reference in description and str(held.case.id) in description
        for absent in ("LOCATION", "ATTENDEE", "ORGANIZER", "URL", "CONTACT", "GEO"):
            assert absent not in event
    # Written in UTC, as the Z says.
    text = response.data.decode()
    assert "DTSTART:20260203T123000Z" in text
    assert "DTSTART:20260330T080000Z" in text
    assert str(third.id) not in text
    for never in NEVER:
        assert never not in text, never
    for word in ("Telefon", "Phone", "phone", "Video", "video"):
        assert word not in text  # not even how they meet


def test_the_secret_is_shown_once_and_only_its_hash_is_kept(app: Flask, held: Held, clock) -> None:
    client = logged_in(app, held.holder, clock)
    path = make_feed(client)
    secret = path.removeprefix("/calendar/feed/").removesuffix(".ics")
    assert len(secret) == 43
    feed = db.session.scalar(select(CalendarFeed))
    assert feed.user_id == held.holder.user.id
    assert feed.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(vars(feed))
    page = text_of(client.get("/calendar/feed"))
    assert secret not in page
    assert 'id="feed-url"' not in page
    assert 'id="feed-state"' in page
    actions = [
        event.action for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
    ]
    assert AuditAction.CALENDAR_FEED_CREATED in actions
    for event in db.session.scalars(select(AuditEvent)):
        assert secret not in repr(vars(event))


def test_reading_the_feed_is_audited_with_the_owner_and_nothing_else(
    app: Flask, held: Held, clock
) -> None:
    book(held, sessions_of(held)[0], date(2026, 1, 20), time(10, 0))
    path = make_feed(logged_in(app, held.holder, clock))
    assert read(app, path).status_code == 200
    db.session.expire_all()
    feed = db.session.scalar(select(CalendarFeed))
    reads = list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == AuditAction.CALENDAR_FEED_READ)
        )
    )
    assert len(reads) == 1
    assert reads[0].actor_id == held.holder.user.id
    assert (reads[0].resource_type, reads[0].resource_id) == ("calendar_feed", str(feed.id))


def not_found_page(app: Flask, path: str) -> str:
    """The 404 page for ``path``, with the path itself (the language switch keeps it to come
    back to) and ids masked, to compare with another 404."""
    response = read(app, path)
    assert response.status_code == 404
    return masked(text_of(response).replace(path, "PATH"))


def test_a_replaced_and_a_revoked_address_answer_like_any_missing_page(
    app: Flask, held: Held, clock
) -> None:
    book(held, sessions_of(held)[0], date(2026, 1, 20), time(10, 0))
    client = logged_in(app, held.holder, clock)
    first = make_feed(client)
    assert read(app, first).status_code == 200
    second = make_feed(client)
    assert second != first
    missing = not_found_page(app, "/calendar/feed/" + "A" * 43 + ".ics")
    assert missing == not_found_page(app, "/no/such/page")

    assert not_found_page(app, first) == missing
    assert read(app, second).status_code == 200

    confirm = client.get("/calendar/feed/revoke")
    assert confirm.status_code == 200
    response = submit(client, "/calendar/feed/revoke", {})
    assert response.status_code == 302
    assert not_found_page(app, second) == missing
    db.session.expire_all()
    assert None not in db.session.scalars(select(CalendarFeed.revoked_at)).all()
    actions = list(db.session.scalars(select(AuditEvent.action)))
    assert actions.count(AuditAction.CALENDAR_FEED_REVOKED) == 2  # replaced, then revoked
    page = text_of(client.get("/calendar/feed"))
    assert 'href="/calendar/feed/revoke"' not in page  # nothing left to revoke


def test_revoking_without_the_form_token_changes_nothing(app: Flask, held: Held, clock) -> None:
    client = logged_in(app, held.holder, clock)
    path = make_feed(client)
    assert client.post("/calendar/feed/revoke").status_code == 400
    assert read(app, path).status_code == 200


def test_a_disabled_accounts_address_answers_nothing(
    app: Flask, factory: Factory, held: Held, clock
) -> None:
    path = make_feed(logged_in(app, held.holder, clock))
    disable_user(None, held.holder.user)
    db.session.commit()
    assert read(app, path).status_code == 404


@pytest.mark.parametrize("secret", ["x", "A" * 42, "A" * 44, "A" * 42 + "!", "../feed"])
def test_a_malformed_secret_is_a_missing_page(app: Flask, secret: str) -> None:
    assert read(app, f"/calendar/feed/{secret}.ics").status_code == 404


def test_the_feed_never_holds_a_session_of_a_case_the_owner_does_not_hold(
    app: Flask, factory: Factory, held: Held, clock
) -> None:
    mine = book(held, sessions_of(held)[0], date(2026, 1, 20), time(10, 0))
    colleague = held_case(factory, clock, name="Kollegans Partner", phone="070-222 33 44")
    theirs = book(colleague, sessions_of(colleague)[0], date(2026, 1, 20), time(10, 0))
    path = make_feed(logged_in(app, held.holder, clock))
    body = read(app, path).data
    assert set(events(body)) == {f"{mine.id}@partnercontact"}
    text = body.decode()
    assert str(theirs.id) not in text
    assert str(colleague.case.id) not in text
    assert colleague.reference not in text
    # Her own treater's feed has hers and not the other.
    other = read(app, make_feed(logged_in(app, colleague.holder, clock))).data
    assert set(events(other)) == {f"{theirs.id}@partnercontact"}


def test_the_feed_reaches_thirty_days_back_and_a_year_ahead_and_drops_cancelled_sessions(
    app: Flask, held: Held, clock
) -> None:
    first, second, third = sessions_of(held)
    early = book(held, first, date(2026, 1, 20), time(10, 0))
    far = book(held, second, date(2027, 1, 20), time(10, 0))  # beyond a year from 15 January
    cancelled = book(held, third, date(2026, 2, 20), time(10, 0))
    cancel_session(held.holder.user, held.case.id, cancelled.id)
    db.session.commit()
    path = make_feed(logged_in(app, held.holder, clock))
    assert set(events(read(app, path).data)) == {f"{early.id}@partnercontact"}
    # Forty days on, the first session is more than thirty days past, and the far one is
    # within a year.
    clock.advance(days=40)
    assert set(events(read(app, path).data)) == {f"{far.id}@partnercontact"}
    assert far.starts_at - clock.now() < timedelta(days=365)


@pytest.mark.parametrize("role", ["client_treater", "manager", "admin"])
def test_only_partner_treaters_make_an_address(
    app: Flask, factory: Factory, clock, role: str
) -> None:
    client = logged_in(app, getattr(factory, role)(), clock)
    assert client.get("/calendar/feed").status_code == 403
    assert client.post("/calendar/feed/new").status_code == 403
    assert db.session.scalar(select(CalendarFeed)) is None
