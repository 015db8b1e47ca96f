"""Escalations of a partner case to the clinic's managers, and the managers' task list,
through the real services and database."""

from __future__ import annotations

import dataclasses
import re
import uuid
from datetime import date

import pytest
from sqlalchemy import func, select

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.tags import AuditAction
from partnercontact.clinics.service import update_settings
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.partner_side import clinical, contact, escalations
from partnercontact.partner_side.escalations import Escalation, EscalationInvalid
from partnercontact.partner_side.service import pick_up
from partnercontact.tasks.queue import dispatch_due
from tests.factories import Factory
from tests.helpers import sql_statements
from tests.partners.conftest import HandedOver, handed_over_case
from tests.ratings import rated

TODAY = date(2026, 1, 15)  # the FixedClock's date


@pytest.fixture
def held(handed_over: HandedOver) -> HandedOver:
    pick_up(handed_over.partner_treater.user, handed_over.case.id)
    db.session.commit()
    return handed_over


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Escalation))


def _events(action: AuditAction) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action.value)))


def _raise(held: HandedOver, reason: str = "risk_consultation", urgency: str = "normal"):
    escalation = escalations.raise_escalation(
        held.partner_treater.user, held.case.id, reason=reason, urgency=urgency
    )
    db.session.commit()
    return escalation


# --- raising ------------------------------------------------------------------------------------


def test_the_holder_escalates_a_case_and_it_is_audited_without_content(
    held: HandedOver, clock
) -> None:
    treater = held.partner_treater.user
    escalation = _raise(held, "safety_beyond_plan", "urgent")
    db.session.expire_all()
    stored = db.session.get(Escalation, escalation.id)
    assert (stored.clinic_id, stored.partner_case_id) == (treater.clinic_id, held.case.id)
    assert (stored.reason, stored.urgency) == ("safety_beyond_plan", "urgent")
    assert (stored.raised_by_id, stored.raised_at) == (treater.id, clock.now())
    assert (stored.handled_at, stored.handled_by_id, stored.outcome) == (None, None, None)
    [raised] = _events(AuditAction.ESCALATION_RAISED)
    assert (raised.actor_id, raised.resource_type, raised.resource_id) == (
        treater.id,
        "partner_case",
        str(held.case.id),
    )


@pytest.mark.parametrize(
    ("reason", "urgency", "field"),
    [
        ("", "normal", "reason"),
        (None, "normal", "reason"),
        ("Maja is afraid", "normal", "reason"),
        ("other", "", "urgency"),
        ("other", "very", "urgency"),
    ],
)
def test_a_choice_off_the_list_names_its_field_and_writes_nothing(
    held: HandedOver, reason: str | None, urgency: str, field: str
) -> None:
    with pytest.raises(EscalationInvalid) as refused:
        escalations.raise_escalation(
            held.partner_treater.user, held.case.id, reason=reason, urgency=urgency
        )
    db.session.rollback()
    assert refused.value.field == field
    assert _count() == 0
    assert _events(AuditAction.ESCALATION_RAISED) == []


def test_one_open_escalation_per_case_and_reason(held: HandedOver, factory: Factory) -> None:
    first = _raise(held, "risk_consultation")
    with pytest.raises(Conflict) as refused:
        escalations.raise_escalation(
            held.partner_treater.user, held.case.id, reason="risk_consultation", urgency="urgent"
        )
    db.session.rollback()
    assert refused.value.status == 409
    assert refused.value.field == "reason"
    assert _count() == 1
    # Another reason is another escalation.
    _raise(held, "no_treater_available")
    assert _count() == 2
    # Once a manager has handled the first, the same reason may be raised again.
    escalations.handle_escalation(factory.manager().user, first.id, outcome="consulted")
    db.session.commit()
    _raise(held, "risk_consultation")
    assert _count() == 3
    assert len(_events(AuditAction.ESCALATION_RAISED)) == 3


@pytest.mark.parametrize("who", ["colleague", "client_treater", "manager", "admin"])
def test_only_the_holder_escalates(factory: Factory, held: HandedOver, who: str) -> None:
    actor = {
        "colleague": lambda: factory.partner_treater().user,
        "client_treater": lambda: held.client_treater.user,
        "manager": lambda: factory.manager().user,
        "admin": lambda: factory.admin().user,
    }[who]()
    with pytest.raises(NotFound):
        escalations.raise_escalation(actor, held.case.id, reason="other", urgency="normal")
    db.session.rollback()
    assert _count() == 0


def test_a_case_nobody_holds_cannot_be_escalated(handed_over: HandedOver) -> None:
    with pytest.raises(Conflict) as refused:
        escalations.raise_escalation(
            handed_over.partner_treater.user, handed_over.case.id, reason="other", urgency="normal"
        )
    db.session.rollback()
    assert refused.value.field == "case"
    assert _count() == 0


# --- handling -----------------------------------------------------------------------------------


def test_a_manager_handles_an_escalation_and_the_treater_sees_how(
    held: HandedOver, factory: Factory, clock
) -> None:
    escalation = _raise(held)
    manager = factory.manager().user
    [listed] = escalations.open_escalations(manager)
    assert listed.id == escalation.id
    clock.advance(hours=3)
    escalations.handle_escalation(manager, escalation.id, outcome="referred")
    db.session.commit()

    assert escalations.open_escalations(manager) == []
    assert escalations.open_escalation_count(manager) == 0
    with pytest.raises(escalations.EscalationNotFound):
        escalations.escalation_for_manager(manager, escalation.id)
    [handled] = _events(AuditAction.ESCALATION_HANDLED)
    assert (handled.actor_id, handled.resource_id) == (manager.id, str(held.case.id))

    [seen] = escalations.escalations_of_case(held.partner_treater.user, held.case)
    assert (seen.handled_at, seen.outcome) == (clock.now(), "referred")
    assert seen.handled_by == manager.display_name
    assert seen.raised_by == held.partner_treater.user.display_name


def test_an_escalation_is_handled_once(held: HandedOver, factory: Factory) -> None:
    escalation = _raise(held)
    manager = factory.manager().user
    escalations.handle_escalation(manager, escalation.id, outcome="no_action")
    db.session.commit()
    with pytest.raises(escalations.EscalationNotFound):
        escalations.handle_escalation(factory.manager().user, escalation.id, outcome="consulted")
    db.session.rollback()
    assert db.session.get(Escalation, escalation.id).outcome == "no_action"
    assert len(_events(AuditAction.ESCALATION_HANDLED)) == 1


@pytest.mark.parametrize("outcome", ["", None, "Talked to Maja"])
def test_an_outcome_off_the_list_names_its_field_and_changes_nothing(
    held: HandedOver, factory: Factory, outcome: str | None
) -> None:
    escalation = _raise(held)
    with pytest.raises(EscalationInvalid) as refused:
        escalations.handle_escalation(factory.manager().user, escalation.id, outcome=outcome)
    db.session.rollback()
    assert refused.value.field == "outcome"
    assert db.session.get(Escalation, escalation.id).handled_at is None
    assert _events(AuditAction.ESCALATION_HANDLED) == []


def test_another_clinics_manager_finds_nothing(held: HandedOver, factory: Factory) -> None:
    escalation = _raise(held)
    elsewhere = factory.manager(clinic=factory.clinic()).user
    assert escalations.open_escalations(elsewhere) == []
    assert escalations.open_escalation_count(elsewhere) == 0
    assert escalations.manager_task_list(elsewhere) == []
    with pytest.raises(escalations.EscalationNotFound) as not_found:
        escalations.escalation_for_manager(elsewhere, escalation.id)
    assert not_found.value.status == 404
    with pytest.raises(escalations.EscalationNotFound):
        escalations.handle_escalation(elsewhere, escalation.id, outcome="consulted")
    db.session.rollback()
    assert db.session.get(Escalation, escalation.id).handled_at is None


@pytest.mark.parametrize("who", ["holder", "client_treater", "admin"])
def test_nobody_but_a_manager_sees_or_handles_escalations(
    held: HandedOver, factory: Factory, who: str
) -> None:
    escalation = _raise(held)
    actor = {
        "holder": lambda: held.partner_treater.user,
        "client_treater": lambda: held.client_treater.user,
        "admin": lambda: factory.admin().user,
    }[who]()
    assert escalations.open_escalations(actor) == []
    assert escalations.open_escalation_count(actor) == 0
    assert escalations.manager_task_list(actor) == []
    assert escalations.open_manager_task_count(actor) == 0
    with pytest.raises(escalations.EscalationNotFound):
        escalations.escalation_for_manager(actor, escalation.id)
    with pytest.raises(escalations.EscalationNotFound):
        escalations.handle_escalation(actor, escalation.id, outcome="consulted")
    db.session.rollback()
    assert db.session.get(Escalation, escalation.id).handled_at is None


def test_an_unknown_escalation_is_not_found(factory: Factory) -> None:
    with pytest.raises(escalations.EscalationNotFound):
        escalations.handle_escalation(factory.manager().user, uuid.uuid4(), outcome="consulted")


# --- what the manager gets ------------------------------------------------------------------------


def test_the_managers_rows_carry_only_reference_reason_urgency_time_and_colleague(
    held: HandedOver, factory: Factory
) -> None:
    escalation = _raise(held, "protected_identity", "urgent")
    manager = factory.manager().user
    [row] = escalations.open_escalations(manager)
    assert {field.name for field in dataclasses.fields(row)} == {
        "id",
        "reference",
        "reason",
        "urgency",
        "raised_at",
        "raised_by",
    }
    assert (row.id, row.reference, row.reason, row.urgency) == (
        escalation.id,
        held.case.id.hex[:8],
        "protected_identity",
        "urgent",
    )
    assert row.raised_by == held.partner_treater.user.display_name


def test_the_managers_queries_name_no_sealed_column_nor_a_partner_side_record(
    held: HandedOver, factory: Factory
) -> None:
    escalation = _raise(held)
    manager = factory.manager().user
    db.session.refresh(manager)  # the actor's own account is not what is under test
    with sql_statements() as sent:
        escalations.open_escalations(manager)
        escalations.open_escalation_count(manager)
        escalations.escalation_for_manager(manager, escalation.id)
        escalations.handle_escalation(manager, escalation.id, outcome="consulted")
        db.session.flush()
    sql = "\n".join(sent)
    assert "escalation" in sql
    # No ciphertext column, no hand-over note (her name, phone, address), no clinical record,
    # and no case row: only the escalation's own columns and the colleague's display name.
    assert re.findall(r"\w+_ct\b", sql) == []
    for table in ("partner_handover", "partner_case.", "risk_assessment", "safety_plan", "child"):
        assert table not in sql, table
    assert "user_account.display_name" in sql
    assert not re.search(r"user_account\.(username|password_hash|totp_secret)", sql)


def test_an_escalation_holds_no_free_text() -> None:
    # Only keys, ids and times: nothing a treater types can reach a manager through it.
    kinds = {column.name: type(column.type).__name__ for column in Escalation.__table__.columns}
    assert all(not name.endswith("_ct") for name in kinds)
    assert {name for name, kind in kinds.items() if kind == "String"} == {
        "reason",
        "urgency",
        "outcome",
    }
    assert all(Escalation.__table__.c[name].type.length <= 32 for name in ("reason", "outcome"))


# --- the manager's task list ----------------------------------------------------------------------


def _manager_gets_urgent_tasks(factory: Factory) -> None:
    clinic = factory.default_clinic
    update_settings(factory.admin(clinic=clinic).user, clinic, {"urgent_tasks_to_manager": True})
    db.session.commit()


def test_the_task_list_gathers_everything_open_urgent_first_then_oldest(
    held: HandedOver, factory: Factory, clock
) -> None:
    manager = factory.manager().user
    treater = held.partner_treater.user
    _manager_gets_urgent_tasks(factory)

    # A case nobody picked up reminds the managers after some days.
    handed_over_case(factory, clock)
    clock.advance(days=10)
    dispatch_due()
    db.session.commit()
    normal = _raise(held, "no_treater_available", "normal")
    clock.advance(minutes=5)
    clinical.record_risk_assessment(
        treater,
        held.case.id,
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=clock.now().date(),
        level="high",
        next_review_on=None,
        notes="Hotade med kniv",
    )
    db.session.commit()
    clock.advance(minutes=5)
    contact.record_answer(treater, held.case.id, answer="declined", answered_on=TODAY)
    contact.record_threat_warning(treater, held.case.id, reason="Han har skaffat vapen")
    db.session.commit()
    clock.advance(minutes=5)
    urgent = _raise(held, "safety_beyond_plan", "urgent")

    items = escalations.manager_task_list(manager)
    db.session.commit()
    kinds = [item.kind for item in items]
    assert kinds.count("reminder") >= 1
    urgent_items = [item for item in items if item.urgent]
    # Urgent first (the day's urgent consultation, then the threat warning, then the urgent
    # escalation, by time), then the rest by time.
    assert [item.kind for item in urgent_items] == [
        "urgent_consultation",
        "threat_warning",
        "escalation",
    ]
    assert items[: len(urgent_items)] == urgent_items
    assert urgent_items[-1].id == urgent.id
    rest = items[len(urgent_items) :]
    assert [item.since for item in rest] == sorted(item.since for item in rest)
    assert normal.id in [item.id for item in rest]
    assert {item.reference for item in items if item.kind != "reminder"} == {held.case.id.hex[:8]}
    assert escalations.open_manager_task_count(manager) == len(items)
    [viewed] = _events(AuditAction.ESCALATIONS_VIEWED)
    assert (viewed.actor_id, viewed.resource_type) == (manager.id, "manager_tasks")
