"""The clinical records of a partner case you hold: risk assessments and the urgent tasks a
high result opens, children, safety plans, concern reports, and escalations to the managers.
Each operation calls the service its page calls; the refusal names the field."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user
from marshmallow import Schema, fields, validate

from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.fields import Boolean, Text, choice, day
from partnercontact.api.partner_cases import (
    ChildOut,
    ConcernReportOut,
    EscalationOut,
    RiskAssessmentOut,
    SafetyPlanOut,
    UrgentTaskOut,
    blp,
    child_out,
    concern_report_out,
    risk_assessment_out,
    safety_plan_out,
    urgent_task_out,
)
from partnercontact.db import db
from partnercontact.partners import clinical, escalations
from partnercontact.partners import service as partners
from partnercontact.partners.vocabulary import CONCERN_REASONS, INSTRUMENTS, RISK_LEVELS
from partnercontact.policy import Permission, requires

# --- risk assessments and urgent tasks --------------------------------------------------------


class RiskAssessmentIn(Schema):
    instrument = choice(INSTRUMENTS, "The instrument used")
    assessed_on = day("The date of the assessment")
    level = choice(RISK_LEVELS, "The risk level; high opens an urgent task")
    next_review_on = day("The next review, after the assessment (optional)", allow_none=True)
    notes = Text(load_default=None, allow_none=True, max_length=clinical.MAX_NOTES, multiline=True)


class RiskAssessmentRecordedOut(RiskAssessmentOut):
    urgent_task_opened = fields.Boolean(
        required=True, metadata={"description": "The high risk opened an urgent task"}
    )


@blp.route("/<uuid:case_id>/risk-assessments", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(RiskAssessmentIn)
@blp.response(201, RiskAssessmentRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_risk_assessment(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Record a risk assessment.

    A high result opens an urgent task for you (and for the manager, if the clinic says
    so)."""
    assessment = clinical.record_risk_assessment(
        current_user,
        case_id,
        instrument=body["instrument"] or "",
        assessed_on=body["assessed_on"],
        level=body["level"] or "",
        next_review_on=body["next_review_on"],
        notes=body["notes"],
    )
    answer = risk_assessment_out(assessment) | {
        "urgent_task_opened": assessment.level == clinical.HIGH
    }
    db.session.commit()
    return answer


class HandlingIn(Schema):
    handling = Text(
        load_default=None,
        allow_none=True,
        max_length=clinical.MAX_HANDLING,
        multiline=True,
        metadata={"description": "How the task was handled"},
    )


@blp.route("/<uuid:case_id>/urgent-tasks/<uuid:task_id>/handling", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(HandlingIn)
@blp.response(200, UrgentTaskOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def handle_urgent_task(
    body: dict[str, Any], case_id: uuid.UUID, task_id: uuid.UUID
) -> dict[str, object]:
    """Record how one of your urgent tasks was handled."""
    clinical.handle_urgent_task(current_user, case_id, task_id, handling=body["handling"])
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    answer = urgent_task_out(clinical.urgent_task_of_case(current_user, partner_case, task_id))
    db.session.commit()
    return answer


# --- children --------------------------------------------------------------------------------


class ChildIn(Schema):
    label = Text(
        load_default=None,
        allow_none=True,
        max_length=clinical.MAX_LABEL,
        metadata={"description": "Initials or a first name, as she gives it"},
    )
    age = fields.Integer(
        strict=True,
        load_default=None,
        allow_none=True,
        # The service's range (0 to 17) decides; this only keeps absurd numbers out.
        validate=validate.Range(min=-1000, max=1000),
    )
    lives_with_client = Boolean(load_default=False)
    regular_contact_with_client = Boolean(load_default=False)


def _child_details(body: dict[str, Any]) -> clinical.ChildDetails:
    return clinical.ChildDetails(
        label=body["label"],
        age=body["age"],
        lives_with_client=body["lives_with_client"],
        regular_contact_with_client=body["regular_contact_with_client"],
    )


@blp.route("/<uuid:case_id>/children", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(ChildIn)
@blp.response(201, ChildOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_child(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Add a child who lives with the client or has regular contact with him."""
    child = clinical.record_child(current_user, case_id, _child_details(body))
    answer = child_out(child)
    db.session.commit()
    return answer


@blp.route("/<uuid:case_id>/children/<uuid:child_id>", methods=["PUT"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(ChildIn)
@blp.response(200, ChildOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def update_child(
    body: dict[str, Any], case_id: uuid.UUID, child_id: uuid.UUID
) -> dict[str, object]:
    """Replace what is recorded about a child."""
    child = clinical.update_child(current_user, case_id, child_id, _child_details(body))
    answer = child_out(child)
    db.session.commit()
    return answer


# --- safety plans ------------------------------------------------------------------------------


class SafetyPlanIn(Schema):
    content = Text(load_default=None, allow_none=True, max_length=clinical.MAX_PLAN, multiline=True)


def _save_plan(
    case_id: uuid.UUID, child_id: uuid.UUID | None, content: str | None
) -> dict[str, object]:
    plan = clinical.save_safety_plan(current_user, case_id, child_id=child_id, content=content)
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    child = clinical.child_of_case(current_user, partner_case, child_id) if child_id else None
    answer = safety_plan_out(plan, child)
    db.session.commit()
    return answer


@blp.route("/<uuid:case_id>/safety-plan", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(SafetyPlanIn)
@blp.response(201, SafetyPlanOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def save_partner_safety_plan(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Save a new version of her safety plan."""
    return _save_plan(case_id, None, body["content"])


@blp.route("/<uuid:case_id>/children/<uuid:child_id>/safety-plan", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(SafetyPlanIn)
@blp.response(201, SafetyPlanOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def save_child_safety_plan(
    body: dict[str, Any], case_id: uuid.UUID, child_id: uuid.UUID
) -> dict[str, object]:
    """Save a new version of one child's safety plan."""
    return _save_plan(case_id, child_id, body["content"])


@blp.route("/<uuid:case_id>/safety-plans/<uuid:plan_id>", methods=["GET"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.response(200, SafetyPlanOut)
@answers(blp, NOT_FOUND)
def safety_plan_version(case_id: uuid.UUID, plan_id: uuid.UUID) -> dict[str, object]:
    """One version of one of the case's safety plans, an earlier one included."""
    partner_case = partners.held_case_for(current_user, case_id)
    plan = clinical.safety_plan_version(current_user, partner_case, plan_id)
    child = (
        clinical.child_of_case(current_user, partner_case, plan.child_id) if plan.child_id else None
    )
    answer = safety_plan_out(plan, child)
    db.session.commit()  # the audit entry of the read
    return answer


# --- concern reports -----------------------------------------------------------------------------


class ConcernReportIn(Schema):
    reported_on = day("The date the report was made")
    board = Text(
        load_default=None,
        allow_none=True,
        max_length=clinical.MAX_BOARD,
        metadata={"description": "The social welfare board it went to"},
    )
    reason = choice(CONCERN_REASONS, "Why the report was made")
    child_id = fields.UUID(
        load_default=None,
        allow_none=True,
        metadata={"description": "One of the case's children, or none for no particular child"},
    )


@blp.route("/<uuid:case_id>/concern-reports", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(ConcernReportIn)
@blp.response(201, ConcernReportOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_concern_report(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
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
    entry = next(
        entry
        for entry in clinical.concern_reports(current_user, partner_case)
        if entry.id == report.id
    )
    answer = concern_report_out(entry)
    db.session.commit()
    return answer


# --- escalations to the managers ---------------------------------------------------------------


class EscalationIn(Schema):
    # Two closed choices and no text: what the managers need beyond the reason is said to
    # them in person, never written where a manager's page can show it.
    reason = choice(escalations.REASONS, "Why you escalate the case")
    urgency = fields.String(
        load_default=escalations.NORMAL,
        validate=validate.OneOf(list(escalations.URGENCIES)),
    )


@blp.route("/<uuid:case_id>/escalations", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(EscalationIn)
@blp.response(201, EscalationOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def raise_escalation(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Escalate the case to the clinic's managers. One open escalation per reason."""
    escalation = escalations.raise_escalation(
        current_user, case_id, reason=body["reason"], urgency=body["urgency"]
    )
    answer = {
        "id": escalation.id,
        "reason": escalation.reason,
        "urgency": escalation.urgency,
        "raised_at": escalation.raised_at,
        "raised_by": current_user.display_name,
        "handled_at": None,
        "handled_by": None,
        "outcome": None,
    }
    db.session.commit()
    return answer
