"""The clinical records' pages: the case page's sections, the form pages, the inbox count
and the manager's urgent tasks. Structure over wording: translations come later."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from partnercontact.assessments.instruments import INSTRUMENTS
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.clinics.service import update_settings
from partnercontact.db import db
from partnercontact.partner_side.models import (
    Child,
    ConcernReport,
    RiskAssessment,
    SafetyPlan,
    UrgentTask,
)
from partnercontact.partner_side.service import pick_up
from tests.factories import Account, Factory
from tests.helpers import case_view, csrf_token, log_in, submit, text_of
from tests.partners.conftest import HandedOver
from tests.ratings import rated_form

NOTES = "Hotade med kniv i köket"
HANDLING = "Ringde henne samma dag"
PLAN_ONE = "Första planen: väska hos grannen"
PLAN_TWO = "Andra planen: skyddat boende vid behov"
BOARD = "Socialnämnden i Lindvik"
TODAY = "2026-01-15"

RISK_NEW = "risk-assessments/new?instrument=freda_danger"
RISK = {
    **rated_form("freda_danger"),
    "assessed_on": TODAY,
    "level": "moderate",
    "next_review_on": "2026-02-15",
    "notes": NOTES,
}


@pytest.fixture
def held(handed_over: HandedOver) -> HandedOver:
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()
    return handed_over


@pytest.fixture
def holder(client: FlaskClient, held: HandedOver, clock) -> FlaskClient:
    log_in(client, held.partner_treater, clock)
    return client


def _case(held: HandedOver) -> str:
    return f"/partner/cases/{held.case.id}"


def _count(model: type) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _logged_in(app: Flask, account: Account, clock) -> FlaskClient:
    other = app.test_client()
    log_in(other, account, clock)
    return other


def _managers_get_tasks(factory: Factory) -> None:
    clinic = factory.default_clinic
    update_settings(factory.admin(clinic=clinic).user, clinic, {"urgent_tasks_to_manager": True})
    db.session.commit()


def test_the_case_page_has_the_clinical_sections(holder: FlaskClient, held: HandedOver) -> None:
    page = text_of(holder.get(f"{_case(held)}?view=safety"))
    # Risk and safety, in that order; urgent tasks where the case page opens.
    positions = [
        page.index(f'id="{name}"') for name in ("risk", "children", "safety_plans", "concerns")
    ]
    assert positions == sorted(positions)
    assert 'id="urgent"' in text_of(holder.get(_case(held)))


def test_a_risk_assessment_through_its_page(holder: FlaskClient, held: HandedOver) -> None:
    page = f"{_case(held)}/{RISK_NEW}"
    form = holder.get(page)
    assert form.status_code == 200 and f'value="{TODAY}"' in text_of(form)
    response = submit(holder, page, RISK)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"{_case(held)}?view=safety#risk")
    stored = db.session.scalar(select(RiskAssessment))
    assert (stored.instrument, stored.level, stored.notes) == ("freda_danger", "moderate", NOTES)
    case_page = text_of(holder.get(case_view(held.case.id, "risk")))
    assert NOTES in case_page and "2026-02-15" in case_page
    assert 'id="risk-review-overdue"' not in case_page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"item_weapon_used": ""}, "item_weapon_used"),
        ({"item_strangling": "maybe"}, "item_strangling"),
        ({"assessed_on": ""}, "assessed_on"),
        ({"assessed_on": "2026-01-16"}, "assessed_on"),
        ({"assessed_on": "15/1"}, "assessed_on"),
        ({"level": ""}, "level"),
        ({"next_review_on": TODAY}, "next_review_on"),
    ],
)
def test_bad_risk_input_on_the_page(
    holder: FlaskClient, held: HandedOver, changes: dict, field: str
) -> None:
    response = submit(holder, f"{_case(held)}/{RISK_NEW}", {**RISK, **changes})
    assert response.status_code == 400
    page = text_of(response)
    assert f'id="{field}-error"' in page
    assert NOTES in page  # what was typed is kept
    assert _count(RiskAssessment) == 0


@pytest.mark.parametrize("instrument", ["", "tarot"])
def test_an_unknown_instrument_is_refused_with_the_choice_again(
    holder: FlaskClient, held: HandedOver, instrument: str
) -> None:
    page = f"{_case(held)}/risk-assessments/new?instrument={instrument}"
    response = submit(holder, page, RISK)
    assert response.status_code == 400
    assert 'id="instrument-error"' in text_of(response)
    assert _count(RiskAssessment) == 0


def test_the_form_asks_for_the_instrument_first_then_every_item(
    holder: FlaskClient, held: HandedOver
) -> None:
    chooser = text_of(holder.get(f"{_case(held)}/risk-assessments/new"))
    assert 'name="instrument"' in chooser and 'name="item_' not in chooser
    form = text_of(holder.get(f"{_case(held)}/risk-assessments/new?instrument=sam"))
    for item in INSTRUMENTS["sam"].items:
        assert f'name="item_{item.key}"' in form
    assert 'name="item_strangling"' not in form  # FREDA's, not SAM's


def test_a_recorded_assessment_shows_its_ratings(holder: FlaskClient, held: HandedOver) -> None:
    ratings = {**RISK, "item_strangling": "yes", "item_threat_to_kill": "yes"}
    submit(holder, f"{_case(held)}/{RISK_NEW}", ratings)
    stored = db.session.scalar(select(RiskAssessment))
    section = text_of(holder.get(case_view(held.case.id, "risk")))
    assert "2 av 14 frågor" in section
    page = text_of(holder.get(f"{_case(held)}/risk-assessments/{stored.id}"))
    assert "Han har försökt strypa henne" in page and NOTES in page


def test_an_overdue_review_shows_on_the_case_page(
    app: Flask, holder: FlaskClient, held: HandedOver, clock
) -> None:
    submit(holder, f"{_case(held)}/{RISK_NEW}", {**RISK, "next_review_on": "2026-01-20"})
    assert 'id="risk-review-overdue"' not in text_of(holder.get(case_view(held.case.id, "risk")))
    clock.advance(days=6)
    later = _logged_in(app, held.partner_treater, clock)  # a new session, days later
    assert 'id="risk-review-overdue"' in text_of(later.get(case_view(held.case.id, "risk")))


def test_a_high_risk_opens_tasks_the_holder_handles(
    app: Flask, holder: FlaskClient, held: HandedOver, factory: Factory
) -> None:
    assert 'id="work-urgent_task-' not in text_of(holder.get("/partner/"))
    response = submit(holder, f"{_case(held)}/{RISK_NEW}", {**RISK, "level": "high"})
    assert response.status_code == 302 and response.headers["Location"].endswith("#urgent")
    task = db.session.scalar(select(UrgentTask))
    assert task.for_role == "partner_treater" and _count(UrgentTask) == 1
    assert 'id="work-urgent_task-' in text_of(holder.get("/partner/"))

    handle = f"{_case(held)}/urgent/{task.id}/handle"
    assert handle in text_of(holder.get(case_view(held.case.id, "urgent")))
    response = submit(holder, handle, {"handling": "  "})
    assert response.status_code == 400 and 'id="handling-error"' in text_of(response)
    response = submit(holder, handle, {"handling": HANDLING})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(UrgentTask, task.id).handling == HANDLING
    assert 'id="work-urgent_task-' not in text_of(holder.get("/partner/"))
    case_page = text_of(holder.get(case_view(held.case.id, "urgent")))
    assert handle not in case_page and HANDLING in case_page


def test_the_managers_urgent_pages_show_no_notes(
    app: Flask, holder: FlaskClient, held: HandedOver, factory: Factory, clock
) -> None:
    _managers_get_tasks(factory)
    submit(holder, f"{_case(held)}/{RISK_NEW}", {**RISK, "level": "high"})
    assert _count(UrgentTask) == 2
    task = db.session.scalar(select(UrgentTask).where(UrgentTask.for_role == "manager"))
    manager = _logged_in(app, factory.manager(), clock)
    assert "/management/urgent" in text_of(manager.get("/management/"))

    listing = manager.get("/management/urgent")
    assert listing.status_code == 200
    page = text_of(listing)
    assert held.case.id.hex[:8] in page and TODAY in page
    handle = f"/management/urgent/{task.id}/handle"
    assert handle in page
    form = manager.get(handle)
    assert form.status_code == 200
    for page in (text_of(listing), text_of(form)):
        # The phone as typed and as stored: a bare "070" could be part of a random id.
        for secret in (
            NOTES,
            "Maja",
            "Storgatan",
            "070-765",
            "+4670765",
            "freda",
            str(held.case.id),
        ):
            assert secret not in page, secret

    response = submit(manager, handle, {"handling": ""})
    assert response.status_code == 400 and 'id="handling-error"' in text_of(response)
    response = submit(manager, handle, {"handling": HANDLING})
    assert response.status_code == 302
    assert held.case.id.hex[:8] not in text_of(manager.get("/management/urgent"))
    assert manager.get(handle).status_code == 404  # handled: no longer open
    # The holder's own task stays open until the holder handles it.
    assert 'id="work-urgent_task-' in text_of(holder.get("/partner/"))


def test_partner_treaters_get_no_manager_tasks(
    holder: FlaskClient, held: HandedOver, factory: Factory
) -> None:
    _managers_get_tasks(factory)
    submit(holder, f"{_case(held)}/{RISK_NEW}", {**RISK, "level": "high"})
    task = db.session.scalar(select(UrgentTask).where(UrgentTask.for_role == "manager"))
    listing = holder.get("/management/urgent")
    assert listing.status_code == 403 and held.case.id.hex[:8] not in text_of(listing)
    assert holder.get(f"/management/urgent/{task.id}/handle").status_code == 404
    token = csrf_token(holder, "/partner/")
    response = holder.post(
        f"/management/urgent/{task.id}/handle", data={"csrf_token": token, "handling": "x"}
    )
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(UrgentTask, task.id).handled_at is None


WRITES = [
    (RISK_NEW, RISK),
    ("children/new", {"label": "Liv", "age": "7"}),
    ("safety-plan", {"content": PLAN_ONE}),
    ("concern-reports/new", {"reported_on": TODAY, "board": BOARD, "reason": "neglect"}),
]


@pytest.mark.parametrize(
    ("who", "home"),
    [
        ("partner_treater", "/partner/"),
        ("client_treater", "/client/"),
        ("manager", "/management/"),
        ("admin", "/admin/users"),
    ],
)
def test_nobody_but_the_holder_writes_through_the_pages(
    app: Flask, held: HandedOver, factory: Factory, clock, who: str, home: str
) -> None:
    account = held.client_treater if who == "client_treater" else getattr(factory, who)()
    other = _logged_in(app, account, clock)
    token = csrf_token(other, home)
    # Another partner treater: no such case among theirs. Any other role: denied at the
    # wall (403, or 404 where the wall hides whether the record exists).
    refused = {404} if who == "partner_treater" else {403, 404}
    for path, data in WRITES:
        url = f"{_case(held)}/{path}"
        assert other.get(url).status_code in refused, path
        response = other.post(url, data={"csrf_token": token, **data})
        assert response.status_code in refused, path
    for model in (RiskAssessment, Child, SafetyPlan, ConcernReport):
        assert _count(model) == 0


def test_children_are_added_and_changed(holder: FlaskClient, held: HandedOver) -> None:
    page = f"{_case(held)}/children/new"
    for data, field in (
        ({"label": "", "age": "4"}, "label"),
        ({"label": "Liv", "age": "18"}, "age"),
        ({"label": "Liv", "age": "-1"}, "age"),
        ({"label": "Liv", "age": "sju"}, "age"),
    ):
        response = submit(holder, page, data)
        assert response.status_code == 400 and f'id="{field}-error"' in text_of(response), data
    assert _count(Child) == 0
    response = submit(holder, page, {"label": "Liv", "age": "7", "lives_with_client": "y"})
    assert response.status_code == 302
    child = db.session.scalar(select(Child))
    assert (child.label, child.age, child.lives_with_client) == ("Liv", 7, True)

    edit = f"{_case(held)}/children/{child.id}/edit"
    assert edit in text_of(holder.get(case_view(held.case.id, "children")))
    assert 'value="Liv"' in text_of(holder.get(edit))
    response = submit(holder, edit, {"label": "Liv", "age": "18"})
    assert response.status_code == 400 and 'id="age-error"' in text_of(response)
    response = submit(holder, edit, {"label": "L.", "age": "8"})
    assert response.status_code == 302
    db.session.expire_all()
    child = db.session.get(Child, child.id)
    assert (child.label, child.age, child.lives_with_client) == ("L.", 8, False)
    assert _count(Child) == 1
    assert holder.get(f"{_case(held)}/children/{uuid.uuid4()}/edit").status_code == 404


def test_safety_plans_are_saved_as_versions(holder: FlaskClient, held: HandedOver) -> None:
    page = f"{_case(held)}/safety-plan"
    response = submit(holder, page, {"content": "   "})
    assert response.status_code == 400 and 'id="content-error"' in text_of(response)
    assert submit(holder, page, {"content": PLAN_ONE}).status_code == 302
    assert PLAN_ONE in text_of(holder.get(page))  # a revision starts from the current text
    assert submit(holder, page, {"content": PLAN_TWO}).status_code == 302
    plans = db.session.scalars(select(SafetyPlan).order_by(SafetyPlan.version)).all()
    assert [(plan.version, plan.content) for plan in plans] == [(1, PLAN_ONE), (2, PLAN_TWO)]

    case_page = text_of(holder.get(case_view(held.case.id, "safety_plans")))
    assert PLAN_TWO in case_page and PLAN_ONE not in case_page
    earlier = f"{_case(held)}/safety-plans/{plans[0].id}"
    assert earlier in case_page
    assert PLAN_ONE in text_of(holder.get(earlier))
    assert holder.get(f"{_case(held)}/safety-plans/{uuid.uuid4()}").status_code == 404

    submit(holder, f"{_case(held)}/children/new", {"label": "Liv", "age": "7"})
    child = db.session.scalar(select(Child))
    child_page = f"{_case(held)}/children/{child.id}/safety-plan"
    assert child_page in text_of(holder.get(case_view(held.case.id, "children")))
    assert submit(holder, child_page, {"content": "Barnets plan"}).status_code == 302
    child_plan = db.session.scalar(select(SafetyPlan).where(SafetyPlan.child_id == child.id))
    assert child_plan.version == 1
    assert holder.get(f"{_case(held)}/children/{uuid.uuid4()}/safety-plan").status_code == 404


def test_concern_reports_through_their_page(holder: FlaskClient, held: HandedOver) -> None:
    submit(holder, f"{_case(held)}/children/new", {"label": "Liv", "age": "7"})
    child = db.session.scalar(select(Child))
    page = f"{_case(held)}/concern-reports/new"
    valid = {"reported_on": TODAY, "board": BOARD, "reason": "neglect", "child_id": str(child.id)}
    for changes, field in (
        ({"reported_on": "2026-01-16"}, "reported_on"),
        ({"reported_on": ""}, "reported_on"),
        ({"board": ""}, "board"),
        ({"board": "x" * 201}, "board"),
        ({"reason": ""}, "reason"),
        ({"child_id": str(uuid.uuid4())}, "child_id"),
    ):
        response = submit(holder, page, {**valid, **changes})
        assert response.status_code == 400, field
        assert f'id="{field}-error"' in text_of(response), field
    assert _count(ConcernReport) == 0
    response = submit(holder, page, valid)
    assert response.status_code == 302 and response.headers["Location"].endswith("#concerns")
    report = db.session.scalar(select(ConcernReport))
    assert (report.board, report.child_id, report.reason) == (BOARD, child.id, "neglect")
    assert report.recorded_by_id == held.partner_treater.user.id
    case_page = text_of(holder.get(case_view(held.case.id, "concerns")))
    assert BOARD in case_page and held.partner_treater.user.display_name in case_page
    assert submit(holder, page, {**valid, "child_id": ""}).status_code == 302


def test_nothing_of_it_reaches_the_client_side(
    app: Flask, holder: FlaskClient, held: HandedOver, clock
) -> None:
    submit(holder, f"{_case(held)}/{RISK_NEW}", {**RISK, "level": "high"})
    submit(holder, f"{_case(held)}/safety-plan", {"content": PLAN_ONE})
    submit(
        holder,
        f"{_case(held)}/concern-reports/new",
        {"reported_on": TODAY, "board": BOARD, "reason": "neglect"},
    )
    assert _count(ConcernReport) == 1
    client_id = db.session.scalar(
        select(TreatmentEpisode.client_id).where(TreatmentEpisode.id == held.case.episode_id)
    )
    treater = _logged_in(app, held.client_treater, clock)
    for url in ("/client/", f"/client/{client_id}"):
        response = treater.get(url)
        assert response.status_code == 200
        for secret in (NOTES, PLAN_ONE, BOARD):
            assert secret not in text_of(response), (url, secret)
