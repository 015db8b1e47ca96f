"""The case page opens with the one next step the rules derive from where the case stands,
and a summary of the case above everything else."""

from __future__ import annotations

from dataclasses import replace

import pytest
from flask import Flask

from partnercontact.db import db
from partnercontact.partner_side.next_step import NEXT_STEP_LABELS, CaseFacts, next_step
from partnercontact.web.partner_side.sections import view_of_anchor
from tests.cases_built import accepted_contact
from tests.helpers import log_in, text_of
from tests.partners.conftest import HandedOver

# A case in the ordinary rhythm of contact: suitable, reached, planned, accepted.
WORKING = CaseFacts(suitability="contact", reached=True, planned=True, answer="accepted")

STATES = [
    # (what differs from WORKING, the step, where it is done)
    ({}, "keep_in_touch", None),
    ({"sessions_to_book": 2}, "book_session", "sessions"),
    ({"risk_review_due": True, "sessions_to_book": 2}, "risk_review", "risk"),
    ({"answer": "pending"}, "answer", "answer"),
    ({"planned": False, "answer": "pending"}, "plan", "safe_contact"),
    ({"reached": False, "planned": False, "answer": "pending"}, "first_contact", "attempts"),
    ({"answer": "declined"}, "declined", None),
    ({"contact_ended": True}, "declined", None),
    ({"suitability": "no_contact"}, "no_contact", None),
    ({"suitability": None, "reached": False, "planned": False}, "suitability", "suitability"),
    ({"paused": True, "suitability": None}, "paused", "contact-paused"),
    ({"closing_to_record": True, "paused": True}, "closing", "relay"),
    ({"relayed_events_open": 1, "closing_to_record": True}, "relayed_event", "relay"),
    ({"urgent_tasks_open": 1, "relayed_events_open": 3}, "urgent_task", "urgent"),
    ({"closed": True, "urgent_tasks_open": 1}, "closed", None),
]


@pytest.mark.parametrize(("differs", "step", "anchor"), STATES, ids=[s[1] for s in STATES])
def test_the_next_step_is_right_for_each_state_of_a_case(
    differs: dict[str, object], step: str, anchor: str | None
) -> None:
    derived = next_step(replace(WORKING, **differs))

    assert (derived.key, derived.anchor) == (step, anchor)
    assert derived.key in NEXT_STEP_LABELS
    assert derived.actionable == (anchor is not None and step != "paused")
    if anchor is not None:
        view_of_anchor(anchor)  # a place the case page really has


def _page(app: Flask, handed_over: HandedOver, clock) -> str:
    db.session.rollback()
    clock.advance(seconds=31)
    browser = app.test_client()
    log_in(browser, handed_over.partner_treater, clock)
    return text_of(browser.get(f"/partner/cases/{handed_over.case.id}"))


def test_the_case_page_opens_with_the_summary_and_the_next_step(
    app: Flask, handed_over: HandedOver, clock
) -> None:
    from partnercontact.partner_side.service import pick_up

    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()

    fresh = _page(app, handed_over, clock)

    assert 'data-step="suitability"' in fresh and 'id="case-glance"' in fresh
    assert fresh.index('id="next-step"') < fresh.index('id="safety-step-list"')


def test_a_case_in_its_rhythm_asks_for_the_next_session_to_be_booked(
    app: Flask, handed_over: HandedOver, clock
) -> None:
    accepted_contact(handed_over.partner_treater.user, handed_over.case.id, clock)
    db.session.commit()

    working = _page(app, handed_over, clock)

    assert 'data-step="book_session"' in working
    assert "Tackat ja" in working  # her answer, in the summary
