"""The calendar in the browser: the partner-contact treater books a session on a case, finds it
in the week view and the list at the clinic's time, makes a private calendar address, and a
calendar program (here: a plain HTTP request without a session) downloads the feed, which
holds the session at its UTC instant and not her name. Revoked, the address answers 404. The
audit log holds each step and verifies."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
import uuid
from datetime import UTC, datetime, time, timedelta
from time import sleep
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Served, screenshot, verify_audit_log
from tests.e2e.walks import (
    audit_actions,
    hand_over_a_case,
    log_in_as,
    open_case_part,
    take_the_safety_steps,
    words,
)

pytestmark = pytest.mark.e2e

CLINIC_ZONE = ZoneInfo("Europe/Stockholm")  # the demo clinic's


def _fetch(url: str) -> tuple[int, bytes, str]:
    """What a calendar program gets: no cookie, no session."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (our server)
            return response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get_content_type()


def _wait_for_line(served: Served, text: str) -> None:
    """The server writes a request's line after answering it: wait a moment for it."""
    for _ in range(50):
        if any(text in line for line in served.output):
            return
        sleep(0.1)
    raise AssertionError(f"no line with {text!r} in the server's output")


def test_a_booked_session_is_in_the_week_the_list_and_the_private_feed(
    page: Page, served: Served
) -> None:
    t = words("sv")
    partner = "Siri Påhittad kalender"
    hand_over_a_case(page, served, "sv", partner)

    log_in_as(page, served, "partner_treater", "sv")
    page.goto(served.url + "/partner/")
    page.locator("tr", has_text=partner).get_by_role("button", name=t("Pick up")).click()
    expect(page.get_by_text(t("You now hold the case."))).to_be_visible()
    case_id = uuid.UUID(re.search(r"/partner/cases/([0-9a-f-]{36})", page.url).group(1))
    reference = case_id.hex[:8]
    take_the_safety_steps(page, "sv")
    page.get_by_role("link", name=t("Record her answer")).click()
    page.get_by_label(t("Her answer"), exact=True).select_option(label=t("Accepted"))
    page.get_by_label(t("Contact by phone")).check()
    page.get_by_role("button", name=t("Save")).click()
    expect(page.get_by_text(t("Her answer was recorded."))).to_be_visible()

    # The plan's first session, booked for next Monday at 10:00 on the clinic's clocks.
    today = datetime.now(CLINIC_ZONE).date()
    monday = today + timedelta(days=7 - today.weekday())
    starts_at = datetime.combine(monday, time(10, 0), tzinfo=CLINIC_ZONE).astimezone(UTC)
    open_case_part(page, "sv", "Contact sessions")
    page.locator("#contact-sessions").get_by_role("link", name=t("Book…")).first.click()
    page.get_by_label(t("Day"), exact=True).fill(monday.isoformat())
    page.get_by_label(t("Time"), exact=True).fill("10:00")
    page.get_by_label(t("Length in minutes")).fill("60")
    page.get_by_label(t("How you will meet")).select_option(label=t("Meeting at the clinic"))
    page.get_by_role("button", name=t("Book the session")).click()
    expect(page.get_by_text(t("The session was booked."))).to_be_visible()

    # The week view: next week, Monday, 10:00–11:00, the case's reference and no name.
    page.get_by_role("link", name=t("Calendar"), exact=True).click()
    expect(page.locator("#calendar-week")).to_be_visible()
    page.get_by_role("link", name=t("Next week")).click()
    day = page.locator(f"#day-{monday.isoformat()}")
    expect(day).to_contain_text("10:00–11:00")
    expect(day).to_contain_text(reference)
    expect(page.locator("main")).not_to_contain_text(partner)
    screenshot(page, "calendar-1-week")

    page.get_by_role("link", name=t("List"), exact=True).click()
    listed = page.locator(f"#calendar-list #day-{monday.isoformat()}")
    expect(listed).to_contain_text("10:00–11:00")
    expect(listed).to_contain_text(reference)
    screenshot(page, "calendar-2-list")

    page.get_by_role("link", name=t("In your own calendar program…")).click()
    page.locator("form[action='/calendar/feed/new'] button[type=submit]").click()
    address = page.locator("#feed-url")
    expect(address).to_be_visible()
    url = address.inner_text().strip()
    assert url.startswith(served.url + "/calendar/feed/") and url.endswith(".ics")
    screenshot(page, "calendar-3-new-address")

    status, body, content_type = _fetch(url)
    assert status == 200
    # The server's request log has the fetch, with the address's secret masked.
    secret = url.removeprefix(served.url + "/calendar/feed/").removesuffix(".ics")
    _wait_for_line(served, "GET /calendar/feed/***.ics")
    assert [line for line in served.output if secret in line] == []
    assert content_type == "text/calendar"
    events = [
        event
        for event in Calendar.from_ical(body).walk("VEVENT")
        if str(case_id) in str(event["DESCRIPTION"])
    ]
    assert len(events) == 1
    assert events[0].decoded("DTSTART") == starts_at
    assert events[0].decoded("DTEND") == starts_at + timedelta(hours=1)
    assert str(events[0]["SUMMARY"]) == "Kontakttillfälle"
    text = body.decode()
    for never in ("Siri", "Påhittad", "444 55 66", "0704445566", "Påhittevägen", "Klient"):
        assert never not in text, never

    # Shown once: the page does not show it again.
    page.goto(served.url + "/calendar/feed")
    expect(page.locator("#feed-url")).to_have_count(0)
    page.get_by_role("link", name=t("Revoke the address…")).click()
    screenshot(page, "calendar-4-revoke")
    page.get_by_role("button", name=t("Yes, revoke the address")).click()
    expect(
        page.get_by_text(t("The address no longer works. Calendars that used it stop updating."))
    ).to_be_visible()
    status, _body, _type = _fetch(url)
    assert status == 404

    actions = audit_actions(served)
    for tag in (
        "schedule.session_booked",
        "schedule.calendar_feed_created",
        "schedule.calendar_feed_read",
        "schedule.calendar_feed_revoked",
    ):
        assert tag in actions, f"{tag} is missing from the audit log"
    verify_audit_log(served)
