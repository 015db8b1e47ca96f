"""The safety steps on the pages: the case page lists them with the next one linked, a refused
preview names the missing step and links to it without writing anything, and a manager records
an exception by case reference that the treater then sees."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.models import SafetyOverride
from tests.factories import Factory
from tests.helpers import csrf_token, log_in, submit, text_of
from tests.messaging.sending import Held, held_for_sms


@pytest.fixture
def new_case(factory: Factory, clock) -> Held:
    return held_for_sms(factory, clock, suitable=False)


def _rows(model: type) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_case_page_lists_the_steps_and_links_the_next(
    client: FlaskClient, new_case: Held, clock
) -> None:
    log_in(client, new_case.holder, clock)
    case_page = f"/partner/cases/{new_case.case.id}"
    page = text_of(client.get(case_page))
    assert 'id="safety-step-list"' in page
    assert 'data-step="suitability" class="next"' in page
    assert f"{case_page}/suitability" in page and "Till beslutet om lämplighet" in page
    contact.decide_suitability(new_case.holder.user, new_case.case.id, decision="contact")
    db.session.commit()
    page = text_of(client.get(case_page))
    assert 'data-step="suitability" class="done"' in page
    assert 'data-step="first_contact" class="next"' in page
    assert "Första samtal: måndag, tisdag, onsdag, torsdag, fredag, 09:00 till 17:00." in page


def test_a_refused_preview_names_the_step_links_to_it_and_writes_nothing(
    client: FlaskClient, new_case: Held, clock
) -> None:
    log_in(client, new_case.holder, clock)
    form = f"/partner/cases/{new_case.case.id}/sms/new"
    response = submit(
        client,
        form,
        {
            "purpose": "first_contact",
            "language": "sv",
            "idempotency_key": "0" * 32,
            "preview": "y",
        },
    )
    page = text_of(response)
    assert 'id="send-refusal"' in page and "registrera beslutet om lämplighet först" in page
    assert 'id="missing-step"' in page
    assert f'href="/partner/cases/{new_case.case.id}/suitability"' in page
    assert _rows(SmsMessage) == 0


def test_a_manager_records_an_exception_the_treater_sees(
    client: FlaskClient, factory: Factory, new_case: Held, clock
) -> None:
    manager = factory.manager()
    log_in(client, manager, clock)
    assert "Undantag från kontaktstegen" in text_of(client.get("/management/"))
    page = "/management/safety-overrides"
    bad = submit(
        client,
        page,
        {"case": "12345678", "rule": "plan", "kind": "phone", "reason": "child_safety"},
    )
    assert bad.status_code == 400 and 'id="case-error"' in text_of(bad)
    assert 'value="12345678"' in text_of(bad)  # what was typed is kept
    reference = new_case.case.id.hex[:8]
    incomplete = submit(client, page, {"case": reference, "rule": "plan", "kind": "phone"})
    assert incomplete.status_code == 400 and 'id="reason-error"' in text_of(incomplete)
    assert _rows(SafetyOverride) == 0
    done = submit(
        client,
        page,
        {"case": reference, "rule": "suitability", "kind": "sms", "reason": "imminent_threat"},
    )
    assert done.status_code == 302
    listed = text_of(client.get(page))
    assert reference in listed and "Ett överhängande hot som hon måste varnas för" in listed
    assert "Maja" not in listed  # never her name

    client.post("/logout", data={"csrf_token": csrf_token(client, "/management/")})
    log_in(client, new_case.holder, clock)
    case_page = text_of(client.get(f"/partner/cases/{new_case.case.id}"))
    assert 'id="case-overrides"' in case_page and "inte använt än" in case_page


def test_a_treater_cannot_open_the_exceptions_page(
    client: FlaskClient, new_case: Held, clock
) -> None:
    log_in(client, new_case.holder, clock)
    assert client.get("/management/safety-overrides").status_code in (403, 404)
