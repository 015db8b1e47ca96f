"""Contact sessions, the calendar and reminders through the API: the same services, rules and
wall as the pages. Sessions are added, booked on the clinic's clocks, moved, cancelled and
recorded by the treater holding the case alone; a refusal names its field and changes nothing;
what is booked here is on the calendar (the API's and the page), and a reminder marked done
here leaves the list.

The clock starts on Thursday 2026-01-15 at 09:00 UTC, 10:00 in Stockholm (UTC+1 in winter).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from flask import Flask
from werkzeug.test import TestResponse

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.db import db
from partnercontact.partner_side.service import pick_up
from partnercontact.tasks.queue import dispatch_due
from tests.factories import Account, Factory
from tests.helpers import api_token, log_in, text_of
from tests.messaging.sending import Held
from tests.partners.conftest import handed_over_case
from tests.scheduling.building import accepted

# Tuesday 2026-01-20, 14:30 on the clinic's clocks: 13:30 UTC.
BOOKING = {"day": "2026-01-20", "time": "14:30", "minutes": 60, "channel": "meeting"}
BOOKED_AT = "2026-01-20T13:30:00+00:00"


class Api:
    """The API as one account's integration calls it."""

    def __init__(self, app: Flask, account: Account) -> None:
        self.client = app.test_client()
        self.headers = {"Authorization": f"Bearer {api_token(account)}"}

    def get(self, path: str) -> TestResponse:
        return self.client.get(f"/api/v1{path}", headers=self.headers)

    def post(self, path: str, body: dict[str, object] | None = None) -> TestResponse:
        return self.client.post(f"/api/v1{path}", json=body or {}, headers=self.headers)


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    """A case whose partner accepted contact today, with reminders by text: the plan's three
    sessions to book, today and in four and eight weeks."""
    return accepted(factory, clock)


@pytest.fixture
def api(app: Flask, held: Held) -> Api:
    return Api(app, held.holder)


def sessions_path(held: Held, session_id: object = None, action: str = "") -> str:
    path = f"/partner-cases/{held.case.id}/sessions"
    return f"{path}/{session_id}/{action}" if session_id else path


def listed(api: Api, held: Held) -> list[dict[str, object]]:
    response = api.get(sessions_path(held))
    assert response.status_code == 200, response.get_json()
    return response.get_json()["sessions"]


def refused(response: TestResponse, status: int, field: str | None) -> None:
    assert response.status_code == status, response.get_json()
    assert response.get_json().get("field") == field


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# --- sessions -----------------------------------------------------------------------------------


def test_the_list_shows_the_plans_sessions_to_book(api: Api, held: Held) -> None:
    response = api.get(sessions_path(held))
    assert response.status_code == 200
    answer = response.get_json()
    assert answer["sms_reminders"] is True
    assert [s["due_on"] for s in answer["sessions"]] == ["2026-01-15", "2026-02-12", "2026-03-12"]
    assert {(s["state"], s["purpose"], s["starts_at"]) for s in answer["sessions"]} == {
        ("to_book", "regular", None)
    }


def test_a_session_is_booked_on_the_clinics_clocks_and_moved(api: Api, held: Held) -> None:
    first = listed(api, held)[0]
    response = api.post(sessions_path(held, first["id"], "book"), BOOKING)
    assert response.status_code == 200, response.get_json()
    booked = response.get_json()
    assert booked["id"] == first["id"]
    assert (booked["state"], booked["starts_at"], booked["minutes"], booked["channel"]) == (
        "booked",
        BOOKED_AT,
        60,
        "meeting",
    )
    # She asked for reminders by text: one goes out before the session.
    assert booked["reminder_at"] is not None and booked["reminder_at"] < BOOKED_AT

    moved = api.post(
        sessions_path(held, first["id"], "book"),
        {**BOOKING, "day": "2026-01-22", "time": "09:00", "channel": "video", "minutes": 45},
    ).get_json()
    assert (moved["state"], moved["starts_at"], moved["minutes"], moved["channel"]) == (
        "booked",
        "2026-01-22T08:00:00+00:00",
        45,
        "video",
    )
    (now_listed,) = [s for s in listed(api, held) if s["id"] == first["id"]]
    assert now_listed == moved


def test_a_session_is_added_near_a_day(api: Api, held: Held) -> None:
    response = api.post(sessions_path(held), {"due_on": "2026-02-02"})
    assert response.status_code == 201, response.get_json()
    added = response.get_json()
    assert (added["purpose"], added["state"], added["due_on"]) == ("extra", "to_book", "2026-02-02")
    assert [s["id"] for s in listed(api, held)][1] == added["id"]


def test_a_session_is_cancelled_once(api: Api, held: Held) -> None:
    first = listed(api, held)[0]
    booked = api.post(sessions_path(held, first["id"], "book"), BOOKING).get_json()
    assert booked["reminder_at"] is not None
    response = api.post(sessions_path(held, first["id"], "cancel"))
    assert response.status_code == 200
    cancelled = response.get_json()
    # The text reminding her is cancelled with it.
    assert (cancelled["state"], cancelled["reminder_at"]) == ("cancelled", None)
    refused(api.post(sessions_path(held, first["id"], "cancel")), 409, "session")
    refused(api.post(sessions_path(held, first["id"], "book"), BOOKING), 409, "session")


def test_what_came_of_a_session_is_recorded_once_its_time_has_come(
    api: Api, held: Held, clock
) -> None:
    first = listed(api, held)[0]
    api.post(sessions_path(held, first["id"], "book"), BOOKING)
    record = sessions_path(held, first["id"], "record")
    # Not before its time: the session stays booked.
    refused(api.post(record, {"outcome": "held"}), 400, "outcome")
    assert listed(api, held)[0]["state"] == "booked"

    clock.set(utc(2026, 1, 20, 14, 45))
    response = api.post(record, {"outcome": "held", "note": "Hon mår bättre.\nPlan ses över."})
    assert response.status_code == 200, response.get_json()
    recorded = response.get_json()
    assert (recorded["state"], recorded["note"]) == ("held", "Hon mår bättre.\nPlan ses över.")
    assert listed(api, held)[0] == recorded
    # Recorded is final.
    refused(api.post(record, {"outcome": "no_show"}), 409, "session")


def test_a_time_that_has_passed_is_refused_on_its_field_and_changes_nothing(
    api: Api, held: Held
) -> None:
    before = listed(api, held)
    first = before[0]["id"]
    yesterday = {**BOOKING, "day": "2026-01-14"}
    refused(api.post(sessions_path(held, first, "book"), yesterday), 400, "day")
    # Today, 10:00 on the clinic's clocks: 08:00 has passed.
    today_early = {**BOOKING, "day": "2026-01-15", "time": "08:00"}
    refused(api.post(sessions_path(held, first, "book"), today_early), 400, "time")
    refused(api.post(sessions_path(held), {"due_on": "2026-01-14"}), 400, "due_on")
    assert listed(api, held) == before


@pytest.mark.parametrize("missing", ["day", "time", "minutes", "channel"])
def test_a_booking_without_a_field_is_refused_naming_it(api: Api, held: Held, missing: str) -> None:
    first = listed(api, held)[0]["id"]
    body = {name: value for name, value in BOOKING.items() if name != missing}
    refused(api.post(sessions_path(held, first, "book"), body), 400, missing)
    assert listed(api, held)[0]["state"] == "to_book"


def test_input_the_schema_cannot_take_is_refused_naming_the_field(api: Api, held: Held) -> None:
    first = listed(api, held)[0]["id"]
    book = sessions_path(held, first, "book")
    refused(api.post(sessions_path(held), {}), 400, "due_on")
    refused(api.post(book, {**BOOKING, "minutes": 5}), 422, "minutes")
    refused(api.post(book, {**BOOKING, "minutes": "60"}), 422, "minutes")
    refused(api.post(book, {**BOOKING, "channel": "letter"}), 422, "channel")
    refused(api.post(book, {**BOOKING, "starts_at": BOOKED_AT}), 422, "starts_at")
    record = sessions_path(held, first, "record")
    refused(api.post(record, {}), 400, "outcome")
    refused(api.post(record, {"outcome": "maybe"}), 422, "outcome")
    refused(api.post(record, {"outcome": "cancelled", "note": "a\x00b"}), 422, "note")
    assert listed(api, held)[0]["state"] == "to_book"


def test_a_colleagues_case_answers_as_one_that_does_not_exist(
    app: Flask, factory: Factory, api: Api, held: Held
) -> None:
    first = listed(api, held)[0]["id"]
    colleague = Api(app, factory.partner_treater())
    missing = f"/partner-cases/{uuid.uuid4()}/sessions"
    answers = [
        colleague.get(sessions_path(held)),
        colleague.post(sessions_path(held), {"due_on": "2026-02-02"}),
        colleague.post(sessions_path(held, first, "book"), BOOKING),
        colleague.post(sessions_path(held, first, "cancel")),
        colleague.post(sessions_path(held, first, "record"), {"outcome": "cancelled"}),
        colleague.get(missing),
    ]
    assert [response.status_code for response in answers] == [404] * len(answers)
    assert {text_of(response) for response in answers} == {text_of(answers[-1])}
    # Another case's session is not found on one's own case either.
    refused(api.post(sessions_path(held, uuid.uuid4(), "cancel")), 404, "case")
    assert [s["state"] for s in listed(api, held)] == ["to_book"] * 3


# --- the calendar and reminders -----------------------------------------------------------------


def test_a_session_booked_here_is_on_the_calendar_and_its_page(
    app: Flask, api: Api, held: Held, clock
) -> None:
    first, second, _third = listed(api, held)
    api.post(sessions_path(held, first["id"], "book"), BOOKING)
    response = api.get("/calendar")
    assert response.status_code == 200
    calendar = response.get_json()
    assert (calendar["today"], calendar["last"]) == ("2026-01-15", "2026-03-11")
    (day,) = [day for day in calendar["days"] if day["day"] == "2026-01-20"]
    (entry,) = day["entries"]
    assert entry == {
        "kind": "session",
        "id": first["id"],
        "day": "2026-01-20",
        "at": BOOKED_AT,
        "ends_at": "2026-01-20T14:30:00+00:00",
        "case_id": str(held.case.id),
        "reference": held.case.id.hex[:8],
        "holds_case": True,
        "purpose": "regular",
        "state": "booked",
        "minutes": 60,
        "channel": "meeting",
        "reminder_kind": None,
    }
    # The session to book in four weeks is on its target day.
    (later,) = [day for day in calendar["days"] if day["day"] == "2026-02-12"]
    assert [(e["kind"], e["id"], e["at"]) for e in later["entries"]] == [
        ("to_book", second["id"], None)
    ]

    browser = app.test_client()
    log_in(browser, held.holder, clock)
    page = text_of(browser.get("/calendar/list"))
    assert f'id="entry-{first["id"]}"' in page
    assert "14:30–15:30" in page[page.index(f'id="entry-{first["id"]}"') :]


@pytest.fixture
def reminded(factory: Factory, clock) -> tuple[Account, Account, Account]:
    """Two treaters each holding a case whose first contact fell due on the 20th, and a
    manager reminded of a third case nobody holds: on the 21st the dispatcher raises them."""
    holder, colleague, manager = (
        factory.partner_treater(),
        factory.partner_treater(),
        factory.manager(),
    )
    for account, phone in ((holder, "070-1112233"), (colleague, "070-2223344")):
        partner_case = handed_over_case(factory, clock, phone=phone)
        pick_up(account.user, partner_case.id)
        db.session.commit()
    handed_over_case(factory, clock, phone="070-5556677")
    clock.set(utc(2026, 1, 21, 10, 0))
    dispatch_due()
    return holder, colleague, manager


def test_a_reminder_marked_done_here_leaves_the_list(
    app: Flask, reminded: tuple[Account, Account, Account]
) -> None:
    holder, colleague, _manager = reminded
    api = Api(app, holder)
    (reminder,) = api.get("/calendar/reminders").get_json()
    assert (reminder["kind"], reminder["due_at"], reminder["holds_case"]) == (
        "first_contact_due",
        "2026-01-20T08:00:00+00:00",
        True,
    )
    assert reminder["case_id"] is not None
    # Due yesterday: the calendar has it among what is overdue.
    overdue = api.get("/calendar").get_json()["overdue"]
    assert [(e["kind"], e["id"]) for e in overdue] == [("reminder", reminder["id"])]

    response = api.post(f"/calendar/reminders/{reminder['id']}/done")
    assert response.status_code == 200
    assert response.get_json()["done_at"] == "2026-01-21T10:00:00+00:00"
    assert api.get("/calendar/reminders").get_json() == []
    assert api.get("/calendar").get_json()["overdue"] == []
    # Marking it again changes nothing.
    assert api.post(f"/calendar/reminders/{reminder['id']}/done").status_code == 200

    # Someone else's reminder does not exist for this treater, and stays open.
    (theirs,) = Api(app, colleague).get("/calendar/reminders").get_json()
    refused(api.post(f"/calendar/reminders/{theirs['id']}/done"), 404, None)
    assert Api(app, colleague).get("/calendar/reminders").get_json() == [theirs]


def test_a_manager_has_reminders_without_a_case_to_open_and_no_calendar(
    app: Flask, reminded: tuple[Account, Account, Account]
) -> None:
    _holder, _colleague, manager = reminded
    api = Api(app, manager)
    (reminder,) = api.get("/calendar/reminders").get_json()
    assert (reminder["holds_case"], reminder["case_id"]) == (False, None)
    assert reminder["reference"]
    assert api.get("/calendar").status_code == 403
