"""A colleague covers an absent treater's cases from the cover's first day to its last, and
then no longer; never the other side of a client the colleague works with."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.client_side.cases.service import client_for, clients_of
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.partner_side.relay_inbox import relayed_events
from partnercontact.partner_side.service import held_case_for, partner_case_for
from partnercontact.policy import Role
from partnercontact.staffing.cover import end_cover, grant_cover
from partnercontact.staffing.models import Cover
from tests.factories import Account, Factory
from tests.helpers import log_in, submit, text_of
from tests.staffing.conftest import World


def _browser(app: Flask, account: Account, clock) -> FlaskClient:
    db.session.rollback()  # no read left open while the pages write (SQLite)
    clock.advance(seconds=31)  # a fresh one-time code for each login
    browser = app.test_client()
    log_in(browser, account, clock)
    return browser


def _status(app: Flask, account: Account, clock, path: str) -> int:
    return _browser(app, account, clock).get(path).status_code


def test_cover_starts_and_ends_on_its_dates(app: Flask, world: World) -> None:
    clock, today = world.clock, world.clock.now().date()
    case_page = f"/partner/cases/{world.case.id}"
    manager = _browser(app, world.manager, clock)
    form = text_of(manager.get("/management/covers"))
    assert world.old.user.display_name in form and world.new.user.display_name in form
    db.session.rollback()

    granted = submit(
        manager,
        "/management/covers",
        {
            "absent_user_id": str(world.old.user.id),
            "cover_user_id": str(world.new.user.id),
            "starts_on": (today + timedelta(days=2)).isoformat(),
            "ends_on": (today + timedelta(days=4)).isoformat(),
            "reason": "holiday",
        },
    )

    assert granted.status_code == 302
    listed = text_of(_browser(app, world.manager, clock).get("/management/covers"))
    assert (
        world.new.user.display_name in listed and (today + timedelta(days=4)).isoformat() in listed
    )
    # The day before the first: nothing yet.
    clock.advance(days=1)
    assert _status(app, world.new, clock, case_page) == 404
    # The first day: the colleague works the case and finds what waits on it.
    clock.advance(days=1)
    home = text_of(_browser(app, world.new, clock).get("/partner/"))
    assert f'id="covered-{world.case.id.hex[:8]}"' in home
    page = text_of(_browser(app, world.new, clock).get(case_page))
    assert "Pick up" not in page
    db.session.expire_all()
    covered = held_case_for(world.new.user, world.case.id)
    assert [event.kind for event in relayed_events(world.new.user, covered) if event.open] == [
        "treatment_started"
    ]
    # The last day still counts; the day after, the cover is over without anything running.
    clock.advance(days=2)
    assert _status(app, world.new, clock, case_page) == 200
    clock.advance(days=1)
    assert _status(app, world.new, clock, case_page) == 404
    # All along the case stayed its holder's.
    assert _status(app, world.old, clock, case_page) == 200


def test_a_manager_ends_a_cover_early_after_a_confirmation(app: Flask, world: World) -> None:
    today = world.clock.now().date()
    cover = grant_cover(
        world.manager.user, absent_user_id=world.old.user.id, cover_user_id=world.new.user.id,
        starts_on=today, ends_on=today + timedelta(days=10), reason="illness",
    )  # fmt: skip
    db.session.commit()
    assert _status(app, world.new, world.clock, f"/partner/cases/{world.case.id}") == 200
    manager = _browser(app, world.manager, world.clock)
    asked = text_of(manager.get(f"/management/covers/{cover.id}/end"))
    assert "Avsluta vikariatet nu?" in asked
    db.session.rollback()

    ended = submit(manager, f"/management/covers/{cover.id}/end", {})

    assert ended.status_code == 302
    assert _status(app, world.new, world.clock, f"/partner/cases/{world.case.id}") == 404
    actions = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.resource_id == str(cover.id))
    ).all()
    assert actions == ["staff.cover_granted", "staff.cover_ended"]


def test_a_client_treaters_clients_are_covered_by_a_colleague(
    factory: Factory, world: World
) -> None:
    colleague = factory.client_treater()
    today = world.clock.now().date()
    with pytest.raises(NotFound):
        client_for(colleague.user, world.client_id)
    grant_cover(
        world.manager.user, absent_user_id=world.client_treater.user.id,
        cover_user_id=colleague.user.id, starts_on=today, ends_on=today, reason="training",
    )  # fmt: skip
    db.session.commit()

    assert client_for(colleague.user, world.client_id).id == world.client_id
    (listed,) = clients_of(colleague.user)
    assert listed.covered
    world.clock.advance(days=1)
    with pytest.raises(NotFound):
        client_for(colleague.user, world.client_id)


def test_a_colleague_never_covers_the_other_side_of_their_own_client(
    factory: Factory, world: World
) -> None:
    # A client treater who has since moved to partner contact still treats the client, and
    # is asked to cover the partner case's holder.
    colleague = world.client_treater.user
    colleague.role = Role.PARTNER_TREATER.value
    db.session.commit()
    today = world.clock.now().date()
    grant_cover(
        world.manager.user, absent_user_id=world.old.user.id, cover_user_id=colleague.id,
        starts_on=today, ends_on=today + timedelta(days=5), reason="illness",
    )  # fmt: skip
    db.session.commit()

    with pytest.raises(NotFound):
        partner_case_for(colleague, world.case.id)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"starts_on": "yesterday"}, "starts_on"),
        ({"starts_on": "2026-13-40"}, "starts_on"),
        ({"ends_on": "before"}, "ends_on"),
        ({"ends_on": "in two years"}, "ends_on"),
        ({"cover_user_id": "self"}, "cover_user_id"),
        ({"cover_user_id": "other side"}, "cover_user_id"),
        ({"absent_user_id": ""}, "absent_user_id"),
        ({"reason": "fishing"}, "reason"),
    ],
)
def test_a_cover_the_clinic_cannot_use_is_refused_naming_the_field(
    app: Flask, world: World, change: dict[str, str], field: str
) -> None:
    today = world.clock.now().date()
    words = {
        "yesterday": (today - timedelta(days=1)).isoformat(),
        "before": (today - timedelta(days=1)).isoformat(),
        "in two years": (today + timedelta(days=730)).isoformat(),
        "self": str(world.old.user.id),
        "other side": str(world.client_treater.user.id),
    }
    form = {
        "absent_user_id": str(world.old.user.id),
        "cover_user_id": str(world.new.user.id),
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=3)).isoformat(),
        "reason": "holiday",
    } | {key: words.get(value, value) for key, value in change.items()}
    manager = _browser(app, world.manager, world.clock)

    refused = submit(manager, "/management/covers", form)

    assert refused.status_code == 400
    assert f'id="{field}-error"' in text_of(refused)
    db.session.rollback()
    assert db.session.scalars(select(Cover)).all() == []


def test_only_a_manager_of_the_clinic_grants_a_cover(factory: Factory, world: World) -> None:
    elsewhere = factory.manager(clinic=factory.clinic("Grannmottagningen"))
    today = world.clock.now().date()
    for who in (world.new.user, elsewhere.user):
        with pytest.raises(Exception) as refused:
            grant_cover(
                who, absent_user_id=world.old.user.id, cover_user_id=world.new.user.id,
                starts_on=today, ends_on=today, reason="other",
            )  # fmt: skip
        assert refused.value.status in (400, 404)
        db.session.rollback()
    cover = grant_cover(
        world.manager.user, absent_user_id=world.old.user.id, cover_user_id=world.new.user.id,
        starts_on=today, ends_on=today, reason="other",
    )  # fmt: skip
    db.session.commit()
    with pytest.raises(NotFound):
        end_cover(elsewhere.user, cover.id)


def test_a_protected_partners_details_reach_the_colleague_only_while_the_cover_lasts(
    factory: Factory, clock
) -> None:
    from partnercontact.partner_side.service import inbox, is_named_for, pick_up

    world = World(factory, clock, protected=True)
    pick_up(world.old.user, world.case.id)
    today = clock.now().date()
    grant_cover(
        world.manager.user, absent_user_id=world.old.user.id, cover_user_id=world.new.user.id,
        starts_on=today, ends_on=today, reason="illness",
    )  # fmt: skip
    db.session.commit()

    covered = partner_case_for(world.new.user, world.case.id, audited=False)
    assert is_named_for(world.new.user, covered)
    (listed,) = inbox(world.new.user)
    assert listed.covered and listed.partner_name == "Maja Påhittad"
    db.session.rollback()
    clock.advance(days=1)
    assert inbox(world.new.user) == []
    # Nothing was granted for good: the colleague was never named for her.
    from partnercontact.partner_side.models import ProtectedAccess

    assert db.session.scalars(select(ProtectedAccess.user_id)).all() == [world.old.user.id]
