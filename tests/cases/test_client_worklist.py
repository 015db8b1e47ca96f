"""The client treater's worklist: a talk the partner-contact treater asked for and a risk
assessment whose review day has come wait on the client's own treater's home page and in the
menu's count, on nobody else's, and leave when the talk is held or a newer assessment made."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask

from partnercontact.client_side.cases.consultations import record_talk_held
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.risk_assessments import record_client_assessment
from partnercontact.client_side.cases.service import to_do_count
from partnercontact.db import db
from partnercontact.partner_side.consultations import ask_client_side
from partnercontact.partner_side.service import pick_up
from partnercontact.partner_side.worklist import worklist
from tests.factories import Factory
from tests.helpers import browser_of, sql_statements, text_of
from tests.partners.conftest import handed_over_case
from tests.ratings import rated
from tests.relay.conftest import client_id_of


def _items(page: str) -> list[str]:
    return re.findall(r'<li id="work-([a-z_]+)-[0-9a-f-]{36}"', page)


def _menu_count(page: str) -> int:
    found = re.search(r"Mina klienter \((\d+)\)", page)
    return int(found.group(1)) if found else 0


def test_a_talk_asked_for_and_a_review_due_wait_for_his_treater_only(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    partner_treater = factory.partner_treater()
    case = handed_over_case(factory, clock, client_treater=treater)
    client_id = client_id_of(case)
    pick_up(partner_treater.user, case.id)
    today = clock.now().date()
    start_treatment(treater.user, client_id, started_on=today)
    record_client_assessment(
        treater.user,
        client_id,
        instrument="sara",
        assessed_on=today,
        ratings=rated("sara", "absent"),
        level="low",
        next_review_on=today + timedelta(days=14),
        notes=None,
    )
    talk = ask_client_side(partner_treater.user, case.id, reason="coordination")
    db.session.commit()

    browser = browser_of(app, treater, clock)
    with sql_statements() as sent:
        home = text_of(browser.get("/client/"))
    assert _items(home) == ["talk"]
    assert _menu_count(home) == 1 == to_do_count(treater.user)
    # The home page gives the menu its number from the list it shows: no count of its own.
    assert not any(re.search(r"count\(\*\)[^()]*FROM client\b", text) for text in sent)

    clock.advance(days=15)  # the review day has come
    browser = browser_of(app, treater, clock)  # a new day, a new login
    home = text_of(browser.get("/client/"))
    assert _items(home) == ["talk", "risk_review"]
    assert _menu_count(home) == 2

    # Another client treater, the partner-contact treater, a manager: none of it.
    colleague = browser_of(app, factory.client_treater(), clock)
    assert _items(text_of(colleague.get("/client/"))) == []
    assert to_do_count(partner_treater.user) == 0
    assert all(item.kind not in ("talk", "risk_review") for item in worklist(partner_treater.user))
    manager_page = text_of(browser_of(app, factory.manager(), clock).get("/"))
    assert "work-talk" not in manager_page and "Mina klienter (" not in manager_page

    record_talk_held(treater.user, client_id, talk.id, held_on=clock.now().date())
    record_client_assessment(
        treater.user,
        client_id,
        instrument="sara",
        assessed_on=clock.now().date(),
        ratings=rated("sara", "absent"),
        level="low",
        next_review_on=clock.now().date() + timedelta(days=30),
        notes=None,
    )
    db.session.commit()
    home = text_of(browser.get("/client/"))
    assert _items(home) == [] and 'id="worklist-empty"' in home
    assert _menu_count(home) == 0
