"""The partner side's inbox, picking up a case, and who may read a partner's details."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.service import change_role
from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.partner_side.relay_inbox import open_tasks
from partnercontact.partner_side.service import (
    PartnerCaseNotFound,
    inbox,
    mark_protected,
    name_staff,
    partner_case_for,
    partner_details,
    pick_up,
)
from partnercontact.partner_side.worklist import worklist
from tests.factories import Factory
from tests.helpers import case_view, log_in, sql_statements, text_of
from tests.partners.conftest import HandedOver, handed_over_case


def test_a_hand_over_waits_in_the_inbox_until_picked_up(handed_over: HandedOver) -> None:
    treater = handed_over.partner_treater.user
    [item] = inbox(treater)
    assert not item.held_by_me and item.partner_name == "Maja Påhittad"
    pick_up(treater, handed_over.case.id)
    db.session.commit()
    [item] = inbox(treater)
    assert item.held_by_me and item.answer == "pending"
    with pytest.raises(Conflict):
        pick_up(treater, handed_over.case.id)


def test_a_case_held_by_one_treater_is_invisible_to_the_others(
    factory: Factory, handed_over: HandedOver
) -> None:
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()
    colleague = factory.partner_treater().user
    assert inbox(colleague) == []
    with pytest.raises(PartnerCaseNotFound):
        partner_case_for(colleague, handed_over.case.id)
    other_clinic = factory.partner_treater(clinic=factory.clinic()).user
    with pytest.raises(PartnerCaseNotFound):
        partner_case_for(other_clinic, handed_over.case.id)


@pytest.mark.parametrize("role", ["client_treater", "manager", "admin"])
def test_no_other_role_loads_a_partner_case(factory: Factory, handed_over, role) -> None:
    actor = handed_over.client_treater if role == "client_treater" else getattr(factory, role)()
    with pytest.raises(PartnerCaseNotFound):
        partner_case_for(actor.user, handed_over.case.id)
    assert inbox(actor.user) == []


def test_a_holder_moved_to_another_role_loads_nothing_of_the_cases_still_held(
    factory: Factory, handed_over: HandedOver, clock
) -> None:
    holder = handed_over.partner_treater.user
    pick_up(holder, handed_over.case.id)
    client_id = db.session.get(TreatmentEpisode, handed_over.case.episode_id).client_id
    today = clock.now().date()
    start_treatment(handed_over.client_treater.user, client_id, started_on=today)
    end_episode(handed_over.client_treater.user, client_id, ended_on=today, outcome="dropped_out")
    db.session.commit()
    assert [item.case_id for item in inbox(holder)] == [handed_over.case.id]
    assert {task.task for task in open_tasks(holder)} == {"relay", "closing"}
    assert {item.kind for item in worklist(holder)} == {"relay", "closing"}

    change_role(factory.admin().user, holder, "manager")
    db.session.commit()
    # The case still names her as its treater; the role no longer opens it.
    assert handed_over.case.treater_id == holder.id
    assert inbox(holder) == []
    assert open_tasks(holder) == []
    assert worklist(holder) == []


def test_reading_her_details_is_audited_without_content(handed_over: HandedOver) -> None:
    treater = handed_over.partner_treater.user
    pick_up(treater, handed_over.case.id)
    [entry] = partner_details(treater, handed_over.case)
    db.session.commit()
    assert entry.details.phone == "+46707654321" and entry.kind == "initial"
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "partner.details_viewed")
    ).all()
    assert [(e.actor_id, e.resource_id) for e in events] == [(treater.id, str(handed_over.case.id))]
    # Her name and her number's digits, long enough never to turn up in a MAC's hex by chance.
    for event in db.session.scalars(select(AuditEvent)):
        assert "Maja" not in repr(vars(event)) and "7654321" not in repr(vars(event))


def test_a_protected_partner_is_shown_only_to_named_staff(factory: Factory, clock) -> None:
    partner_case = handed_over_case(factory, clock, protected=True, name="Skyddad Person")
    holder = factory.partner_treater().user
    other = factory.partner_treater().user
    [item] = inbox(holder)
    assert item.protected and item.partner_name is None  # before anyone holds her case
    pick_up(holder, partner_case.id)
    db.session.commit()
    assert partner_details(holder, partner_case)[0].details.name == "Skyddad Person"
    # Named later by the holder, a colleague may see her; before that, nothing.
    assert partner_details(other, partner_case) is None
    name_staff(holder, partner_case.id, other.id)
    db.session.commit()
    assert partner_details(other, partner_case)[0].details.name == "Skyddad Person"


def test_marking_protected_hides_her_name_from_lists_of_unnamed_staff(
    factory: Factory, clock, handed_over: HandedOver
) -> None:
    holder = handed_over.partner_treater.user
    pick_up(holder, handed_over.case.id)
    mark_protected(holder, handed_over.case.id)
    db.session.commit()
    assert inbox(holder)[0].partner_name == "Maja Påhittad"  # named on marking
    waiting = handed_over_case(factory, clock, protected=True, name="Ännu Enskyddad")
    [item] = [i for i in inbox(factory.partner_treater().user) if i.case_id == waiting.id]
    assert item.partner_name is None


def test_the_inbox_and_case_pages_in_the_browser(client, handed_over: HandedOver, clock) -> None:
    log_in(client, handed_over.partner_treater, clock)
    home = text_of(client.get("/partner/"))
    assert "Väntande överlämningar" in home and "Maja Påhittad" in home
    case_page = f"/partner/cases/{handed_over.case.id}"
    assert "Storgatan" not in text_of(client.get(case_page))  # not held yet
    token = client.get(case_page)
    from tests.helpers import csrf_token

    response = client.post(
        f"{case_page}/pick-up", data={"csrf_token": csrf_token(client, case_page)}
    )
    assert response.status_code == 302 and token.status_code == 200
    page = text_of(client.get(case_view(handed_over.case.id, "details")))
    assert "Storgatan 1, 123 45 Lindvik" in page and "+46707654321" in page


def test_the_inbox_asks_the_database_the_same_number_of_times_for_two_cases_as_for_six(
    factory: Factory, clock
) -> None:
    """However many hand-overs wait, the inbox is a fixed number of queries: a query per case
    would make it slower with every case of the clinic."""
    treater = factory.partner_treater().user
    client_treater = factory.client_treater()

    def counted() -> tuple[int, list[str | None]]:
        db.session.expire_all()
        with sql_statements() as sent:
            names = [item.partner_name for item in inbox(treater)]
        db.session.rollback()
        return len(sent), names

    handed_over_case(factory, clock, client_treater=client_treater, name="Påhittad 0")
    handed_over_case(factory, clock, client_treater=client_treater, protected=True)
    few, names = counted()
    assert names.count(None) == 1 and "Påhittad 0" in names
    for number in range(1, 4):
        handed_over_case(factory, clock, client_treater=client_treater, name=f"Påhittad {number}")
    handed_over_case(factory, clock, client_treater=client_treater, protected=True)
    many, names = counted()
    assert many == few
    # A protected partner is listed without her name; the others with theirs.
    assert names.count(None) == 2
    assert sorted(name for name in names if name) == [f"Påhittad {n}" for n in range(4)]
