"""Her answers to the outcome questions at a held session or a call that reached her: every
question answered from its own list (a missing one named), counted codes in the database, a
"yes" to new violence or threats opening the urgent tasks, once per contact even when sent
from several places at once, and only by one who works her case."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.partner_side import contact, outcomes
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.models import ContactOutcome, UrgentTask
from partnercontact.partner_side.scheduling.sessions import record_session
from partnercontact.partner_side.worklist import worklist
from tests.factories import Factory
from tests.helpers import browser_of, case_view, posted_at_once, submit, text_of
from tests.messaging.sending import Held
from tests.scheduling.building import book, sessions
from tests.scheduling.test_calendar_pages import held_case

QUIET = {
    "physical_violence": "no",
    "threats": "no",
    "control": "not_asked",
    "fear": "less",
    "children_exposed": "no_children",
    "feels_safe": "partly",
}


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    """A case whose first session was held this afternoon."""
    held = held_case(factory, clock)
    session = sessions(held)[0]
    book(held, session, clock.now().date(), time(11))
    clock.advance(hours=3)
    record_session(held.holder.user, held.case.id, session.id, outcome="held", note=None)
    db.session.commit()
    return held


def _answers_url(held: Held) -> str:
    return f"/partner/cases/{held.case.id}/sessions/{sessions(held)[0].id}/answers"


def _count(model) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def test_her_answers_after_a_held_session_are_shown_and_counted(
    app: Flask, held: Held, clock
) -> None:
    browser = browser_of(app, held.holder, clock)
    page = text_of(browser.get(case_view(held.case.id, "sessions")))
    assert _answers_url(held) in page  # "Her answers…" on the held session

    empty = submit(browser, _answers_url(held), {})
    assert empty.status_code == 400
    assert 'id="physical_violence-error"' in text_of(empty)
    assert "Välj ett svar på: Nytt fysiskt våld sedan förra kontakten?" in text_of(empty)
    one_missing = submit(browser, _answers_url(held), {**QUIET, "feels_safe": "perhaps"})
    assert one_missing.status_code == 400 and 'id="feels_safe-error"' in text_of(one_missing)
    # What was chosen is kept.
    assert re.search(r'<input checked[^>]*name="fear"[^>]*value="less"', text_of(one_missing))
    assert _count(ContactOutcome) == 0

    saved = submit(browser, _answers_url(held), QUIET)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("#sessions")
    row = db.session.scalars(select(ContactOutcome)).one()
    assert (row.fear, row.feels_safe, row.asked_on) == ("less", "partly", clock.now().date())
    page = text_of(browser.get(case_view(held.case.id, "sessions")))
    assert "Mindre rädd än vid förra kontakten" in page and "Delvis" in page
    assert _answers_url(held) not in page  # recorded once
    assert _count(UrgentTask) == 0
    audited = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == AuditAction.CONTACT_OUTCOME_RECORDED)
    ).one()
    assert audited.resource_id == str(held.case.id)

    again = submit(browser, _answers_url(held), QUIET)
    assert again.status_code == 409
    assert _count(ContactOutcome) == 1


@pytest.mark.parametrize("alarming", ["physical_violence", "threats"])
def test_a_yes_to_new_violence_or_threats_opens_the_urgent_tasks(
    app: Flask, held: Held, clock, alarming: str
) -> None:
    recorded = outcomes.record_outcome(
        held.holder.user,
        held.case.id,
        {**QUIET, alarming: "yes"},
        session_id=sessions(held)[0].id,
    )
    db.session.commit()
    assert recorded.alarmed
    task = db.session.scalars(
        select(UrgentTask).where(UrgentTask.for_role == "partner_treater")
    ).one()
    assert task.outcome_id == recorded.outcome.id
    assert "urgent_task" in {item.kind for item in worklist(held.holder.user)}
    browser = browser_of(app, held.holder, clock)
    urgent = text_of(browser.get(case_view(held.case.id, "urgent")))
    assert "Hon berättade om nytt våld eller hot vid en kontakt" in urgent


def test_answers_belong_to_a_held_session_or_a_call_that_reached_her(
    factory: Factory, held: Held, clock
) -> None:
    holder, case_id = held.holder.user, held.case.id
    not_held = sessions(held)[1]
    with pytest.raises(ContactInvalid) as refused:
        outcomes.record_outcome(holder, case_id, QUIET, session_id=not_held.id)
    assert refused.value.field == "contact"
    db.session.rollback()
    missed = contact.record_attempt(
        holder,
        case_id,
        channel="phone",
        outcome="no_answer",
        attempted_at=clock.now() - timedelta(minutes=5),
    ).attempt
    db.session.commit()
    with pytest.raises(ContactInvalid):
        outcomes.record_outcome(holder, case_id, QUIET, attempt_id=missed.id)
    db.session.rollback()
    reached = contact.record_attempt(
        holder,
        case_id,
        channel="phone",
        outcome="reached",
        attempted_at=clock.now() - timedelta(minutes=1),
        safe_to_talk=True,
    ).attempt
    db.session.commit()
    outcomes.record_outcome(holder, case_id, QUIET, attempt_id=reached.id)
    db.session.commit()
    with pytest.raises(Conflict):
        outcomes.record_outcome(holder, case_id, QUIET, attempt_id=reached.id)
    db.session.rollback()
    # Anyone who does not work the case: the case does not exist for them.
    other = factory.partner_treater().user
    with pytest.raises(Exception) as hidden:
        outcomes.record_outcome(other, case_id, QUIET, attempt_id=reached.id)
    assert getattr(hidden.value, "status", None) == 404
    db.session.rollback()
    assert _count(ContactOutcome) == 1


def test_the_answers_page_of_another_treaters_case_is_not_found(
    app: Flask, factory: Factory, held: Held, clock
) -> None:
    for account in (factory.partner_treater(), held.client_treater, factory.manager()):
        browser = browser_of(app, account, clock)
        assert browser.get(_answers_url(held)).status_code in (403, 404)


def test_answers_sent_from_several_places_at_once_are_recorded_once(
    app: Flask, held: Held, clock, backend: str
) -> None:
    url = _answers_url(held)
    browsers = [browser_of(app, held.holder, clock) for _ in range(3)]
    counted = posted_at_once(browsers, url, [{**QUIET, "threats": "yes"}] * len(browsers))
    # One records them; the others are told they are recorded (or, on SQLite, that the one
    # writer is busy).
    assert counted[302] == 1 and set(counted) <= {302, 409, 503}
    assert _count(ContactOutcome) == 1
    db.session.rollback()
    partner_tasks = db.session.scalars(
        select(UrgentTask).where(UrgentTask.for_role == "partner_treater")
    ).all()
    assert len(partner_tasks) == 1
