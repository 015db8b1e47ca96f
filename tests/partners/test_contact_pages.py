"""The contact work in the browser: forms keep their input and point at the field at fault
(status 400, nothing stored), the case page shows the safe-contact plan first, and a manager
confirms threat warnings without ever seeing her name or contact details."""

from __future__ import annotations

from datetime import date, time

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.db import db
from partnercontact.partner_side import contact
from partnercontact.partner_side.models import (
    ContactAttempt,
    PartnerAnswer,
    PartnerCase,
    SafeContactPlan,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
)
from partnercontact.partner_side.service import pick_up
from tests.factories import Factory
from tests.helpers import case_view, csrf_token, log_in, submit, text_of
from tests.partners.conftest import HandedOver, handed_over_case

FORMS = [
    "suitability",
    "answer",
    "consent/withdraw",
    "end-contact",
    "safe-contact",
    "attempts/new",
    "threat-warning",
    "send-decisions",
]


@pytest.fixture
def held(handed_over: HandedOver) -> HandedOver:
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()
    return handed_over


@pytest.fixture
def browser(client: FlaskClient, held: HandedOver, clock) -> FlaskClient:
    log_in(client, held.partner_treater, clock)
    return client


def page_of(case: PartnerCase, path: str = "") -> str:
    return f"/partner/cases/{case.id}" + (f"/{path}" if path else "")


def count(model: type, case: PartnerCase) -> int:
    db.session.expire_all()
    return db.session.scalar(
        select(func.count()).select_from(model).where(model.partner_case_id == case.id)
    )


def test_the_contact_view_opens_with_a_warning_until_there_is_a_plan(browser, held) -> None:
    case_page = page_of(held.case)
    contact_view = case_view(held.case.id, "safe_contact")
    page = text_of(browser.get(contact_view))
    positions = [
        page.index(f'id="{section}"')
        for section in ("safe_contact", "suitability", "answer", "attempts")
    ]
    assert positions == sorted(positions)
    start = page.index('id="safe_contact"')
    assert 'role="alert"' in page[start : page.index('id="suitability"')]
    assert 'id="safe-contact-plan"' not in page
    assert f'action="{case_page}/send-decisions"' not in page  # she is not protected

    form = page_of(held.case, "safe-contact")
    response = submit(
        browser,
        form,
        {
            "channels": ["sms", "phone"],
            "safe_days": ["1", "3", "5"],
            "safe_from": "09:00",
            "safe_until": "17:00",
            "sender_name": "Anna",
            "opener": "Passar det att prata nu?",
        },
    )
    assert response.status_code == 302, text_of(response)
    page = text_of(browser.get(contact_view))
    assert 'id="safe-contact-plan"' in page and "Passar det att prata nu?" in page
    # The form opens with the newest version filled in.
    again = text_of(browser.get(form))
    assert 'value="Passar det att prata nu?"' in again and 'value="09:00"' in again


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (
            {"channels": ["sms"], "safe_days": ["1"], "safe_from": "17:00", "safe_until": "09:00"},
            "safe_until",
        ),
        ({"channels": ["phone"], "safe_from": "09:00", "safe_until": "17:00"}, "safe_days"),
        ({"channels": ["letter"]}, "letters_safe_at_address"),
        ({"channels": ["sms"], "safe_days": ["1"], "safe_from": "9 o'clock"}, "safe_from"),
    ],
)
def test_a_bad_plan_is_shown_on_its_field(browser, held, data, field) -> None:
    response = submit(browser, page_of(held.case, "safe-contact"), data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in text_of(response)
    assert count(SafeContactPlan, held.case) == 0


def test_suitability_no_contact_needs_a_reason(browser, held) -> None:
    form = page_of(held.case, "suitability")
    response = submit(browser, form, {"decision": "no_contact", "note": "Bor utomlands"})
    assert response.status_code == 400
    page = text_of(response)
    assert 'id="reason-error"' in page and "Bor utomlands" in page  # the input is kept
    assert count(SuitabilityDecision, held.case) == 0
    response = submit(browser, form, {"decision": "no_contact", "reason": "other"})
    assert response.status_code == 400 and 'id="note-error"' in text_of(response)
    response = submit(
        browser, form, {"decision": "no_contact", "reason": "abroad", "note": "Bor utomlands"}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("#suitability")
    assert count(SuitabilityDecision, held.case) == 1
    assert "Bor utomlands" in text_of(browser.get(case_view(held.case.id, "suitability")))


def test_accepting_needs_her_consent_and_ending_needs_a_confirmation(browser, held, clock) -> None:
    form = page_of(held.case, "answer")
    response = submit(browser, form, {"answer": "accepted", "answered_on": "2026-01-15"})
    assert response.status_code == 400 and 'id="scopes-error"' in text_of(response)
    response = submit(browser, form, {"answer": "declined", "answered_on": "2026-01-16"})
    assert response.status_code == 400 and 'id="answered_on-error"' in text_of(response)
    assert count(PartnerAnswer, held.case) == 0
    response = submit(
        browser,
        form,
        {"answer": "accepted", "answered_on": "2026-01-15", "scopes": ["contact_sms"]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PartnerCase, held.case.id).answer == "accepted"

    end = page_of(held.case, "end-contact")
    confirmation = browser.get(end)
    assert confirmation.status_code == 200 and 'class="danger"' in text_of(confirmation)
    db.session.expire_all()
    assert db.session.get(PartnerCase, held.case.id).contact_ended_on is None  # GET changes nothing
    response = submit(browser, end, {"ended_on": "2026-01-15"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(PartnerCase, held.case.id).contact_ended_on == date(2026, 1, 15)

    withdraw = page_of(held.case, "consent/withdraw")
    response = submit(browser, withdraw, {"withdrawn_on": "2026-01-14"})
    assert response.status_code == 400 and 'id="withdrawn_on-error"' in text_of(response)
    response = submit(browser, withdraw, {"withdrawn_on": "2026-01-15"})
    assert response.status_code == 302
    response = submit(browser, withdraw, {"withdrawn_on": "2026-01-15"})
    assert response.status_code == 409  # nothing left to withdraw: shown at the top


def test_an_attempt_outside_her_plan_is_refused_unless_she_called_in(browser, held) -> None:
    contact.decide_suitability(held.partner_treater.user, held.case.id, decision="contact")
    contact.save_safe_contact_plan(
        held.partner_treater.user,
        held.case.id,
        contact.SafeContactPlanIn(
            channels=["sms", "phone"], safe_days=["1"], safe_from=time(9), safe_until=time(17)
        ),
    )
    db.session.commit()
    form = page_of(held.case, "attempts/new")
    page = text_of(browser.get(form))
    assert 'id="safe-contact-plan"' in page  # the plan on top of the form
    # Thursday 15 January, 09:30 in Stockholm: not one of her safe days.
    data = {"channel": "sms", "outcome": "no_answer", "attempted_at": "2026-01-15T09:30"}
    response = submit(browser, form, data)
    assert response.status_code == 409
    page = text_of(response)
    assert 'id="attempted_at-error"' in page and "inte en av hennes säkra dagar" in page
    assert 'id="missing-step"' in page and f"/partner/cases/{held.case.id}/safe-contact" in page
    assert count(ContactAttempt, held.case) == 0
    # A reached call needs the safety question answered, even when she called.
    reached = {**data, "channel": "phone", "outcome": "reached", "called_in": "y"}
    response = submit(browser, form, reached)
    assert response.status_code == 400 and 'id="safe_to_talk-error"' in text_of(response)
    assert count(ContactAttempt, held.case) == 0
    response = submit(browser, form, {**reached, "safe_to_talk": "y"})
    assert response.status_code == 302
    assert count(ContactAttempt, held.case) == 1
    response = submit(browser, form, {**data, "attempted_at": "2026-01-15T10:30"})
    assert response.status_code == 400 and 'id="attempted_at-error"' in text_of(response)


def test_the_case_page_asks_for_a_review_after_the_rule_marked_her(browser, held, clock) -> None:
    contact.decide_suitability(held.partner_treater.user, held.case.id, decision="contact")
    db.session.commit()
    form = page_of(held.case, "attempts/new")
    for hour in ("08:00", "08:30", "09:00"):
        data = {"channel": "sms", "outcome": "no_answer", "attempted_at": f"2026-01-15T{hour}"}
        assert submit(browser, form, data).status_code == 302
    assert 'id="unreachable-review"' in text_of(browser.get(case_view(held.case.id, "answer")))
    db.session.expire_all()
    assert db.session.get(PartnerCase, held.case.id).answer == "unreachable"


def test_a_threat_warning_goes_to_a_manager_without_her_details(
    client: FlaskClient, factory: Factory, held, clock
) -> None:
    contact.record_answer(
        held.partner_treater.user, held.case.id, answer="declined", answered_on=date(2026, 1, 15)
    )
    db.session.commit()
    log_in(client, held.partner_treater, clock)
    form = page_of(held.case, "threat-warning")
    response = submit(client, form, {"reason": ""})
    assert response.status_code == 400 and 'id="reason-error"' in text_of(response)
    response = submit(client, form, {"reason": "Han har hotat att söka upp henne"})
    assert response.status_code == 302
    [warning] = db.session.scalars(select(ThreatWarning)).all()
    client.post("/logout", data={"csrf_token": csrf_token(client, "/partner/")})

    manager = factory.manager()
    log_in(client, manager, clock)
    assert 'href="/management/threats"' in text_of(client.get("/management/"))
    listing = text_of(client.get("/management/threats"))
    assert held.case.id.hex[:8] in listing
    for private in ("hotat", "Maja", "Storgatan", "765 43"):
        assert private not in listing
    confirm = f"/management/threats/{warning.id}/confirm"
    page = text_of(client.get(confirm))
    assert "Han har hotat att söka upp henne" in page
    for private in ("Maja", "Storgatan", "765 43", "+4670"):
        assert private not in page
    db.session.expire_all()
    assert db.session.get(ThreatWarning, warning.id).confirmed_at is None  # GET confirms nothing
    response = submit(client, confirm, {})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(ThreatWarning, warning.id).confirmed_by_id == manager.user.id
    assert client.get(confirm).status_code == 409


def test_another_clinics_manager_cannot_see_or_confirm_a_warning(
    client: FlaskClient, factory: Factory, held, clock
) -> None:
    contact.end_contact(held.partner_treater.user, held.case.id, ended_on=date(2026, 1, 15))
    warning = contact.record_threat_warning(held.partner_treater.user, held.case.id, reason="Hot")
    db.session.commit()
    log_in(client, factory.manager(clinic=factory.clinic()), clock)
    assert held.case.id.hex[:8] not in text_of(client.get("/management/threats"))
    confirm = f"/management/threats/{warning.id}/confirm"
    assert client.get(confirm).status_code == 404
    token = csrf_token(client, "/management/threats")
    assert client.post(confirm, data={"csrf_token": token}).status_code == 404
    db.session.expire_all()
    assert db.session.get(ThreatWarning, warning.id).confirmed_at is None


def test_a_protected_partner_has_the_send_decision_form(
    client: FlaskClient, factory: Factory, clock
) -> None:
    case = handed_over_case(factory, clock, protected=True)
    holder = factory.partner_treater()
    pick_up(holder.user, case.id)
    db.session.commit()
    log_in(client, holder, clock)
    case_page = page_of(case)
    sends = case_view(case.id, "sends")
    assert f'action="{case_page}/send-decisions"' in text_of(client.get(sends))
    response = submit(
        client, case_page, {"channel": "sms", "reason": ""}, f"{case_page}/send-decisions"
    )
    assert response.status_code == 400 and 'id="reason-error"' in text_of(response)
    assert count(SendDecision, case) == 0
    response = submit(
        client, case_page, {"channel": "sms", "reason": "Kallelse"}, f"{case_page}/send-decisions"
    )
    assert response.status_code == 302
    assert count(SendDecision, case) == 1


@pytest.mark.parametrize("who", ["other_partner_treater", "client_treater", "manager"])
def test_only_the_holder_opens_or_posts_the_forms(
    client: FlaskClient, factory: Factory, held, clock, who
) -> None:
    account = {
        "other_partner_treater": factory.partner_treater,
        "client_treater": lambda: held.client_treater,
        "manager": factory.manager,
    }[who]()
    log_in(client, account, clock)
    token = csrf_token(client, "/account/")
    for path in FORMS:
        url = page_of(held.case, path)
        assert client.get(url).status_code == 404, url
        assert client.post(url, data={"csrf_token": token}).status_code == 404, url
    for model in (SuitabilityDecision, PartnerAnswer, SafeContactPlan, ContactAttempt):
        assert count(model, held.case) == 0


def test_a_partner_treater_has_no_management_pages(browser) -> None:
    assert browser.get("/management/threats").status_code == 403
