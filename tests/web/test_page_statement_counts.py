"""The staff's listing pages ask the database a fixed number of times, however many rows they
show: a query per row would make each page slower with every case, consent, session and
audit entry of a national installation. Each test counts the statements of a page with one
row of each kind, adds several more of each, and counts again."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.db import db
from partnercontact.partner_side import escalations
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.partner_side.service import pick_up
from partnercontact.tasks.models import ScheduledTask
from tests.factories import Account, Factory
from tests.helpers import log_in, sql_statements, text_of
from tests.partners.conftest import handed_over_case
from tests.scheduling.building import book, sessions
from tests.scheduling.test_calendar_pages import held_case
from tests.statistics.seeding import History


def _browser(app: Flask, account: Account, clock) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, account, clock)
    return browser


def _counted(browser: FlaskClient, page: str) -> tuple[int, str]:
    """The statements of one visit to ``page``, and the page. What only a first visit does
    (the session's touch) is done by a visit before the counted one."""
    browser.get(page)
    db.session.expire_all()
    with sql_statements() as sent:
        response = browser.get(page)
    assert response.status_code == 200, text_of(response)
    return len(sent), text_of(response)


def _same_count_for_one_and_several(
    browser: FlaskClient, page: str, add: Callable[[int], None], shown: Callable[[str, int], bool]
) -> None:
    """``add(n)`` adds the n-th row of each kind; ``shown(page, n)`` says the page shows it."""
    add(0)
    few, body = _counted(browser, page)
    assert shown(body, 0)
    for number in range(1, 5):
        add(number)
    many, body = _counted(browser, page)
    assert all(shown(body, number) for number in range(5))
    assert many == few


# --- the calendar ---------------------------------------------------------------------------------


@pytest.mark.parametrize("page", ["/calendar", "/calendar/list"])
def test_the_calendar_asks_the_same_number_of_times_for_one_case_as_for_five(
    app: Flask, factory: Factory, clock, page: str
) -> None:
    """Each held case brings a booked session, sessions still to book and a reminder."""
    holder = factory.partner_treater()
    browser = _browser(app, holder, clock)
    references: list[str] = []

    def add(number: int) -> None:
        held = held_case(factory, clock, holder=holder, name=f"Påhittad Partner {number}")
        references.append(held.reference)
        book(held, sessions(held)[0], clock.now().date() + timedelta(days=1), time(10, number))
        db.session.add(
            StaffReminder(
                clinic_id=holder.user.clinic_id,
                user_id=holder.user.id,
                kind="risk_review_due",
                partner_case_id=held.case.id,
                due_at=clock.now() + timedelta(days=2),
                created_at=clock.now(),
            )
        )
        db.session.commit()

    _same_count_for_one_and_several(
        browser, page, add, lambda body, number: references[number] in body
    )


# --- the consent register -------------------------------------------------------------------------


def test_the_consent_register_asks_the_same_number_of_times_for_one_consent_as_for_five(
    app: Flask, factory: Factory, clock
) -> None:
    manager = factory.manager()
    history = History(manager.user.clinic, factory.client_treater().user)
    db.session.commit()  # its data key
    browser = _browser(app, manager, clock)
    references: list[str] = []

    def add(number: int) -> None:
        day = clock.now().date() - timedelta(days=number + 1)
        given = history.consent(history.episode(day), day)
        withdrawn = history.consent(history.episode(day), day, withdrawn_on=day)
        refused = history.consent(history.episode(day), day, state="refused")
        references.append(given.episode_id.hex[:8])
        references.extend(row.episode_id.hex[:8] for row in (withdrawn, refused))
        db.session.commit()

    _same_count_for_one_and_several(
        browser,
        "/management/consents",
        add,
        lambda body, number: all(ref in body for ref in references[3 * number : 3 * number + 3]),
    )


# --- the statistics -------------------------------------------------------------------------------


def test_the_statistics_ask_the_same_number_of_times_for_one_case_as_for_five(
    app: Flask, factory: Factory, clock
) -> None:
    """One partner case with every kind of row the statistics count, then four more."""
    manager = factory.manager()
    history = History(manager.user.clinic, factory.client_treater().user)
    db.session.commit()  # its data key
    browser = _browser(app, manager, clock)
    # The last whole month, which the page shows by default.
    day = clock.now().date().replace(day=1) - timedelta(days=10)

    def add(number: int) -> None:
        episode = history.episode(day - timedelta(days=30))
        consent = history.consent(episode, day - timedelta(days=20))
        case = history.partner_case(episode, consent, day - timedelta(days=15))
        history.attempt(case, day, "reached")
        history.answer(case, day, "accepted")
        history.decision(case, day, "contact", None)
        history.child(case, day)
        history.concern_report(case, day)
        history.letter(case, day, "information")
        history.text(case, day, "first_contact")
        db.session.commit()

    # The figures themselves are the statistics tests' concern; here, that they are shown.
    _same_count_for_one_and_several(
        browser, "/management/statistics", add, lambda body, number: "<table" in body
    )


# --- the access log -------------------------------------------------------------------------------


def _access_log_rows(factory: Factory, manager: Account) -> Callable[[int], None]:
    """Adds, per number, an entry of each kind the log names differently: a client-side
    record, a partner case, a letter and a text message (named by their case), a number's
    stop, a refused read and an entry of the system; each by another member of staff."""
    clinic_id = manager.user.clinic_id

    def add(number: int) -> None:
        treater = factory.client_treater().user
        partner_treater = factory.partner_treater().user
        case_id = uuid.UUID(f"{number:08x}-0000-4000-8000-000000000000")
        for action, actor, resource_type, resource_id, outcome in (
            (AuditAction.CLIENT_VIEWED, treater, "episode", str(uuid.uuid4()), Outcome.OK),
            (
                AuditAction.PARTNER_CASE_VIEWED,
                partner_treater,
                "partner_case",
                str(case_id),
                Outcome.OK,
            ),
            (
                AuditAction.LETTER_SENT,
                partner_treater,
                "sent_letter",
                str(uuid.uuid4()),
                Outcome.OK,
            ),
            (AuditAction.SMS_SENT, None, "sms_message", str(uuid.uuid4()), Outcome.OK),
            (AuditAction.SMS_OPTED_OUT, None, "sms_opt_out", str(uuid.uuid4()), Outcome.OK),
            (AuditAction.ACCESS_DENIED, treater, "route", "management.access_log", Outcome.DENIED),
        ):
            record_event(
                action,
                actor_id=actor.id if actor else None,
                clinic_id=clinic_id,
                resource_type=resource_type,
                resource_id=resource_id,
                outcome=outcome,
            )
        db.session.commit()

    return add


@pytest.mark.parametrize(
    "query",
    [
        "",
        "record_type=partner_case&record_id=00000000",
        "actor=system",
        "date_from=2026-01-01&date_to=2026-01-31",
        "action=partner_side.read",
    ],
)
def test_the_access_log_asks_the_same_number_of_times_for_one_entry_of_each_kind_as_for_five(
    app: Flask, factory: Factory, clock, query: str
) -> None:
    manager = factory.manager()
    browser = _browser(app, manager, clock)
    add = _access_log_rows(factory, manager)
    add(0)
    few, _ = _counted(browser, f"/management/access-log?{query}")
    for number in range(1, 5):
        add(number)
    many, body = _counted(browser, f"/management/access-log?{query}")
    assert many == few
    assert 'class="log-entry"' in body


def test_an_older_page_of_the_access_log_asks_as_often_as_the_first(
    app: Flask, factory: Factory, clock
) -> None:
    manager = factory.manager()
    browser = _browser(app, manager, clock)
    add = _access_log_rows(factory, manager)
    for number in range(12):
        add(number)
    first, body = _counted(browser, "/management/access-log")
    older = body.split('" rel="next"')[0].rsplit('href="', 1)[1].replace("&amp;", "&")
    deeper, _ = _counted(browser, older)
    assert deeper == first


# --- the managers' and administrators' task lists -------------------------------------------------


def test_the_managers_task_list_asks_the_same_number_of_times_for_one_task_as_for_five(
    app: Flask, factory: Factory, clock
) -> None:
    manager = factory.manager()
    browser = _browser(app, manager, clock)
    references: list[str] = []
    holder = factory.partner_treater()

    def add(number: int) -> None:
        case = handed_over_case(factory, clock, name=f"Påhittad Partner {number}")
        pick_up(holder.user, case.id)
        escalations.raise_escalation(
            holder.user, case.id, reason="risk_consultation", urgency="normal"
        )
        references.append(case.id.hex[:8])
        db.session.add(
            StaffReminder(
                clinic_id=manager.user.clinic_id,
                user_id=manager.user.id,
                kind="first_contact_unanswered",
                partner_case_id=case.id,
                due_at=clock.now(),
                created_at=clock.now(),
            )
        )
        db.session.commit()

    _same_count_for_one_and_several(
        browser, "/management/tasks", add, lambda body, number: references[number] in body
    )


def test_the_task_queue_page_asks_the_same_number_of_times_for_one_task_as_for_five(
    app: Flask, factory: Factory, clock
) -> None:
    admin = factory.admin()
    browser = _browser(app, admin, clock)

    def add(number: int) -> None:
        for state in ("pending", "done", "failed", "cancelled"):
            db.session.add(
                ScheduledTask(
                    kind="purge_expired",
                    due_at=clock.now(),
                    state=state,
                    attempts=1,
                    idempotency_key=f"count-{state}-{number}",
                    clinic_id=admin.user.clinic_id,
                    last_error=f"ValueError: case {number}" if state == "failed" else None,
                    created_at=clock.now(),
                    finished_at=clock.now() if state != "pending" else None,
                )
            )
        db.session.commit()

    _same_count_for_one_and_several(
        browser, "/admin/tasks", add, lambda body, number: f"ValueError: case {number}" in body
    )
