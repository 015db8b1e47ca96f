"""Escalations through the pages: the treater escalates from the case page, a manager finds it
on the task list beside the urgent consultations, threat warnings and reminders, and records
how it was handled; the treater then sees that on the case page."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.service import update_settings
from partnercontact.db import db
from partnercontact.partner_side import clinical, contact
from partnercontact.partner_side.escalations import Escalation
from partnercontact.partner_side.models import UrgentTask
from partnercontact.partner_side.service import pick_up
from partnercontact.tasks.queue import dispatch_due
from tests.factories import Account, Factory
from tests.helpers import case_view, csrf_token, log_in, submit, text_of
from tests.partners.conftest import HandedOver, handed_over_case
from tests.ratings import rated

NOTES = "Hotade med kniv i köket"
THREAT = "Han har skaffat ett vapen"


@pytest.fixture
def held(factory: Factory, clock) -> HandedOver:
    client_treater = factory.client_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater)
    holder = factory.partner_treater()
    pick_up(holder.user, case.id)
    db.session.commit()
    return HandedOver(client_treater, holder, case)


def _browser(app: Flask, account: Account, clock) -> FlaskClient:
    browser = app.test_client()
    log_in(browser, account, clock)
    return browser


def _case(held: HandedOver) -> str:
    return f"/partner/cases/{held.case.id}"


def _new(held: HandedOver) -> str:
    return f"{_case(held)}/escalations/new"


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Escalation))


def _rows(page: str) -> list[str]:
    """The ids of the task list's rows, in order."""
    return re.findall(r'<tr id="([a-z_]+-[0-9a-f-]{36})"', page)


def _escalate(browser: FlaskClient, held: HandedOver, reason: str, urgency: str) -> Escalation:
    response = submit(browser, _new(held), {"reason": reason, "urgency": urgency})
    assert response.status_code == 302, text_of(response)
    return db.session.scalar(
        select(Escalation).where(Escalation.reason == reason, Escalation.handled_at.is_(None))
    )


def test_the_holder_escalates_from_the_case_page_in_swedish(
    app: Flask, held: HandedOver, clock
) -> None:
    holder = _browser(app, held.partner_treater, clock)
    case_page = text_of(holder.get(case_view(held.case.id, "escalations")))
    assert '<html lang="sv">' in case_page
    assert 'id="escalations"' in case_page and _new(held) in case_page

    form = holder.get(_new(held))
    assert form.status_code == 200
    page = text_of(form)
    assert '<html lang="sv">' in page
    assert "Välj …" in page and "Avbryt" in page
    assert 'name="reason"' in page and 'name="urgency"' in page
    assert "<textarea" not in page and 'type="text"' not in page  # no free text at all

    response = submit(holder, _new(held), {"reason": "risk_consultation", "urgency": "urgent"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{_case(held)}?view=safety#escalations")
    escalation = db.session.scalar(select(Escalation))
    assert (escalation.reason, escalation.urgency) == ("risk_consultation", "urgent")
    assert escalation.raised_by_id == held.partner_treater.user.id
    assert f'id="escalation-{escalation.id}"' in text_of(
        holder.get(case_view(held.case.id, "escalations"))
    )


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "", "urgency": "normal"}, "reason"),
        ({"reason": "Maja är rädd", "urgency": "normal"}, "reason"),
        ({"urgency": "normal"}, "reason"),
        ({"reason": "other", "urgency": "soon"}, "urgency"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(
    app: Flask, held: HandedOver, clock, data: dict[str, str], field: str
) -> None:
    holder = _browser(app, held.partner_treater, clock)
    response = submit(holder, _new(held), data)
    assert response.status_code == 400
    assert f'id="{field}-error"' in text_of(response)
    assert _count() == 0


def test_a_second_open_escalation_for_the_same_reason_is_refused(
    app: Flask, held: HandedOver, clock
) -> None:
    holder = _browser(app, held.partner_treater, clock)
    _escalate(holder, held, "protected_identity", "normal")
    response = submit(holder, _new(held), {"reason": "protected_identity", "urgency": "urgent"})
    assert response.status_code == 409
    assert 'id="reason-error"' in text_of(response)
    assert _count() == 1
    # The form keeps what was chosen.
    assert re.search(r'<option selected value="urgent">|value="urgent" selected', text_of(response))


def test_the_manager_handles_escalations_urgent_first_beside_the_other_tasks(
    app: Flask, held: HandedOver, factory: Factory, clock
) -> None:
    clinic = factory.default_clinic
    update_settings(factory.admin(clinic=clinic).user, clinic, {"urgent_tasks_to_manager": True})
    manager_account = factory.manager()
    db.session.commit()
    treater = held.partner_treater.user
    holder = _browser(app, held.partner_treater, clock)

    # Partner side work that reaches the managers: an urgent consultation and a threat warning.
    clinical.record_risk_assessment(
        treater,
        held.case.id,
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=clock.now().date(),
        level="high",
        next_review_on=None,
        notes=NOTES,
    )
    contact.record_answer(treater, held.case.id, answer="declined", answered_on=clock.now().date())
    warning = contact.record_threat_warning(treater, held.case.id, reason=THREAT)
    db.session.commit()
    urgent_task = db.session.scalar(select(UrgentTask).where(UrgentTask.for_role == "manager"))
    clock.advance(minutes=5)
    normal = _escalate(holder, held, "no_treater_available", "normal")
    clock.advance(minutes=5)
    urgent = _escalate(holder, held, "safety_beyond_plan", "urgent")

    manager = _browser(app, manager_account, clock)
    listing = manager.get("/management/tasks")
    assert listing.status_code == 200
    page = text_of(listing)
    assert _rows(page) == [
        f"urgent_consultation-{urgent_task.id}",
        f"threat_warning-{warning.id}",
        f"escalation-{urgent.id}",
        f"escalation-{normal.id}",
    ]
    assert f"/management/urgent/{urgent_task.id}/handle" in page
    assert f"/management/threats/{warning.id}/confirm" in page
    handle = f"/management/tasks/escalations/{urgent.id}/handle"
    assert handle in page
    assert held.case.id.hex[:8] in page and treater.display_name in page
    viewed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.ESCALATIONS_VIEWED.value)
    ).all()
    assert [event.resource_type for event in viewed] == ["manager_tasks"]

    form = manager.get(handle)
    assert form.status_code == 200
    for shown in (page, text_of(form)):
        for secret in (NOTES, THREAT, "Maja", "Storgatan", "070-765", "+4670765", "Påhittad"):
            assert secret not in shown, secret
        assert str(held.case.id) not in shown

    response = submit(manager, handle, {"outcome": ""})
    assert response.status_code == 400 and 'id="outcome-error"' in text_of(response)
    response = submit(manager, handle, {"outcome": "Pratade med Maja"})
    assert response.status_code == 400 and 'id="outcome-error"' in text_of(response)
    response = submit(manager, handle, {"outcome": "reassigned"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/management/tasks")

    assert f"escalation-{urgent.id}" not in _rows(text_of(manager.get("/management/tasks")))
    assert manager.get(handle).status_code == 404  # handled: no longer open
    db.session.expire_all()
    handled = db.session.get(Escalation, urgent.id)
    assert (handled.outcome, handled.handled_by_id) == ("reassigned", manager_account.user.id)
    # The treater sees that, when and how it was handled.
    row = re.search(
        rf'<tr id="escalation-{urgent.id}">.*?</tr>',
        text_of(holder.get(case_view(held.case.id, "escalations"))),
        re.S,
    )
    assert row and manager_account.user.display_name in row.group(0)


def test_the_managers_reminders_are_on_the_task_list_with_a_way_to_mark_them_done(
    app: Flask, factory: Factory, clock
) -> None:
    manager_account = factory.manager()
    handed_over_case(factory, clock)  # nobody picks it up
    clock.advance(days=10)
    dispatch_due()
    db.session.commit()
    manager = _browser(app, manager_account, clock)
    page = text_of(manager.get("/management/tasks"))
    reminders = [row for row in _rows(page) if row.startswith("reminder-")]
    assert reminders
    reminder_id = reminders[0].removeprefix("reminder-")
    assert f"/reminders/{reminder_id}/done" in page
    token = csrf_token(manager, "/management/tasks")
    done = manager.post(f"/reminders/{reminder_id}/done", data={"csrf_token": token})
    assert done.status_code == 302
    assert f"reminder-{reminder_id}" not in _rows(text_of(manager.get("/management/tasks")))


def test_another_clinics_escalation_is_not_found(
    app: Flask, held: HandedOver, factory: Factory, clock
) -> None:
    holder = _browser(app, held.partner_treater, clock)
    escalation = _escalate(holder, held, "other", "urgent")
    elsewhere = _browser(app, factory.manager(clinic=factory.clinic()), clock)
    handle = f"/management/tasks/escalations/{escalation.id}/handle"
    assert held.case.id.hex[:8] not in text_of(elsewhere.get("/management/tasks"))
    assert elsewhere.get(handle).status_code == 404
    token = csrf_token(elsewhere, "/management/tasks")
    response = elsewhere.post(handle, data={"csrf_token": token, "outcome": "no_action"})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).handled_at is None


def test_handling_needs_the_form_token(app: Flask, held: HandedOver, factory: Factory, clock):
    holder = _browser(app, held.partner_treater, clock)
    escalation = _escalate(holder, held, "other", "normal")
    manager = _browser(app, factory.manager(), clock)
    response = manager.post(
        f"/management/tasks/escalations/{escalation.id}/handle", data={"outcome": "no_action"}
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).handled_at is None


@pytest.mark.parametrize("who", ["client_treater", "admin"])
def test_a_client_treater_and_an_administrator_reach_none_of_it(
    app: Flask, held: HandedOver, factory: Factory, clock, who: str
) -> None:
    holder = _browser(app, held.partner_treater, clock)
    escalation = _escalate(holder, held, "other", "urgent")
    account = held.client_treater if who == "client_treater" else factory.admin()
    other = _browser(app, account, clock)
    listing = other.get("/management/tasks")
    assert listing.status_code == 403
    assert held.case.id.hex[:8] not in text_of(listing)
    handle = f"/management/tasks/escalations/{escalation.id}/handle"
    assert other.get(handle).status_code == 404
    token = csrf_token(other, "/account/")
    assert other.post(handle, data={"csrf_token": token, "outcome": "no_action"}).status_code == 404
    assert other.get(_new(held)).status_code == 404
    response = other.post(
        _new(held), data={"csrf_token": token, "reason": "protected_identity", "urgency": "normal"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Escalation, escalation.id).handled_at is None
    assert _count() == 1


def test_a_manager_cannot_escalate_nor_a_treater_handle(
    app: Flask, held: HandedOver, factory: Factory, clock
) -> None:
    holder = _browser(app, held.partner_treater, clock)
    escalation = _escalate(holder, held, "other", "urgent")
    handle = f"/management/tasks/escalations/{escalation.id}/handle"
    assert holder.get("/management/tasks").status_code == 403
    assert holder.get(handle).status_code == 404
    manager = _browser(app, factory.manager(), clock)
    assert manager.get(_new(held)).status_code == 404
