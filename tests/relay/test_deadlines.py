"""What must not wait gets a time to act from the clinic's settings: a relayed event's task
"inform her if she wishes" and an urgent task. Left undone past it, the case is escalated to
the managers, once; done in time, it is not."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

import partnercontact.partner_side.scheduling.jobs  # noqa: F401  (the task handlers register themselves)
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.clinical import (
    FOR_PARTNER_TREATER,
    handle_urgent_task,
    record_risk_assessment,
)
from partnercontact.partner_side.escalations import (
    RELAY_TASK_OVERDUE,
    URGENT_TASK_OVERDUE,
    Escalation,
)
from partnercontact.partner_side.models import PartnerCase, UrgentTask
from partnercontact.partner_side.relay_inbox import record_outcome
from partnercontact.partner_side.service import pick_up
from partnercontact.relay.models import RelayEvent
from partnercontact.tasks.queue import dispatch_due
from tests.factories import Factory
from tests.partners.conftest import HandedOver, handed_over_case
from tests.ratings import rated

TELLING = ["contact_letter", "contact_phone", "tell_in_treatment", "tell_when_ended"]


@pytest.fixture
def held(factory: Factory, clock) -> HandedOver:
    client_treater = factory.client_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater, scopes=TELLING)
    held = HandedOver(client_treater, factory.partner_treater(), case)
    pick_up(held.partner_treater.user, case.id)
    db.session.commit()
    return held


def _escalations(case: PartnerCase, reason: str) -> list[Escalation]:
    db.session.rollback()
    return list(
        db.session.scalars(
            select(Escalation).where(
                Escalation.partner_case_id == case.id, Escalation.reason == reason
            )
        )
    )


def _treatment_started(held: HandedOver, clock) -> RelayEvent:
    client_id = db.session.scalar(
        select(TreatmentEpisode.client_id).where(TreatmentEpisode.id == held.case.episode_id)
    )
    start_treatment(held.client_treater.user, client_id, started_on=clock.now().date())
    db.session.commit()
    event = db.session.scalar(select(RelayEvent).where(RelayEvent.kind == "treatment_started"))
    assert event is not None
    return event


def test_a_relay_task_left_past_the_clinics_hours_escalates_once(
    app, factory: Factory, held: HandedOver, clock
) -> None:
    clinic = factory.default_clinic
    clinic.relay_task_hours = 48
    db.session.commit()
    sent = clock.now()
    _treatment_started(held, clock)

    clock.set(sent + timedelta(hours=47, minutes=59))
    dispatch_due()
    assert _escalations(held.case, RELAY_TASK_OVERDUE) == []
    clock.set(sent + timedelta(hours=48))
    dispatch_due()
    (escalation,) = _escalations(held.case, RELAY_TASK_OVERDUE)
    assert escalation.urgency == "normal" and escalation.raised_by_id is None
    clock.advance(days=5)
    dispatch_due()
    assert len(_escalations(held.case, RELAY_TASK_OVERDUE)) == 1


def test_a_relay_task_done_in_time_is_not_escalated(app, held: HandedOver, clock) -> None:
    sent = clock.now()
    event = _treatment_started(held, clock)
    record_outcome(
        held.partner_treater.user,
        held.case.id,
        event.id,
        outcome="not_wanted",
        outcome_on=clock.now().date(),
    )
    db.session.commit()
    clock.set(sent + timedelta(hours=72))
    dispatch_due()
    assert _escalations(held.case, RELAY_TASK_OVERDUE) == []


def test_an_urgent_task_left_unhandled_escalates_once_and_a_handled_one_does_not(
    app, factory: Factory, held: HandedOver, clock
) -> None:
    opened = clock.now()
    record_risk_assessment(
        held.partner_treater.user,
        held.case.id,
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=opened.date(),
        level="high",
        next_review_on=None,
        notes=None,
    )
    db.session.commit()
    (task_id,) = db.session.scalars(
        select(UrgentTask.id).where(UrgentTask.for_role == FOR_PARTNER_TREATER)
    ).all()

    clock.set(opened + timedelta(hours=23, minutes=59))
    dispatch_due()
    assert _escalations(held.case, URGENT_TASK_OVERDUE) == []
    clock.set(opened + timedelta(hours=24))
    dispatch_due()
    (escalation,) = _escalations(held.case, URGENT_TASK_OVERDUE)
    assert escalation.urgency == "urgent"

    # Another case, its urgent task handled in time: nothing reaches the managers.
    other = handed_over_case(factory, clock, name="Ines Påhittad", scopes=TELLING)
    pick_up(held.partner_treater.user, other.id)
    record_risk_assessment(
        held.partner_treater.user,
        other.id,
        instrument="freda_danger",
        ratings=rated("freda_danger"),
        assessed_on=clock.now().date(),
        level="high",
        next_review_on=None,
        notes=None,
    )
    db.session.commit()
    handled = db.session.scalar(
        select(UrgentTask.id).where(
            UrgentTask.partner_case_id == other.id, UrgentTask.for_role == FOR_PARTNER_TREATER
        )
    )
    assert isinstance(handled, uuid.UUID)
    handle_urgent_task(
        held.partner_treater.user, other.id, handled, handling="Ringde henne, planen ses över."
    )
    db.session.commit()
    clock.advance(hours=25)
    dispatch_due()
    assert _escalations(other, URGENT_TASK_OVERDUE) == []


def test_an_event_relayed_before_the_hand_over_is_acted_on_from_the_hand_over(
    app, factory: Factory, clock
) -> None:
    from partnercontact.partner_side.relay_inbox import relayed_events
    from partnercontact.relay.handover import PartnerDetails, hand_over
    from tests.cases_built import client_of, signed_consent_of

    treater = factory.client_treater().user
    client_id = client_of(treater)
    signed_consent_of(treater, client_id, clock, scopes=TELLING)
    start_treatment(treater, client_id, started_on=clock.now().date())
    db.session.commit()
    clock.advance(days=10)  # the partner's details come later
    handed_over_at = clock.now()
    hand_over(
        treater,
        client_id,
        PartnerDetails(
            name="Maja Påhittad", phone="070-765 43 21", address=None, relation="former",
            children_in_common="no", protected_identity=False,
        ),
    )  # fmt: skip
    db.session.commit()
    case = db.session.scalar(select(PartnerCase))
    holder = factory.partner_treater().user
    pick_up(holder, case.id)
    db.session.commit()

    (event,) = relayed_events(holder, case)
    assert event.act_by == handed_over_at + timedelta(hours=72) and not event.overdue
    clock.set(handed_over_at + timedelta(hours=71))
    dispatch_due()
    assert _escalations(case, RELAY_TASK_OVERDUE) == []
    clock.set(handed_over_at + timedelta(hours=72))
    dispatch_due()
    assert len(_escalations(case, RELAY_TASK_OVERDUE)) == 1
