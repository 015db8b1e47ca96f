"""The clinical records of a partner case you hold: risk assessments and the urgent tasks a
high result opens, children, safety plans, concern reports, and escalations to the managers.
Each operation calls the service its page calls; the refusal names the field."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user

from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.output import Shown, commits
from partnercontact.api.partner import blp
from partnercontact.api.partner.schemas import (
    ChildIn,
    ChildOut,
    ConcernReportIn,
    ConcernReportOut,
    EscalationIn,
    EscalationOut,
    HandlingIn,
    RiskAssessmentIn,
    RiskAssessmentRecordedOut,
    SafetyPlanIn,
    SafetyPlanOut,
    UrgentTaskOut,
)
from partnercontact.partner_side import clinical, escalations
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import Child, RiskAssessment
from partnercontact.policy import Permission, requires

# --- risk assessments and urgent tasks --------------------------------------------------------


@blp.route("/<uuid:case_id>/risk-assessments", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(RiskAssessmentIn)
@blp.response(201, RiskAssessmentRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_risk_assessment(body: dict[str, Any], case_id: uuid.UUID) -> RiskAssessment:
    """Record a risk assessment.

    A high result opens an urgent task for you (and for the manager, if the clinic says
    so)."""
    return clinical.record_risk_assessment(
        current_user,
        case_id,
        instrument=body["instrument"] or "",
        assessed_on=body["assessed_on"],
        ratings=body["ratings"],
        level=body["level"] or "",
        next_review_on=body["next_review_on"],
        notes=body["notes"],
    )


@blp.route("/<uuid:case_id>/urgent-tasks/<uuid:task_id>/handling", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(HandlingIn)
@blp.response(200, UrgentTaskOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def handle_urgent_task(
    body: dict[str, Any], case_id: uuid.UUID, task_id: uuid.UUID
) -> clinical.CaseTask:
    """Record how one of your urgent tasks was handled."""
    clinical.handle_urgent_task(current_user, case_id, task_id, handling=body["handling"])
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    return clinical.urgent_task_of_case(current_user, partner_case, task_id)


# --- children --------------------------------------------------------------------------------


def _child_details(body: dict[str, Any]) -> clinical.ChildDetails:
    return clinical.ChildDetails(
        label=body["label"],
        age=body["age"],
        lives_with_client=body["lives_with_client"],
        regular_contact_with_client=body["regular_contact_with_client"],
    )


@blp.route("/<uuid:case_id>/children", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(ChildIn)
@blp.response(201, ChildOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_child(body: dict[str, Any], case_id: uuid.UUID) -> Child:
    """Add a child who lives with the client or has regular contact with him."""
    return clinical.record_child(current_user, case_id, _child_details(body))


@blp.route("/<uuid:case_id>/children/<uuid:child_id>", methods=["PUT"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(ChildIn)
@blp.response(200, ChildOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def update_child(body: dict[str, Any], case_id: uuid.UUID, child_id: uuid.UUID) -> Child:
    """Replace what is recorded about a child."""
    return clinical.update_child(current_user, case_id, child_id, _child_details(body))


# --- safety plans ------------------------------------------------------------------------------


def _save_plan(case_id: uuid.UUID, child_id: uuid.UUID | None, content: str | None) -> Shown:
    plan = clinical.save_safety_plan(current_user, case_id, child_id=child_id, content=content)
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    child = clinical.child_of_case(current_user, partner_case, child_id) if child_id else None
    return Shown(plan, child=child)


@blp.route("/<uuid:case_id>/safety-plan", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(SafetyPlanIn)
@blp.response(201, SafetyPlanOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def save_partner_safety_plan(body: dict[str, Any], case_id: uuid.UUID) -> Shown:
    """Save a new version of her safety plan."""
    return _save_plan(case_id, None, body["content"])


@blp.route("/<uuid:case_id>/children/<uuid:child_id>/safety-plan", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(SafetyPlanIn)
@blp.response(201, SafetyPlanOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def save_child_safety_plan(body: dict[str, Any], case_id: uuid.UUID, child_id: uuid.UUID) -> Shown:
    """Save a new version of one child's safety plan."""
    return _save_plan(case_id, child_id, body["content"])


@blp.route("/<uuid:case_id>/safety-plans/<uuid:plan_id>", methods=["GET"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.response(200, SafetyPlanOut)
@answers(blp, NOT_FOUND)
def safety_plan_version(case_id: uuid.UUID, plan_id: uuid.UUID) -> Shown:
    """One version of one of the case's safety plans, an earlier one included."""
    partner_case = partners.held_case_for(current_user, case_id)
    plan = clinical.safety_plan_version(current_user, partner_case, plan_id)
    child = (
        clinical.child_of_case(current_user, partner_case, plan.child_id) if plan.child_id else None
    )
    return Shown(plan, child=child)


# --- concern reports -----------------------------------------------------------------------------


@blp.route("/<uuid:case_id>/concern-reports", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(ConcernReportIn)
@blp.response(201, ConcernReportOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_concern_report(body: dict[str, Any], case_id: uuid.UUID) -> clinical.ConcernReportEntry:
    """Record that a concern report (orosanmälan) was made, by you."""
    report = clinical.record_concern_report(
        current_user,
        case_id,
        reported_on=body["reported_on"],
        board=body["board"],
        reason=body["reason"] or "",
        child_id=body["child_id"],
    )
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    return next(
        entry
        for entry in clinical.concern_reports(current_user, partner_case)
        if entry.id == report.id
    )


# --- escalations to the managers ---------------------------------------------------------------


@blp.route("/<uuid:case_id>/escalations", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(EscalationIn)
@blp.response(201, EscalationOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def raise_escalation(body: dict[str, Any], case_id: uuid.UUID) -> Shown:
    """Escalate the case to the clinic's managers. One open escalation per reason."""
    escalation = escalations.raise_escalation(
        current_user, case_id, reason=body["reason"], urgency=body["urgency"]
    )
    # Raised just now, by the caller, and not yet handled.
    return Shown(
        escalation,
        raised_by=current_user.display_name,
        handled_at=None,
        handled_by=None,
        outcome=None,
    )
