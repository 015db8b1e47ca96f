"""Consultation requests between the two treaters, both ways: either asks the other for a
talk with a reason from a closed list, the other gets it as a task, and the talk is recorded
as held on both sides without content. A request from the partner side reads the same whether
she accepted, declined or was never reached."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import insert, inspect, select
from sqlalchemy.exc import IntegrityError

from partnercontact.client_side.cases.consultations import ask_partner_side
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.partner_side.consultations import ask_client_side
from partnercontact.partner_side.contact import record_answer
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.models import Consultation
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.partners.conftest import HandedOver, handed_over_case
from tests.relay.conftest import client_id_of
from tests.web.test_blind_counterpart import _client_side_pages, _twin

# No column may hold free text: what crosses is a side, a reason, dates and who recorded them.
CONSULTATION_COLUMNS = {
    "id",
    "episode_id",
    "asked_from",
    "reason",
    "asked_by_id",
    "asked_at",
    "held_on",
    "held_recorded_by_id",
    "held_recorded_at",
}


@pytest.fixture
def held(factory: Factory, clock) -> HandedOver:
    client_treater = factory.client_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater)
    held = HandedOver(client_treater, factory.partner_treater(), case)
    pick_up(held.partner_treater.user, case.id)
    db.session.commit()
    return held


def _rows() -> list[Consultation]:
    db.session.rollback()
    return list(db.session.scalars(select(Consultation).order_by(Consultation.asked_at)))


def test_the_consultation_table_has_exactly_its_columns(app) -> None:
    assert {column["name"] for column in inspect(db.engine).get_columns("consultation")} == (
        CONSULTATION_COLUMNS
    )


def test_the_client_treater_asks_and_the_partner_treater_records_the_talk(
    app: Flask, held: HandedOver, clock
) -> None:
    client_id = client_id_of(held.case)
    clients_browser = app.test_client()
    log_in(clients_browser, held.client_treater, clock)
    asked = submit(clients_browser, f"/client/{client_id}/consultations/new", {"reason": "risk"})
    assert asked.status_code == 302
    (row,) = _rows()
    assert (row.asked_from, row.reason, row.held_on) == ("client", "risk", None)

    partners_browser = app.test_client()
    log_in(partners_browser, held.partner_treater, clock)
    case_page = text_of(partners_browser.get(f"/partner/cases/{held.case.id}"))
    assert f'id="consultation-{row.id}"' in case_page and "Prata igenom risken" in case_page
    page = f"/partner/cases/{held.case.id}/consultations/{row.id}"
    tomorrow = (clock.now().date() + timedelta(days=1)).isoformat()
    refused = submit(partners_browser, page, {"held_on": tomorrow})
    assert refused.status_code == 400 and 'id="held_on-error"' in text_of(refused)
    today = clock.now().date().isoformat()
    assert submit(partners_browser, page, {"held_on": today}).status_code == 302

    (row,) = _rows()
    assert row.held_on == clock.now().date()
    assert row.held_recorded_by_id == held.partner_treater.user.id
    client_page = text_of(clients_browser.get(f"/client/{client_id}"))
    assert today in client_page[client_page.index(f'id="consultation-{row.id}"') :]
    # Once held, a new request may be made.
    assert submit(clients_browser, f"/client/{client_id}/consultations/new", {"reason": "ending"})
    assert len(_rows()) == 2


def test_the_partner_treater_asks_and_the_client_treater_sees_it_waiting(
    app: Flask, held: HandedOver, clock
) -> None:
    partners_browser = app.test_client()
    log_in(partners_browser, held.partner_treater, clock)
    page = f"/partner/cases/{held.case.id}/consultations/new"
    missing = submit(partners_browser, page, {})
    assert missing.status_code == 400 and "Välj vad samtalet gäller." in text_of(missing)
    assert submit(partners_browser, page, {"reason": "coordination"}).status_code == 302
    again = submit(partners_browser, page, {"reason": "risk"})
    assert again.status_code == 409 and 'id="reason' in text_of(again)
    (row,) = _rows()

    clients_browser = app.test_client()
    log_in(clients_browser, held.client_treater, clock)
    assert "Ett samtal är begärt" in text_of(clients_browser.get("/client/"))
    client_id = client_id_of(held.case)
    client_page = text_of(clients_browser.get(f"/client/{client_id}"))
    assert "Samordna arbetet med ärendet" in client_page
    today = clock.now().date().isoformat()
    done = submit(
        clients_browser, f"/client/{client_id}/consultations/{row.id}", {"held_on": today}
    )
    assert done.status_code == 302
    assert "Ett samtal är begärt" not in text_of(clients_browser.get("/client/"))


def test_only_the_clients_treater_and_the_cases_holder_take_part(
    app: Flask, factory: Factory, held: HandedOver, clock
) -> None:
    client_id = client_id_of(held.case)
    with pytest.raises(NotFound):
        ask_partner_side(factory.client_treater().user, client_id, reason="risk")
    db.session.rollback()
    with pytest.raises(NotFound):
        ask_client_side(factory.partner_treater().user, held.case.id, reason="risk")
    db.session.rollback()
    stranger = app.test_client()
    log_in(stranger, factory.client_treater(), clock)
    assert stranger.get(f"/client/{client_id}/consultations/new").status_code == 404
    assert _rows() == []


def test_a_request_from_the_partner_side_is_the_same_whatever_she_answered(
    app: Flask, factory: Factory, clock
) -> None:
    client_treater, partner_treater = factory.client_treater(), factory.partner_treater()
    accepted, declined, unreached = (_twin(client_treater, partner_treater, clock) for _ in "abc")
    holder = partner_treater.user
    today = clock.now().date()
    first_steps_taken(holder, accepted[2], clock)
    record_answer(
        holder, accepted[2], answer="accepted", answered_on=today, scopes=["contact_phone"]
    )
    first_steps_taken(holder, declined[2], clock)
    record_answer(holder, declined[2], answer="declined", answered_on=today)
    db.session.commit()
    for twin in (accepted, declined, unreached):
        ask_client_side(holder, twin[2], reason="risk")
    db.session.commit()

    rows = _rows()
    differ = {"id", "episode_id"}
    as_written = [
        {name: getattr(row, name) for name in CONSULTATION_COLUMNS - differ} for row in rows
    ]
    assert len(as_written) == 3 and as_written[0] == as_written[1] == as_written[2]

    browser = app.test_client()
    log_in(browser, client_treater, clock)
    names = ("client_id", "consent_id", "case_id")
    seen = [
        _client_side_pages(app, browser, dict(zip(names, twin, strict=True)))
        for twin in (accepted, declined, unreached)
    ]
    assert seen[0] == seen[1] == seen[2]
    assert any("consultation-" in page[2].decode() for page in seen[0].values())


def test_the_database_refuses_a_reason_or_side_outside_its_list(
    app, held: HandedOver, clock
) -> None:
    row = {
        "episode_id": held.case.episode_id,
        "asked_by_id": held.client_treater.user.id,
        "asked_at": clock.now(),
    }
    for bad in (
        {"asked_from": "client", "reason": "she told me"},
        {"asked_from": "portal", "reason": "risk"},
    ):
        with pytest.raises(IntegrityError):
            db.session.execute(insert(Consultation).values(id=uuid.uuid4(), **bad, **row))
        db.session.rollback()
