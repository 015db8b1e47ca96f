"""The case at a glance, in one statement: where the contact stands, her answer and consent,
her plan, the newest risk level and its review, the next booked session, what is open, and
the facts :mod:`partnercontact.partner_side.next_step` derives the next step from.

One statement, whatever the case holds: the summary opens the case page's first view and must
cost that view next to nothing. It reads only counts, dates, levels and versions, no sealed
field; the page's read of the case is audited by the loader that checked the holder.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, exists, func, select

from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db
from partnercontact.partner_side.clinical import open_for_partner_treater
from partnercontact.partner_side.models import (
    ContactAttempt,
    ContactPause,
    PartnerCase,
    PartnerConsent,
    RiskAssessment,
    SafeContactPlan,
    SuitabilityDecision,
    UrgentTask,
)
from partnercontact.partner_side.next_step import CaseFacts, NextStep, next_step
from partnercontact.partner_side.relay_inbox import closing_open
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.service import episodes_of_case
from partnercontact.relay.models import RelayEvent, RelayOutcome
from partnercontact.runtime import current_runtime


@dataclass(frozen=True)
class Glance:
    facts: CaseFacts
    step: NextStep
    # closed, own_treatment, closing, ended_by_her, paused, in_contact or not_reached
    state: str
    # None: she has given no consent of her own; True: given and in force; False: withdrawn.
    her_consent: bool | None
    plan_version: int | None
    risk_level: str | None
    risk_assessed_on: date | None
    next_review_on: date | None
    next_session_at: datetime | None


def _newest(column: Any, model: Any) -> Any:
    return (
        select(column)
        .where(model.partner_case_id == bindparam("case_id"))
        .order_by(model.recorded_at.desc(), model.id)
        .limit(1)
        .scalar_subquery()
    )


def _count(model: Any, *conditions: Any) -> Any:
    return (
        select(func.count())
        .select_from(model)
        .where(model.partner_case_id == bindparam("case_id"), *conditions)
        .scalar_subquery()
    )


@functools.cache
def _glance() -> Select[Any]:
    case_id: Any = bindparam("case_id")
    handled = select(RelayOutcome.event_id).where(RelayOutcome.partner_case_id == case_id)
    newest_risk = (
        select(RiskAssessment.level, RiskAssessment.assessed_on, RiskAssessment.next_review_on)
        .where(RiskAssessment.partner_case_id == case_id)
        .order_by(RiskAssessment.assessed_on.desc(), RiskAssessment.recorded_at.desc())
        .limit(1)
    )
    return select(
        _newest(SuitabilityDecision.decision, SuitabilityDecision).label("suitability"),
        exists()
        .where(ContactAttempt.partner_case_id == case_id, ContactAttempt.outcome == "reached")
        .label("reached"),
        select(func.max(SafeContactPlan.version))
        .where(SafeContactPlan.partner_case_id == case_id)
        .scalar_subquery()
        .label("plan_version"),
        exists()
        .where(ContactPause.partner_case_id == case_id, ContactPause.lifted_at.is_(None))
        .label("paused"),
        _newest(PartnerConsent.id, PartnerConsent).label("consent_id"),
        _newest(PartnerConsent.withdrawn_on, PartnerConsent).label("consent_withdrawn_on"),
        newest_risk.with_only_columns(RiskAssessment.level).scalar_subquery().label("level"),
        newest_risk.with_only_columns(RiskAssessment.assessed_on)
        .scalar_subquery()
        .label("assessed_on"),
        newest_risk.with_only_columns(RiskAssessment.next_review_on)
        .scalar_subquery()
        .label("next_review_on"),
        select(func.min(ContactSession.starts_at))
        .where(
            ContactSession.partner_case_id == case_id,
            ContactSession.state == "booked",
            ContactSession.starts_at >= bindparam("now"),
        )
        .scalar_subquery()
        .label("next_session_at"),
        _count(ContactSession, ContactSession.state == "to_book").label("to_book"),
        _count(UrgentTask, open_for_partner_treater()).label("urgent"),
        select(func.count())
        .select_from(RelayEvent)
        .where(
            RelayEvent.episode_id.in_(episodes_of_case(case_id)),
            RelayEvent.id.not_in(handled),
        )
        .scalar_subquery()
        .label("relayed"),
    )


def _state(partner_case: PartnerCase, paused: bool, reached: bool) -> str:
    if partner_case.closed_on is not None:
        return "closed"
    if partner_case.own_treatment_since is not None:
        return "own_treatment"
    if closing_open(partner_case):
        return "closing"
    if partner_case.contact_ended_on is not None:
        return "ended_by_her"
    if paused:
        return "paused"
    return "in_contact" if reached else "not_reached"


def case_at_a_glance(actor: User, partner_case: PartnerCase) -> Glance:
    """The summary of a case ``actor`` works (loaded through the partner services, which
    checked and audited the read)."""
    now = current_runtime().clock.now()
    row = db.session.execute(_glance(), {"case_id": partner_case.id, "now": now}).one()
    today = clinic_today(actor.clinic)
    facts = CaseFacts(
        closed=partner_case.closed_on is not None,
        closing_to_record=closing_open(partner_case),
        urgent_tasks_open=row.urgent,
        relayed_events_open=row.relayed,
        paused=bool(row.paused),
        suitability=row.suitability,
        reached=bool(row.reached),
        planned=row.plan_version is not None,
        answer=partner_case.answer,
        contact_ended=partner_case.contact_ended_on is not None,
        risk_review_due=row.next_review_on is not None and row.next_review_on < today,
        sessions_to_book=row.to_book,
    )
    return Glance(
        facts=facts,
        step=next_step(facts),
        state=_state(partner_case, bool(row.paused), bool(row.reached)),
        her_consent=None if row.consent_id is None else row.consent_withdrawn_on is None,
        plan_version=row.plan_version,
        risk_level=row.level,
        risk_assessed_on=row.assessed_on,
        next_review_on=row.next_review_on,
        next_session_at=row.next_session_at,
    )
