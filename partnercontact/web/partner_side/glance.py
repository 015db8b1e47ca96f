"""The case at a glance: the first section of the case page, above the rest of the "now"
view. Where the contact stands, her answer and consents, her plan, the newest risk level and
its review, the next session and what is open, then the one next step the rules derive
(:mod:`partnercontact.partner_side.next_step`) with a link to where it is done."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from partnercontact.auth.models import User
from partnercontact.partner_side import clinical, rules
from partnercontact.partner_side import relay_inbox as tasks
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.next_step import NEXT_STEP_LABELS, CaseFacts, next_step
from partnercontact.partner_side.scheduling.sessions import sessions_of
from partnercontact.runtime import current_runtime
from partnercontact.web.partner_side.sections import case_section

PARTNER_TREATER = "partner_treater"


def _contact_state(partner_case: PartnerCase, paused: bool, reached: bool) -> str:
    if partner_case.closed_on is not None:
        return "closed"
    if partner_case.own_treatment_since is not None:
        return "own_treatment"
    if tasks.closing_open(partner_case):
        return "closing"
    if partner_case.contact_ended_on is not None:
        return "ended_by_her"
    if paused:
        return "paused"
    return "in_contact" if reached else "not_reached"


@case_section(
    "glance",
    order=-2,
    template="partner_side/sections/glance.html",
    view="now",
    anchors=("next-step",),
)
def _glance(actor: User, partner_case: PartnerCase) -> dict[str, Any]:
    steps = rules.safety_steps(partner_case)
    suitability = rules.current_suitability(partner_case)
    paused = rules.current_pause(partner_case) is not None
    risk = clinical.risk_overview(actor, partner_case)
    events = tasks.relayed_events(actor, partner_case)
    urgent = clinical.urgent_tasks_of_case(actor, partner_case)
    sessions = sessions_of(actor, partner_case)
    now: datetime = current_runtime().clock.now()
    booked = [s for s in sessions if s.state == "booked" and s.starts_at and s.starts_at >= now]
    facts = CaseFacts(
        closed=partner_case.closed_on is not None,
        closing_to_record=tasks.closing_open(partner_case),
        urgent_tasks_open=sum(
            1 for task in urgent if task.handled_at is None and task.for_role == PARTNER_TREATER
        ),
        relayed_events_open=sum(1 for event in events if event.open),
        paused=paused,
        suitability=suitability.decision if suitability is not None else None,
        reached=steps.reached,
        planned=steps.planned,
        answer=partner_case.answer,
        contact_ended=partner_case.contact_ended_on is not None,
        risk_review_due=risk.review_overdue_since is not None,
        sessions_to_book=sum(1 for s in sessions if s.state == "to_book"),
    )
    step = next_step(facts)
    consent = rules.current_partner_consent(partner_case)
    return {
        "facts": facts,
        "state": _contact_state(partner_case, paused, steps.reached),
        "her_consent": None if consent is None else consent.withdrawn_on is None,
        "plan": rules.latest_plan(partner_case),
        "risk": risk.assessments[0] if risk.assessments else None,
        "review_overdue_since": risk.review_overdue_since,
        "next_session": booked[0] if booked else None,
        "step": step,
        "step_label": NEXT_STEP_LABELS[step.key],
    }
