"""The partner-contact treater's worklist: each kind of thing that needs her appears on the
worklist of the treater who holds the case, on nobody else's and never on the client side,
leaves it when it is handled where it belongs, and the menu counts what the list shows."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import time, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.client_side.cases.attendance import record_session as record_client_session
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side import clinical, contact, overrides, relay_inbox
from partnercontact.partner_side.messaging.inbound import receive_inbound
from partnercontact.partner_side.messaging.sms import new_idempotency_key, queue_sms
from partnercontact.partner_side.models import UrgentTask
from partnercontact.partner_side.scheduling.sessions import record_session
from partnercontact.partner_side.worklist import worklist
from partnercontact.relay.handover import PartnerDetails, hand_over
from partnercontact.relay.models import RelayEvent
from tests.factories import Account, Factory
from tests.helpers import browser_of, case_view, sql_statements, submit, text_of
from tests.messaging.sending import Held, held_for_sms
from tests.ratings import rated
from tests.scheduling.building import book, sessions
from tests.scheduling.test_calendar_pages import held_case

HER_NUMBER = "+46707654321"  # the number handed over with every test partner


@dataclass
class World:
    held: Held
    manager: Account
    clock: object

    @property
    def holder(self):
        return self.held.holder.user

    @property
    def case_id(self) -> uuid.UUID:
        return self.held.case.id

    def client_id(self) -> uuid.UUID:
        return db.session.get(TreatmentEpisode, self.held.case.episode_id).client_id


def _now(world: World):
    return world.clock.now()  # type: ignore[attr-defined]


def _text_from_her(body: str) -> Callable[[World], None]:
    def seed(world: World) -> None:
        receive_inbound(f"SM{uuid.uuid4().hex}", HER_NUMBER, body, _now(world))

    return seed


def _correction(world: World) -> None:
    hand_over(
        world.held.client_treater.user,
        world.client_id(),
        PartnerDetails(
            name="Maja Påhittad",
            phone="070-111 22 33",
            address="Nygatan 9, 123 45 Lindvik",
            relation="former",
            children_in_common="yes",
            protected_identity=False,
        ),
    )


def _threat_confirmed(world: World) -> None:
    today = _now(world).date()
    contact.record_answer(world.holder, world.case_id, answer="declined", answered_on=today)
    warning = contact.record_threat_warning(world.holder, world.case_id, reason="Han letar.")
    db.session.flush()
    contact.confirm_threat_warning(world.manager.user, warning.id)


def _override(world: World) -> None:
    overrides.decide_override(
        world.manager.user,
        case=world.case_id.hex[:8],
        rule="suitability",
        kind="sms",
        reason="imminent_threat",
    )


def _spend_override(world: World, browser: FlaskClient) -> None:
    queue_sms(
        world.holder,
        world.case_id,
        purpose="first_contact",
        language="sv",
        idempotency_key=new_idempotency_key(),
        confirm_duplicate=True,
    )


def _high_risk(world: World) -> None:
    today = _now(world).date()
    clinical.record_risk_assessment(
        world.holder,
        world.case_id,
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=today,
        level="high",
        next_review_on=today + timedelta(days=30),
        notes="Hot i telefon.",
    )


def _handle_urgent(world: World, browser: FlaskClient) -> None:
    task = db.session.scalar(
        select(UrgentTask).where(
            UrgentTask.partner_case_id == world.case_id, UrgentTask.for_role == "partner_treater"
        )
    )
    clinical.handle_urgent_task(world.holder, world.case_id, task.id, handling="Ringde henne.")


def _missed_session(world: World) -> None:
    today = _now(world).date()
    client_treater = world.held.client_treater.user
    start_treatment(client_treater, world.client_id(), started_on=today)
    record_client_session(client_treater, world.client_id(), held_on=today, attendance="missed")


def _told_of_events(world: World, browser: FlaskClient) -> None:
    for event_id in db.session.scalars(
        select(RelayEvent.id).where(RelayEvent.episode_id == world.held.case.episode_id)
    ):
        relay_inbox.record_outcome(
            world.holder,
            world.case_id,
            event_id,
            outcome="not_wanted",
            outcome_on=_now(world).date(),
        )


def _opens(view_of: str) -> Callable[[World, FlaskClient], None]:
    def handle(world: World, browser: FlaskClient) -> None:
        assert browser.get(case_view(world.case_id, view_of)).status_code == 200

    return handle


def _book_first(world: World) -> None:
    book(world.held, sessions(world.held)[0], _now(world).date(), time(16))


def _hold_booked(world: World, browser: FlaskClient) -> None:
    booked = next(s for s in sessions(world.held) if s.state == "booked")
    world.clock.advance(hours=7)  # type: ignore[attr-defined]  # past its time, the same day
    record_session(world.holder, world.case_id, booked.id, outcome="held", note=None)


# kind, how the case is made, what brings the item, how it is handled (where it belongs).
KINDS = [
    (
        "reply",
        "accepted",
        _text_from_her("Ring efter tre, han är hemma innan dess."),
        _opens("sms-replies"),
    ),
    ("stop", "accepted", _text_from_her("STOPP"), _opens("sms-replies")),
    ("correction", "accepted", _correction, _opens("details")),
    ("threat_decision", "accepted", _threat_confirmed, _opens("threat")),
    ("override", "new", _override, _spend_override),
    ("urgent_task", "accepted", _high_risk, _handle_urgent),
    ("relay", "accepted", _missed_session, _told_of_events),
    ("session_to_book", "accepted", lambda world: None, lambda world, browser: _book_first(world)),
    ("session_today", "accepted", _book_first, _hold_booked),
]


def _world(factory: Factory, clock, made: str) -> World:
    if made == "new":
        held = held_for_sms(
            factory,
            clock,
            suitable=False,
            scopes=["contact_phone", "contact_letter", "contact_sms", "tell_when_ended"],
        )
    else:
        held = held_case(factory, clock)
    return World(held, factory.manager(), clock)


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr id="work-([a-z_]+)-([0-9a-f]{8})"', page)


def _menu_count(page: str) -> int:
    found = re.search(r"Partnerkontakt \((\d+)\)", page)
    return int(found.group(1)) if found else 0


@pytest.mark.parametrize(("kind", "made", "seed", "handle"), KINDS, ids=[k[0] for k in KINDS])
def test_each_kind_is_on_her_treaters_worklist_only_and_leaves_when_handled(
    app: Flask, factory: Factory, clock, kind: str, made: str, seed, handle
) -> None:
    world = _world(factory, clock, made)
    reference = world.case_id.hex[:8]
    holder = browser_of(app, world.held.holder, clock)
    # Whatever the case brought with it (sessions planned today, say) is handled first, so that
    # the row seen below is the one the seed brings.
    before = {(item.kind, item.case_id) for item in worklist(world.holder)}
    seed(world)
    db.session.commit()

    home = text_of(holder.get("/partner/"))
    rows = _rows(home)
    assert (kind, reference) in rows
    assert (kind, world.case_id) not in before or kind == "session_to_book"
    assert _menu_count(home) == len(rows) == len(worklist(world.holder))

    # Another partner-contact treater of the clinic, the client's treater and a manager: not
    # on their lists, not in their menus.
    colleague = browser_of(app, factory.partner_treater(), clock)
    assert _rows(text_of(colleague.get("/partner/"))) == []
    for other in (world.held.client_treater, world.manager):
        browser = browser_of(app, other, clock)
        page = text_of(browser.get("/"))
        assert "work-" not in page and "Partnerkontakt (" not in page
        assert worklist(other.user) == []

    handle(world, holder)
    db.session.commit()
    home = text_of(holder.get("/partner/"))
    assert (kind, reference) not in _rows(home)
    assert _menu_count(home) == len(_rows(home))


def test_an_item_links_to_the_place_where_it_is_handled(
    app: Flask, factory: Factory, clock
) -> None:
    world = _world(factory, clock, "accepted")
    _text_from_her("Ring efter tre.")(world)
    db.session.commit()
    holder = browser_of(app, world.held.holder, clock)
    home = text_of(holder.get("/partner/"))
    link = re.search(r'<tr id="work-reply-[0-9a-f]{8}">\s*<td><a href="([^"]+)"', home)
    assert link is not None
    page = text_of(holder.get(link.group(1).replace("&amp;", "&")))
    assert 'id="sms-replies"' in page and "Ring efter tre." in page


def test_overdue_items_come_first(app: Flask, factory: Factory, clock) -> None:
    """A relayed event left beyond the clinic's hours for it goes above a fresh text reply."""
    world = _world(factory, clock, "accepted")
    _missed_session(world)
    db.session.commit()
    clock.advance(days=4)
    _text_from_her("Hej igen.")(world)
    db.session.commit()
    kinds = [item.kind for item in worklist(world.holder) if item.kind in ("relay", "reply")]
    assert kinds == ["relay", "reply"]
    relay = next(item for item in worklist(world.holder) if item.kind == "relay")
    assert relay.overdue


def test_the_worklist_is_read_in_one_statement_whatever_it_holds(factory: Factory, clock) -> None:
    """Every kind at once, on two cases: still one statement (no query per case or kind)."""
    treater = factory.partner_treater()
    manager = factory.manager()
    worlds = [World(held_case(factory, clock, holder=treater), manager, clock) for _ in range(2)]
    holder = treater.user
    for world in worlds:
        _text_from_her("Hej.")(world)
        _missed_session(world)
        _high_risk(world)
        _book_first(world)
    db.session.commit()
    assert holder.clinic is not None  # loaded before counting, as a request has it
    with sql_statements() as sent:
        items = worklist(holder)
    # Whom the treater covers today (every scope asks), and the worklist itself.
    assert len(sent) == 2 and "UNION ALL" in sent[1]
    assert {item.case_id for item in items} == {world.case_id for world in worlds}
    assert {"reply", "relay", "urgent_task", "session_today"} <= {item.kind for item in items}


def test_the_menu_keeps_its_count_a_minute_and_reads_it_afresh_after_a_form(
    app: Flask, factory: Factory, clock
) -> None:
    world = _world(factory, clock, "accepted")
    holder = browser_of(app, world.held.holder, clock)
    home = text_of(holder.get("/partner/"))
    before = _menu_count(home)
    _text_from_her("Ring efter tre.")(world)
    db.session.commit()
    calendar = "/calendar"
    # Within the minute another page shows the number it kept; the home page reads it afresh.
    assert _menu_count(text_of(holder.get(calendar))) == before
    assert _menu_count(text_of(holder.get("/partner/"))) == before + 1
    # Read on the case page (a GET): the number kept is a minute old at most.
    assert holder.get(case_view(world.case_id, "sms-replies")).status_code == 200
    assert _menu_count(text_of(holder.get(calendar))) == before + 1
    clock.advance(seconds=61)
    assert _menu_count(text_of(holder.get(calendar))) == before
    # A form sent: the next page reads it afresh.
    _text_from_her("Och en sak till.")(world)
    db.session.commit()
    assert submit(holder, calendar, {"language": "sv"}, "/language").status_code == 302
    assert _menu_count(text_of(holder.get(calendar))) == before + 1
