"""The partner-contact treater writes a text message from a template, reads it before it is
queued, and sees its state and her replies on the case page; nobody else sees any of it."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.transports.transport import OutboxTransport
from tests.factories import Factory
from tests.helpers import case_view, log_in, text_of
from tests.messaging.sending import Held, held_for_sms

_KEY = re.compile(r'name="idempotency_key" type="hidden" value="([0-9a-f]{32})"')
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return held_for_sms(factory, clock)


@pytest.fixture
def browser(app: Flask, held: Held, clock):
    client = app.test_client()
    log_in(client, held.holder, clock)
    return client


def _page(held: Held) -> str:
    return f"/partner/cases/{held.case.id}/sms/new"


def _count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(SmsMessage))


def _open_form(browser, held: Held) -> dict[str, str]:
    page = text_of(browser.get(_page(held)))
    return {
        "csrf_token": _TOKEN.search(page).group(1),
        "idempotency_key": _KEY.search(page).group(1),
        "purpose": "first_contact",
        "language": "sv",
    }


def test_preview_then_confirm_then_queued_once(browser, held) -> None:
    form = _open_form(browser, held)
    preview = browser.post(_page(held), data={**form, "preview": "1"})
    assert preview.status_code == 200
    assert "Norrbacka samtal" in text_of(preview) and _count() == 0

    unconfirmed = browser.post(_page(held), data={**form, "send": "1"})
    assert unconfirmed.status_code == 400 and _count() == 0
    assert "bekräfta" in text_of(unconfirmed)

    sent = browser.post(_page(held), data={**form, "send": "1", "confirm": "y"})
    assert sent.status_code == 302 and _count() == 1
    again = browser.post(_page(held), data={**form, "send": "1", "confirm": "y"})
    assert again.status_code == 302 and _count() == 1

    send_due_sms(OutboxTransport())
    case_page = text_of(browser.get(case_view(held.case.id, "messages")))
    assert "Levererat" in case_page


def test_the_preview_says_whether_the_text_would_pass_and_writes_nothing(browser, held) -> None:
    form = _open_form(browser, held)
    allowed = text_of(browser.post(_page(held), data={**form, "preview": "1"}))
    assert 'id="send-allowed"' in allowed and 'id="send-refusal"' not in allowed

    contact.record_answer(
        held.holder.user,
        held.case.id,
        answer="declined",
        answered_on=held.case.created_at.date(),
    )
    db.session.commit()
    preview = browser.post(_page(held), data={**form, "preview": "1"})
    shown = text_of(preview)
    assert preview.status_code == 200
    assert 'id="send-refusal"' in shown and "tackat nej" in shown
    refusals = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "partner.send_refused")
    )
    assert refusals == 0 and _count() == 0


def test_a_refusal_comes_back_on_the_form_with_the_choice_kept(browser, held) -> None:
    contact.record_answer(
        held.holder.user,
        held.case.id,
        answer="declined",
        answered_on=held.case.created_at.date(),
    )
    db.session.commit()
    form = {**_open_form(browser, held), "language": "en"}
    response = browser.post(_page(held), data={**form, "send": "1", "confirm": "y"})
    assert response.status_code == 409
    page = text_of(response)
    assert "tackat nej" in page
    refusals = db.session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "partner.send_refused", AuditEvent.outcome == "denied")
    )
    assert refusals == 1
    assert 'value="en" selected' in page or 'selected value="en"' in page
    assert _count() == 0


def test_her_reply_reaches_her_treater_only(app: Flask, browser, held, factory, clock) -> None:
    receive_inbound("SM" + "1" * 32, "+46707654321", "Ring efter klockan tre", clock.now())
    db.session.commit()
    assert "Ring efter klockan tre" in text_of(browser.get(case_view(held.case.id, "messages")))
    for account in (held.client_treater, factory.manager(), factory.partner_treater()):
        other = app.test_client()
        log_in(other, account, clock)
        assert other.get(f"/partner/cases/{held.case.id}").status_code == 404
        for url in ("/", "/client/", "/partner/", "/management/"):
            assert "Ring efter klockan tre" not in text_of(other.get(url, follow_redirects=True))
