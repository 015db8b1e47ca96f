"""A second identical letter or text message to her within the clinic's interval
(``duplicate_message_minutes``, 60 by default) goes only when the treater confirms it: the
service refuses on ``confirm_duplicate`` writing nothing, the page shows the question with a
box to tick and keeps what was chosen, and two identical requests at the same moment cannot
both pass the question.

The clock starts on Thursday 2026-01-15 at 09:00 UTC, 10:00 in Stockholm, inside the safe
hours her plan gives here.
"""

from __future__ import annotations

import re
import threading
import uuid
from collections import Counter
from datetime import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import defer_appends_until_commit
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.partner_side.contact import (
    SafeContactPlanIn,
    decide_suitability,
    save_safe_contact_plan,
)
from partnercontact.partner_side.messaging import letters
from partnercontact.partner_side.messaging.duplicates import DuplicateMessage
from partnercontact.partner_side.messaging.models import SentLetter, SmsMessage
from partnercontact.partner_side.messaging.sms import new_idempotency_key, queue_sms
from tests.helpers import log_in, submit, text_of
from tests.messaging.sending import Held, held_for_sms, queue

FIELD = "confirm_duplicate"
_KEY = re.compile(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"')
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def held(factory, clock) -> Held:
    """A case ready for texts and letters: found suitable, with a plan that allows both on
    weekdays 09-17."""
    held = held_for_sms(factory, clock)
    decide_suitability(held.holder.user, held.case.id, decision="contact")
    save_safe_contact_plan(
        held.holder.user,
        held.case.id,
        SafeContactPlanIn(
            channels=["sms", "phone", "letter"],
            safe_days=list("12345"),
            safe_from=time(9),
            safe_until=time(17),
            letters_safe_at_address=True,
        ),
    )
    db.session.commit()
    return held


@pytest.fixture
def browser(app: Flask, held: Held, clock) -> FlaskClient:
    client = app.test_client()
    log_in(client, held.holder, clock)
    return client


def _count(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def _audit_count() -> int:
    return _count(AuditEvent)


# --- text messages, through the service ---------------------------------------------------------


def test_a_second_identical_text_within_a_minute_needs_confirming(held, clock) -> None:
    first = queue(held)
    assert _count(SmsMessage) == 1
    audited = _audit_count()

    clock.advance(seconds=20)
    with pytest.raises(DuplicateMessage) as refused:
        queue(held)
    db.session.rollback()
    assert refused.value.field == FIELD and refused.value.status == 409
    assert refused.value.previous_at == first.created_at
    # It says when the identical one went: still waiting at 10:00 in Stockholm.
    assert "10:00" in str(refused.value.message)
    assert _count(SmsMessage) == 1 and _audit_count() == audited  # nothing written

    clock.advance(seconds=20)
    second = queue(held, confirm_duplicate=True)
    assert second.id != first.id and second.body == first.body
    assert _count(SmsMessage) == 2

    # A third, again unconfirmed, is asked about again.
    clock.advance(seconds=10)
    with pytest.raises(DuplicateMessage):
        queue(held)
    db.session.rollback()
    assert _count(SmsMessage) == 2


def test_the_refusal_names_when_a_sent_text_went(held, clock) -> None:
    first = queue(held)
    first.state, first.sent_at = "delivered", clock.advance(minutes=5)
    db.session.commit()

    clock.advance(minutes=10)
    with pytest.raises(DuplicateMessage) as refused:
        queue(held)
    db.session.rollback()
    assert refused.value.previous_at == first.sent_at
    assert "10:05" in str(refused.value.message)  # the clinic's clock, not UTC


def test_after_the_interval_nobody_is_asked(held, clock) -> None:
    queue(held)
    clock.advance(minutes=60, seconds=1)
    queue(held)
    assert _count(SmsMessage) == 2


def test_the_clinic_sets_the_interval(held, factory, clock) -> None:
    factory.default_clinic.duplicate_message_minutes = 5
    db.session.commit()
    queue(held)
    clock.advance(minutes=4)
    with pytest.raises(DuplicateMessage):
        queue(held)
    db.session.rollback()
    clock.advance(minutes=1, seconds=1)
    queue(held)
    assert _count(SmsMessage) == 2


def test_a_different_text_is_not_a_duplicate(held, clock) -> None:
    queue(held, purpose="first_contact")
    queue(held, purpose="call_announcement")
    queue(held, purpose="first_contact", language="en")
    assert _count(SmsMessage) == 3


@pytest.mark.parametrize("state", ["failed", "undelivered", "cancelled"])
def test_a_text_that_never_reached_her_does_not_count(held, clock, state) -> None:
    first = queue(held)
    first.state = state
    db.session.commit()
    queue(held)
    assert _count(SmsMessage) == 2


def test_the_same_form_sent_twice_is_still_one_text_and_no_question(held) -> None:
    key = new_idempotency_key()
    first = queue(held, idempotency_key=key)
    again = queue(held, idempotency_key=key)
    assert again.id == first.id and _count(SmsMessage) == 1


# --- letters, through the service ---------------------------------------------------------------


def _send(held: Held, purpose: str = "information", language: str = "sv", **kwargs) -> SentLetter:
    letter = letters.send_letter(held.holder.user, held.case.id, purpose, language, **kwargs)
    db.session.commit()
    return letter


def test_a_second_identical_letter_needs_confirming(held, clock) -> None:
    first = _send(held)
    audited = _audit_count()
    clock.advance(minutes=30)
    with pytest.raises(DuplicateMessage) as refused:
        _send(held)
    db.session.rollback()
    assert refused.value.field == FIELD and refused.value.previous_at == first.sent_at
    assert "10:00" in str(refused.value.message)
    assert _count(SentLetter) == 1 and _audit_count() == audited

    _send(held, confirm_duplicate=True)
    assert _count(SentLetter) == 2


def test_another_letter_or_language_or_a_later_one_is_not_asked_about(held, clock) -> None:
    _send(held, "information", "sv")
    _send(held, "information", "en")
    _send(held, "call_announcement", "sv")
    clock.advance(minutes=61)
    _send(held, "information", "sv")
    assert _count(SentLetter) == 4


# --- the pages ----------------------------------------------------------------------------------


def _sms_page(held: Held) -> str:
    return f"/partner/cases/{held.case.id}/sms/new"


def _open_sms_form(browser: FlaskClient, held: Held) -> dict[str, str]:
    page = text_of(browser.get(_sms_page(held)))
    return {
        "csrf_token": _TOKEN.search(page).group(1),
        "idempotency_key": _KEY.search(page).group(1),
        "purpose": "call_announcement",
        "language": "en",
    }


def test_the_text_page_asks_and_sends_on_confirmation(browser, held, clock) -> None:
    first = browser.post(
        _sms_page(held), data={**_open_sms_form(browser, held), "send": "1", "confirm": "y"}
    )
    assert first.status_code == 302 and _count(SmsMessage) == 1

    clock.advance(seconds=30)
    form = {**_open_sms_form(browser, held), "send": "1", "confirm": "y"}
    asked = browser.post(_sms_page(held), data=form)
    assert asked.status_code == 409 and _count(SmsMessage) == 1
    page = text_of(asked)
    assert f'name="{FIELD}"' in page and "Skicka ändå" in page
    assert "har väntat på att skickas sedan 2026-01-15 10:00" in page
    # Nothing typed is lost: the choices, the text itself and the send button are there.
    assert '<option selected value="call_announcement">' in page
    assert '<option selected value="en">' in page
    assert 'id="sms-draft"' in page and 'name="send"' in page

    sent = browser.post(_sms_page(held), data={**form, FIELD: "y"})
    assert sent.status_code == 302 and _count(SmsMessage) == 2


def test_the_text_page_shows_no_question_for_a_first_text(browser, held) -> None:
    form = {**_open_sms_form(browser, held), "preview": "1"}
    page = text_of(browser.post(_sms_page(held), data=form))
    assert f'name="{FIELD}"' not in page


def test_the_letter_page_asks_and_sends_on_confirmation(browser, held, clock) -> None:
    page = f"/partner/cases/{held.case.id}/letters/new"
    form = {"purpose": "call_announcement", "language": "en", "confirm": "y", "send": "1"}
    assert f'name="{FIELD}"' not in text_of(browser.get(page))
    assert submit(browser, page, form).status_code == 302 and _count(SentLetter) == 1

    clock.advance(minutes=2)
    asked = submit(browser, page, form)
    assert asked.status_code == 409 and _count(SentLetter) == 1
    shown = text_of(asked)
    assert f'name="{FIELD}"' in shown and "Skicka ändå" in shown
    assert "skickades till henne 2026-01-15 10:00" in shown
    assert '<option selected value="call_announcement">' in shown
    assert '<option selected value="en">' in shown

    sent = submit(browser, page, {**form, FIELD: "y"})
    assert sent.status_code == 302 and _count(SentLetter) == 2


# --- two at once --------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_identical_texts_at_the_same_moment_send_one_without_confirmation(
    app: Flask, held: Held
) -> None:
    user_id, case_id = held.holder.user.id, held.case.id
    db.session.remove()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt() -> None:
        with app.app_context():
            # As in a web request: the audit chain is taken only at commit, so nothing but the
            # service's own lock keeps the two apart.
            defer_appends_until_commit()
            actor = db.session.get(User, user_id)
            start.wait()
            try:
                queue_sms(
                    actor,
                    case_id,
                    purpose="first_contact",
                    language="sv",
                    idempotency_key=uuid.uuid4().hex,
                )
                db.session.commit()
                outcomes.append("queued")
            except DuplicateMessage:
                outcomes.append("asked")
            except DomainError as exc:
                outcomes.append(type(exc).__name__)
            finally:
                db.session.rollback()
                db.session.remove()

    threads = [threading.Thread(target=attempt) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(outcomes) == Counter({"queued": 1, "asked": 1})
    assert _count(SmsMessage) == 1
