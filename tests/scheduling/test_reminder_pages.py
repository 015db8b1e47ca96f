"""Reminders in the browser: raised for real by the dispatcher, each shown only to the person
it is for, with the case reference (a link only for the case's holder), counted in the menu,
and marked done by their owner alone; anyone else's reminder is a page that does not exist."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest
from flask import Flask
from sqlalchemy import select

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.partner_side.service import pick_up, reference_of
from partnercontact.tasks.queue import dispatch_due
from tests.factories import Account, Factory
from tests.helpers import masked, submit, text_of
from tests.partners.conftest import handed_over_case
from tests.scheduling.test_calendar_pages import logged_in, utc


@dataclass
class World:
    holder: Account
    colleague: Account
    manager: Account
    mine: PartnerCase
    theirs: PartnerCase
    waiting: PartnerCase


def picked_up(factory: Factory, clock, holder: Account, **details: object) -> PartnerCase:
    partner_case = handed_over_case(factory, clock, **details)  # type: ignore[arg-type]
    pick_up(holder.user, partner_case.id)
    db.session.commit()
    return partner_case


@pytest.fixture
def world(factory: Factory, clock) -> World:
    """Three cases handed over on 15 January, their first contact due on the 20th: two held
    by two treaters, one nobody has picked up (its reminder goes to the managers). On the
    21st the dispatcher raises the reminders."""
    holder, colleague, manager = (
        factory.partner_treater(),
        factory.partner_treater(),
        factory.manager(),
    )
    mine = picked_up(factory, clock, holder)
    theirs = picked_up(factory, clock, colleague, name="Kollegans Partner", phone="070-2223344")
    waiting = handed_over_case(factory, clock, name="Väntande Partner", phone="070-5556677")
    clock.set(utc(2026, 1, 21, 10, 0))
    dispatch_due()
    return World(holder, colleague, manager, mine, theirs, waiting)


def reminders_of(account: Account) -> list[StaffReminder]:
    db.session.expire_all()
    return list(
        db.session.scalars(select(StaffReminder).where(StaffReminder.user_id == account.user.id))
    )


def row_ids(page: str) -> list[str]:
    return re.findall(r'<tr id="reminder-([0-9a-f-]+)">', page)


def menu_count(page: str) -> str | None:
    match = re.search(r'<a href="/reminders"[^>]*>[^<(]*(?:\((\d+)\))?</a>', page)
    assert match, "no reminders in the menu"
    return match.group(1)


def test_each_treater_sees_only_their_own_reminders_with_a_link_to_their_case(
    app: Flask, world: World, clock
) -> None:
    (reminder,) = reminders_of(world.holder)
    assert reminder.kind == kinds.FIRST_CONTACT_DUE
    assert reminder.partner_case_id == world.mine.id
    (theirs,) = reminders_of(world.colleague)
    client = logged_in(app, world.holder, clock)
    page = text_of(client.get("/reminders"))
    assert row_ids(page) == [str(reminder.id)]
    row = page[page.index(f'id="reminder-{reminder.id}"') :]
    assert f'href="/partner/cases/{world.mine.id}"' in row
    assert reference_of(world.mine) in row
    assert "2026-01-20 09:00" in row  # due at the clinic's 09:00
    assert str(theirs.id) not in page
    assert reference_of(world.theirs) not in page
    assert "Kollegans" not in page and "Väntande" not in page
    assert menu_count(page) == "1"


def test_marking_a_reminder_done_clears_it_and_is_audited(app: Flask, world: World, clock) -> None:
    (reminder,) = reminders_of(world.holder)
    client = logged_in(app, world.holder, clock)
    response = submit(client, "/reminders", {}, f"/reminders/{reminder.id}/done")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/reminders")
    (done,) = reminders_of(world.holder)
    assert done.done_at == clock.now()
    page = text_of(client.get("/reminders"))
    assert row_ids(page) == []
    assert 'id="no-reminders"' in page
    assert menu_count(page) is None
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == AuditAction.REMINDER_DONE)
    )
    assert event.actor_id == world.holder.user.id
    assert (event.resource_type, event.resource_id) == ("staff_reminder", str(reminder.id))


def test_someone_elses_reminder_is_a_reminder_that_does_not_exist(
    app: Flask, world: World, clock
) -> None:
    (theirs,) = reminders_of(world.colleague)
    client = logged_in(app, world.holder, clock)
    response = submit(client, "/reminders", {}, f"/reminders/{theirs.id}/done")
    assert response.status_code == 404
    (still,) = reminders_of(world.colleague)
    assert still.done_at is None
    unknown = submit(client, "/reminders", {}, f"/reminders/{uuid.uuid4()}/done")
    assert unknown.status_code == 404
    assert masked(text_of(unknown)) == masked(text_of(response))
    assert not db.session.scalar(
        select(AuditEvent.seq).where(AuditEvent.action == AuditAction.REMINDER_DONE)
    )


def test_marking_done_needs_the_form_token(app: Flask, world: World, clock) -> None:
    (reminder,) = reminders_of(world.holder)
    client = logged_in(app, world.holder, clock)
    assert client.post(f"/reminders/{reminder.id}/done").status_code == 400
    (still,) = reminders_of(world.holder)
    assert still.done_at is None


def test_a_manager_sees_the_reminder_of_a_case_nobody_holds_without_a_link(
    app: Flask, world: World, clock
) -> None:
    (reminder,) = reminders_of(world.manager)
    assert reminder.partner_case_id == world.waiting.id
    client = logged_in(app, world.manager, clock)
    page = text_of(client.get("/reminders"))
    assert row_ids(page) == [str(reminder.id)]
    assert reference_of(world.waiting) in page
    assert "/partner/cases/" not in page
    assert "Väntande" not in page and "5556677" not in page
    assert menu_count(page) == "1"
    response = submit(client, "/reminders", {}, f"/reminders/{reminder.id}/done")
    assert response.status_code == 302
    assert reminders_of(world.manager)[0].done_at is not None


@pytest.mark.parametrize("role", ["client_treater", "admin"])
def test_roles_without_reminders_have_no_reminders_page(
    app: Flask, factory: Factory, world: World, clock, role: str
) -> None:
    client = logged_in(app, getattr(factory, role)(), clock)
    assert client.get("/reminders").status_code == 403
    (reminder,) = reminders_of(world.holder)
    assert client.post(f"/reminders/{reminder.id}/done").status_code == 404
    assert 'href="/reminders"' not in text_of(client.get("/account/"))
