"""Staff come and go: a manager moves a partner case or a client to a colleague, and what
waits on it moves too; a case whose treater cannot act is on the managers' list, and no
reminder goes to a disabled account."""

from __future__ import annotations

import uuid

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.auth.service import disable_user
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.reassignment import reassign_client
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.partner_side import clinical
from partnercontact.partner_side.reassignment import reassign_case
from partnercontact.partner_side.relay_inbox import relayed_events
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.partner_side.scheduling.sessions import sessions_of
from partnercontact.partner_side.service import is_named_for, partner_case_for
from partnercontact.staffing.models import Reassignment
from partnercontact.tasks.queue import dispatch_due
from tests.factories import Account, Factory
from tests.helpers import log_in, submit, text_of
from tests.staffing.conftest import World


def _browser(app: Flask, account: Account, clock) -> FlaskClient:
    db.session.rollback()  # no read left open while the pages write (SQLite)
    browser = app.test_client()
    log_in(browser, account, clock)
    return browser


def test_the_new_holder_finds_everything_waiting_and_the_old_one_loses_the_case(
    app: Flask, world: World
) -> None:
    manager = _browser(app, world.manager, world.clock)
    page = f"/management/partner-cases/{world.case.id}/move"
    form = text_of(manager.get(page))
    assert world.new.user.display_name in form and world.case.id.hex[:8] in form
    assert world.client_treater.user.display_name not in form  # the two-treater rule
    to = str(world.new.user.id)
    db.session.rollback()

    moved = submit(manager, page, {"to_user_id": to, "reason": "absence"})

    assert moved.status_code == 302
    db.session.expire_all()
    new, old = world.new.user, world.old.user
    case = partner_case_for(new, world.case.id)
    assert [event.kind for event in relayed_events(new, case) if event.open] == [
        "treatment_started"
    ]
    assert [task.for_role for task in clinical.urgent_tasks_of_case(new, case)] == [
        "partner_treater"
    ]
    assert [session.state for session in sessions_of(new, case)][:1] == ["booked"]
    with pytest.raises(NotFound):
        partner_case_for(old, world.case.id)
    old_browser = _browser(app, world.old, world.clock)
    assert old_browser.get(f"/partner/cases/{world.case.id}").status_code == 404
    new_home = text_of(_browser(app, world.new, world.clock).get("/partner/"))
    assert f'id="moved-{world.case.id.hex[:8]}"' in new_home
    (record,) = db.session.scalars(select(Reassignment)).all()
    assert (record.from_user_id, record.to_user_id, record.reason) == (old.id, new.id, "absence")


def test_open_reminders_move_and_later_ones_go_to_the_new_holder(world: World) -> None:
    world.clock.advance(days=3, hours=12)  # the risk review falls due
    dispatch_due()
    db.session.commit()
    reminders = db.session.scalars(select(StaffReminder.user_id)).all()
    assert reminders and set(reminders) == {world.old.user.id}
    reassign_case(world.manager.user, world.case.id, to_user_id=world.new.user.id, reason="left")
    db.session.commit()
    open_for = db.session.scalars(
        select(StaffReminder.user_id).where(StaffReminder.done_at.is_(None))
    ).all()
    assert set(open_for) == {world.new.user.id}


def test_the_clients_own_treater_never_gets_the_partner_case(app: Flask, world: World) -> None:
    with pytest.raises(Exception) as refused:
        reassign_case(
            world.manager.user,
            world.case.id,
            to_user_id=world.client_treater.user.id,
            reason="workload",
        )
    assert refused.value.status == 409 and refused.value.field == "to_user_id"
    db.session.rollback()
    page = f"/management/partner-cases/{world.case.id}"
    theirs, colleague = str(world.client_treater.user.id), str(world.new.user.id)
    manager = _browser(app, world.manager, world.clock)
    response = submit(manager, f"{page}/move", {"to_user_id": theirs, "reason": "workload"})
    assert response.status_code == 409 and 'id="to_user_id-error"' in text_of(response)
    bad = submit(manager, f"{page}/move", {"to_user_id": colleague, "reason": "he annoys me"})
    assert bad.status_code == 400 and 'id="reason-error"' in text_of(bad)
    assert db.session.scalars(select(Reassignment)).all() == []


def test_only_a_manager_of_the_clinic_moves_a_case(factory: Factory, world: World) -> None:
    elsewhere = factory.manager(clinic=factory.clinic("Grannmottagningen"))
    for actor in (world.new.user, world.client_treater.user, elsewhere.user):
        with pytest.raises(NotFound):
            reassign_case(actor, world.case.id, to_user_id=world.new.user.id, reason="left")
        db.session.rollback()


def test_a_protected_partner_is_named_for_the_new_holder_only(factory: Factory, clock) -> None:
    world = World(factory, clock, protected=True)
    from partnercontact.partner_side.service import pick_up

    pick_up(world.old.user, world.case.id)
    db.session.commit()
    reassign_case(world.manager.user, world.case.id, to_user_id=world.new.user.id, reason="left")
    db.session.commit()
    db.session.expire_all()
    case = partner_case_for(world.new.user, world.case.id, audited=False)
    assert is_named_for(world.new.user, case)
    db.session.rollback()
    from partnercontact.partner_side.models import ProtectedAccess

    named = db.session.scalars(select(ProtectedAccess.user_id)).all()
    assert named == [world.new.user.id]


def test_a_disabled_holders_cases_wait_on_the_managers_list_and_reminders_skip_them(
    app: Flask, world: World
) -> None:
    manager = _browser(app, world.manager, world.clock)
    assert 'id="nothing-to-move"' in text_of(manager.get("/management/tasks"))
    disable_user(None, world.old.user)
    db.session.commit()
    db.session.rollback()

    tasks = text_of(manager.get("/management/tasks"))
    assert f'id="move-case-{world.case.id.hex[:8]}"' in tasks

    world.clock.advance(days=3, hours=12)  # the risk review falls due
    dispatch_due()
    db.session.commit()
    reminded = set(db.session.scalars(select(StaffReminder.user_id)).all())
    assert reminded and world.old.user.id not in reminded
    assert world.manager.user.id in reminded


def test_a_treater_away_longer_than_the_clinic_allows_puts_the_case_on_the_list(
    app: Flask, world: World
) -> None:
    reference = world.case.id.hex[:8]
    _browser(app, world.old, world.clock)  # logged in today
    manager = _browser(app, world.manager, world.clock)
    assert f'id="move-case-{reference}"' not in text_of(manager.get("/management/tasks"))
    world.clock.advance(days=22)  # the clinic's default is 21 days
    manager = _browser(app, world.manager, world.clock)
    assert f'id="move-case-{reference}"' in text_of(manager.get("/management/tasks"))


# --- clients ------------------------------------------------------------------------------------


def test_a_client_moves_with_his_open_episode_to_another_client_treater(
    app: Flask, factory: Factory, world: World
) -> None:
    colleague = factory.client_treater()
    manager = _browser(app, world.manager, world.clock)
    page = f"/management/clients/{world.client_id}/move"
    form = text_of(manager.get(page))
    assert colleague.user.display_name in form
    assert world.old.user.display_name not in form  # no partner treater, and not the holder
    to = str(colleague.user.id)
    db.session.rollback()
    unsaid = submit(manager, page, {"to_user_id": to, "reason": "he is tired of him"})
    assert unsaid.status_code == 400 and 'id="reason-error"' in text_of(unsaid)

    moved = submit(manager, page, {"to_user_id": to, "reason": "left"})

    assert moved.status_code == 302
    theirs = _browser(app, colleague, world.clock)
    assert theirs.get(f"/client/{world.client_id}").status_code == 200
    assert f'id="moved-{world.client_id}"' in text_of(theirs.get("/client/"))
    before = _browser(app, world.client_treater, world.clock)
    assert before.get(f"/client/{world.client_id}").status_code == 404


def test_the_partner_cases_holder_never_becomes_the_clients_treater(
    factory: Factory, world: World
) -> None:
    holder = world.old.user
    holder.role = "client_treater"  # as if the role had changed since
    db.session.commit()
    with pytest.raises(Exception) as refused:
        reassign_client(world.manager.user, world.client_id, to_user_id=holder.id, reason="left")
    assert refused.value.status == 409 and refused.value.field == "to_user_id"
    db.session.rollback()
    with pytest.raises(NotFound):
        reassign_client(
            world.client_treater.user, world.client_id, to_user_id=holder.id, reason="left"
        )
    db.session.rollback()
    unknown = uuid.uuid4()
    with pytest.raises(NotFound):
        reassign_client(world.manager.user, unknown, to_user_id=holder.id, reason="left")


def test_several_managers_moving_one_case_at_once_move_it_once(
    app: Flask, factory: Factory, world: World
) -> None:
    import threading
    from collections import Counter

    from tests.helpers import csrf_token

    url = f"/management/partner-cases/{world.case.id}/move"
    form = {"to_user_id": str(world.new.user.id), "reason": "workload"}
    browsers = []
    for _ in range(4):
        browsers.append(_browser(app, factory.manager(), world.clock))
        world.clock.advance(seconds=31)  # a fresh one-time code for the next login
    tokens = [csrf_token(browser, url) for browser in browsers]
    db.session.rollback()
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def move(browser: FlaskClient, token: str) -> None:
        start.wait()
        response = browser.post(url, data={"csrf_token": token, **form})
        statuses.append(response.status_code)

    threads = [
        threading.Thread(target=move, args=pair) for pair in zip(browsers, tokens, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # The first moves it; the others find it already with that treater (or, on SQLite, the
    # one writer busy) and are told so.
    counted = Counter(statuses)
    assert counted[302] == 1 and set(counted) <= {302, 400, 409}
    db.session.rollback()
    assert len(db.session.scalars(select(Reassignment)).all()) == 1


def test_any_case_or_client_is_found_by_its_reference_to_move(
    app: Flask, factory: Factory, world: World
) -> None:
    from tests.cases_built import client_of

    other_clinic = factory.manager(clinic=factory.clinic("Grannmottagningen"))
    episode_reference = db.session.scalar(
        select(TreatmentEpisode.id).where(TreatmentEpisode.client_id == world.client_id)
    ).hex[:8]
    case_reference = world.case.id.hex[:8]
    client_of(world.client_treater.user, name="Olle Påhittad")
    db.session.commit()
    manager = _browser(app, world.manager, world.clock)

    found = manager.get(f"/management/move?reference={case_reference}")
    assert found.headers["Location"].endswith(f"/management/partner-cases/{world.case.id}/move")
    found = manager.get(f"/management/move?reference={episode_reference.upper()}")
    assert found.headers["Location"].endswith(f"/management/clients/{world.client_id}/move")
    missing = manager.get("/management/move?reference=zzzzzzzz")
    assert missing.status_code == 400 and 'id="reference-error"' in text_of(missing)
    elsewhere = _browser(app, other_clinic, world.clock)
    assert elsewhere.get(f"/management/move?reference={case_reference}").status_code == 400
