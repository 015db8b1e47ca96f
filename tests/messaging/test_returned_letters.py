"""A letter that came back: her treater marks it returned, no letter goes to her address
again until her details change, and until then the case waits on her treater's worklist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.partner_side.messaging import letters
from partnercontact.partner_side.messaging.models import SentLetter
from partnercontact.partner_side.rules import MessageRefused
from partnercontact.partner_side.service import PartnerCaseNotFound
from partnercontact.partner_side.worklist import worklist
from partnercontact.relay.handover import PartnerDetails, hand_over
from tests.factories import Factory
from tests.helpers import browser_of, case_view, submit, text_of
from tests.messaging.test_letters import Held, _held


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    return _held(factory, clock)


def _sent(held: Held, purpose: str = "information") -> SentLetter:
    letter = letters.send_letter(held.holder.user, held.case.id, purpose, "sv")
    db.session.commit()
    return letter


def _kinds(held: Held) -> set[str]:
    return {item.kind for item in worklist(held.holder.user)}


def test_a_returned_letter_stops_the_next_until_her_details_change(
    app: Flask, held: Held, clock
) -> None:
    letter = _sent(held)
    clock.advance(days=3)
    browser = browser_of(app, held.holder, clock)
    page = f"/partner/cases/{held.case.id}/letters/{letter.id}/returned"
    assert page in text_of(browser.get(case_view(held.case.id, "sent-letters")))

    empty = submit(browser, page, {"returned_on": ""})
    assert empty.status_code == 400 and 'id="returned_on-error"' in text_of(empty)
    before = (clock.now() - timedelta(days=5)).date().isoformat()
    early = submit(browser, page, {"returned_on": before})
    assert early.status_code == 400 and 'id="returned_on-error"' in text_of(early)
    db.session.rollback()
    assert db.session.get(SentLetter, letter.id).returned_on is None
    assert "letter_returned" not in _kinds(held)

    today = clock.now().date()
    marked = submit(browser, page, {"returned_on": today.isoformat()})
    assert marked.status_code == 302 and marked.headers["Location"].endswith("#sent-letters")
    db.session.rollback()
    assert db.session.get(SentLetter, letter.id).returned_on == today
    assert db.session.scalars(
        select(AuditEvent.resource_id).where(AuditEvent.action == AuditAction.LETTER_RETURNED)
    ).all() == [str(letter.id)]
    assert "letter_returned" in _kinds(held)
    assert 'id="work-letter_returned-' in text_of(browser.get("/partner/"))
    with pytest.raises(MessageRefused) as refused:
        letters.send_letter(held.holder.user, held.case.id, "call_announcement", "sv")
    assert refused.value.rule == "letter_returned"
    db.session.rollback()

    # Her treater on the client side hands over a corrected address: letters may go again.
    clock.advance(minutes=5)
    client_id = db.session.get(TreatmentEpisode, held.case.episode_id).client_id
    hand_over(
        held.client_treater.user,
        client_id,
        PartnerDetails(
            name="Maja Påhittad",
            phone="070-765 43 21",
            address="Nygatan 9, 123 45 Lindvik",
            relation="former",
            children_in_common="yes",
            protected_identity=False,
        ),
    )
    db.session.commit()
    assert "letter_returned" not in _kinds(held)
    clock.advance(minutes=5)
    assert _sent(held, "call_announcement").returned_on is None


def test_a_letter_is_marked_returned_once_and_only_by_one_who_works_the_case(
    factory: Factory, held: Held, clock
) -> None:
    letter = _sent(held)
    today = clock.now().date()
    letters.mark_returned(held.holder.user, held.case.id, letter.id, returned_on=today)
    db.session.commit()
    with pytest.raises(Conflict):
        letters.mark_returned(held.holder.user, held.case.id, letter.id, returned_on=today)
    db.session.rollback()
    with pytest.raises(PartnerCaseNotFound):
        letters.mark_returned(
            factory.partner_treater(clinic=held.clinic).user,
            held.case.id,
            letter.id,
            returned_on=today,
        )
    db.session.rollback()
    with pytest.raises(letters.LetterInvalid) as future:
        letters.mark_returned(
            held.holder.user, held.case.id, letter.id, returned_on=today + timedelta(days=1)
        )
    assert future.value.field == "returned_on"
