"""The partner side: cases handed over to partner contact, their work, sessions and the
relay inbox. Every query goes through the partner side's own scopes (the cases the user
holds, or the clinic's waiting hand-overs): nothing of the client side is read here.

This module holds the inbox, picking up a case, the case as its page shows it, and the
partner's protected identity. The contact work, the clinical records and the relay inbox are
in the ``partner_*`` modules imported at the bottom, which add their routes to :data:`blp`.
"""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from partnercontact.api.errors import DENIED, INVALID, NOT_FOUND, answers
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.partners import clinical, contact, escalations, sending
from partnercontact.partners import service as partners
from partnercontact.partners.models import (
    Child,
    ContactAttempt,
    PartnerCase,
    PartnerConsent,
    RiskAssessment,
    SafeContactPlan,
    SafetyPlan,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
)
from partnercontact.partners.vocabulary import PARTNER_SCOPES, WEEKDAYS
from partnercontact.policy import Permission, requires
from partnercontact.relay import tasks

blp = Blueprint(
    "api_partner_cases",
    __name__,
    url_prefix="/api/v1/partner-cases",
    description="The partner side: cases, contact, sessions and the relay inbox",
)

# --- output: what the case page shows, record by record --------------------------------------


class HandoverOut(Schema):
    kind = fields.String(required=True, metadata={"description": "initial or correction"})
    handed_over_on = fields.Date(required=True)
    name = fields.String(required=True)
    phone = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    relation = fields.String(required=True, metadata={"description": "current or former"})
    children_in_common = fields.String(required=True, metadata={"description": "yes, no, unknown"})


class ColleagueOut(Schema):
    id = fields.Integer(required=True)
    display_name = fields.String(required=True)


class PartnerOut(Schema):
    visible = fields.Boolean(
        required=True,
        metadata={
            "description": "False when she has protected personal data and you are not named "
            "for her: her details are then withheld"
        },
    )
    handovers = fields.List(
        fields.Nested(HandoverOut),
        allow_none=True,
        metadata={"description": "Every hand-over note, newest first"},
    )
    colleagues = fields.List(
        fields.Nested(ColleagueOut),
        required=True,
        metadata={"description": "Colleagues who can be named for a protected partner"},
    )


class SuitabilityOut(Schema):
    decision = fields.String(required=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    recorded_at = fields.DateTime(required=True)


class SuitabilityHistoryOut(Schema):
    current = fields.Nested(SuitabilityOut, allow_none=True)
    history = fields.List(fields.Nested(SuitabilityOut), required=True)


class AnswerRowOut(Schema):
    answer = fields.String(required=True)
    answered_on = fields.Date(required=True)
    recorded_at = fields.DateTime(required=True)


class PartnerConsentOut(Schema):
    given_on = fields.Date(required=True)
    withdrawn_on = fields.Date(allow_none=True)
    scopes = fields.List(fields.String(), required=True)


class UnreachableReviewOut(Schema):
    attempts = fields.Integer(required=True)
    marked_on = fields.Date(required=True)


class AnswersOut(Schema):
    current = fields.String(required=True, metadata={"description": "Her answer now"})
    contact_ended_on = fields.Date(allow_none=True)
    consent = fields.Nested(PartnerConsentOut, allow_none=True)
    unreachable_review = fields.Nested(
        UnreachableReviewOut,
        allow_none=True,
        metadata={"description": "Set when the clinic's rule marked her unreachable"},
    )
    history = fields.List(fields.Nested(AnswerRowOut), required=True)


class AttemptOut(Schema):
    id = fields.UUID(required=True)
    attempted_at = fields.DateTime(required=True)
    channel = fields.String(required=True)
    outcome = fields.String(required=True)


class AttemptsOut(Schema):
    items = fields.List(fields.Nested(AttemptOut), required=True)
    required = fields.Integer(required=True)
    window_days = fields.Integer(required=True)


class SafeContactPlanOut(Schema):
    version = fields.Integer(required=True)
    channels = fields.List(fields.String(), required=True)
    safe_days = fields.List(fields.String(), required=True)
    safe_from = fields.Time(allow_none=True)
    safe_until = fields.Time(allow_none=True)
    voicemail_allowed = fields.Boolean(required=True)
    letters_safe_at_address = fields.Boolean(required=True)
    sender_name = fields.String(allow_none=True)
    opener = fields.String(allow_none=True)


class ThreatWarningOut(Schema):
    id = fields.UUID(required=True)
    recorded_at = fields.DateTime(required=True)
    reason = fields.String(required=True)
    confirmed_at = fields.DateTime(allow_none=True)


class ThreatWarningsOut(Schema):
    items = fields.List(fields.Nested(ThreatWarningOut), required=True)
    may_record = fields.Boolean(required=True)


class SendDecisionOut(Schema):
    id = fields.UUID(required=True)
    recorded_at = fields.DateTime(required=True)
    channel = fields.String(required=True)
    reason = fields.String(required=True)
    used_at = fields.DateTime(allow_none=True)


class RiskAssessmentOut(Schema):
    id = fields.UUID(required=True)
    assessed_on = fields.Date(required=True)
    instrument = fields.String(required=True)
    level = fields.String(required=True)
    next_review_on = fields.Date(allow_none=True)
    notes = fields.String(allow_none=True)


class RiskOut(Schema):
    assessments = fields.List(fields.Nested(RiskAssessmentOut), required=True)
    review_overdue_since = fields.Date(allow_none=True)


class UrgentTaskOut(Schema):
    id = fields.UUID(required=True)
    for_role = fields.String(required=True, metadata={"description": "partner_treater or manager"})
    opened_at = fields.DateTime(required=True)
    assessed_on = fields.Date(required=True)
    level = fields.String(required=True)
    handled_at = fields.DateTime(allow_none=True)
    handling = fields.String(
        allow_none=True, metadata={"description": "How you handled it; never a manager's"}
    )


class EscalationOut(Schema):
    id = fields.UUID(required=True)
    reason = fields.String(required=True)
    urgency = fields.String(required=True)
    raised_at = fields.DateTime(required=True)
    raised_by = fields.String(allow_none=True)
    handled_at = fields.DateTime(allow_none=True)
    handled_by = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True)


class ChildOut(Schema):
    id = fields.UUID(required=True)
    label = fields.String(required=True)
    age = fields.Integer(allow_none=True)
    lives_with_client = fields.Boolean(required=True)
    regular_contact_with_client = fields.Boolean(required=True)


class ChildRefOut(Schema):
    id = fields.UUID(required=True)
    label = fields.String(required=True)


class SafetyPlanVersionOut(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)


class SafetyPlanOut(SafetyPlanVersionOut):
    child = fields.Nested(ChildRefOut, allow_none=True)
    content = fields.String(required=True)


class SafetyPlanHistoryOut(Schema):
    child = fields.Nested(ChildRefOut, allow_none=True)
    current = fields.Nested(SafetyPlanOut, allow_none=True)
    earlier = fields.List(
        fields.Nested(SafetyPlanVersionOut),
        required=True,
        metadata={"description": "Earlier versions, newest first; read one by its id"},
    )


class ConcernReportOut(Schema):
    id = fields.UUID(required=True)
    reported_on = fields.Date(required=True)
    board = fields.String(required=True)
    reason = fields.String(required=True)
    child = fields.Nested(ChildRefOut, allow_none=True)
    made_by = fields.String(allow_none=True)


class RelayOutcomeOut(Schema):
    outcome = fields.String(required=True)
    outcome_on = fields.Date(required=True)


class RelayEventOut(Schema):
    id = fields.UUID(required=True)
    kind = fields.String(required=True, metadata={"description": "One of the relay's kinds"})
    occurred_on = fields.Date(required=True)
    open = fields.Boolean(
        required=True, metadata={"description": "Nothing recorded yet: inform her if she wishes"}
    )
    outcomes = fields.List(fields.Nested(RelayOutcomeOut), required=True)


class ClosingOut(Schema):
    closing_since = fields.Date(
        allow_none=True, metadata={"description": "The client's treatment ended on this date"}
    )
    closing_open = fields.Boolean(required=True)
    closed_on = fields.Date(allow_none=True)
    closing_outcome = fields.String(allow_none=True)
    own_treatment_since = fields.Date(allow_none=True)


class RelayOut(ClosingOut):
    events = fields.List(fields.Nested(RelayEventOut), required=True)


class PartnerCaseSummaryOut(Schema):
    id = fields.UUID(required=True)
    reference = fields.String(required=True, metadata={"description": "A neutral reference"})
    held = fields.Boolean(required=True, metadata={"description": "Whether you hold the case"})
    protected_identity = fields.Boolean(required=True)


class PartnerCaseOut(PartnerCaseSummaryOut):
    # Everything below is given only for a case you hold, as on the case page.
    partner = fields.Nested(PartnerOut)
    relay = fields.Nested(RelayOut)
    safe_contact_plan = fields.Nested(SafeContactPlanOut, allow_none=True)
    suitability = fields.Nested(SuitabilityHistoryOut)
    answers = fields.Nested(AnswersOut)
    attempts = fields.Nested(AttemptsOut)
    threat_warnings = fields.Nested(ThreatWarningsOut)
    send_decisions = fields.List(
        fields.Nested(SendDecisionOut),
        allow_none=True,
        metadata={"description": "Only for a partner with protected personal data"},
    )
    risk = fields.Nested(RiskOut)
    urgent_tasks = fields.List(fields.Nested(UrgentTaskOut))
    escalations = fields.List(fields.Nested(EscalationOut))
    children = fields.List(fields.Nested(ChildOut))
    safety_plans = fields.List(fields.Nested(SafetyPlanHistoryOut))
    concern_reports = fields.List(fields.Nested(ConcernReportOut))


# --- records as dicts, built before the commit expires them ------------------------------------


def suitability_out(row: SuitabilityDecision) -> dict[str, object]:
    return {
        "decision": row.decision,
        "reason": row.reason,
        "note": row.note,
        "recorded_at": row.recorded_at,
    }


def consent_out(consent: PartnerConsent | None) -> dict[str, object] | None:
    if consent is None:
        return None
    return {
        "given_on": consent.given_on,
        "withdrawn_on": consent.withdrawn_on,
        "scopes": [scope for scope in PARTNER_SCOPES if getattr(consent, scope)],
    }


def answers_out(partner_case: PartnerCase) -> dict[str, object]:
    review = contact.unreachable_review(partner_case)
    return {
        "current": partner_case.answer,
        "contact_ended_on": partner_case.contact_ended_on,
        "consent": consent_out(contact.current_partner_consent(partner_case)),
        "unreachable_review": (
            {"attempts": review.attempts, "marked_on": review.marked_on} if review else None
        ),
        "history": [
            {"answer": row.answer, "answered_on": row.answered_on, "recorded_at": row.recorded_at}
            for row in contact.answer_history(partner_case)
        ],
    }


def attempt_out(attempt: ContactAttempt) -> dict[str, object]:
    return {
        "id": attempt.id,
        "attempted_at": attempt.attempted_at,
        "channel": attempt.channel,
        "outcome": attempt.outcome,
    }


def plan_out(plan: SafeContactPlan | None) -> dict[str, object] | None:
    if plan is None:
        return None
    return {
        "version": plan.version,
        "channels": contact.plan_channels(plan),
        "safe_days": [key for key in WEEKDAYS if key in plan.safe_days],
        "safe_from": plan.safe_from,
        "safe_until": plan.safe_until,
        "voicemail_allowed": plan.voicemail_allowed,
        "letters_safe_at_address": plan.letters_safe_at_address,
        "sender_name": plan.sender_name,
        "opener": plan.opener,
    }


def threat_warning_out(warning: ThreatWarning) -> dict[str, object]:
    return {
        "id": warning.id,
        "recorded_at": warning.recorded_at,
        "reason": warning.reason or "",
        "confirmed_at": warning.confirmed_at,
    }


def send_decision_out(decision: SendDecision) -> dict[str, object]:
    return {
        "id": decision.id,
        "recorded_at": decision.recorded_at,
        "channel": decision.channel,
        "reason": decision.reason or "",
        "used_at": decision.used_at,
    }


def risk_assessment_out(assessment: RiskAssessment) -> dict[str, object]:
    return {
        "id": assessment.id,
        "assessed_on": assessment.assessed_on,
        "instrument": assessment.instrument,
        "level": assessment.level,
        "next_review_on": assessment.next_review_on,
        "notes": assessment.notes,
    }


def urgent_task_out(task: clinical.CaseTask) -> dict[str, object]:
    return {
        "id": task.id,
        "for_role": task.for_role,
        "opened_at": task.opened_at,
        "assessed_on": task.assessed_on,
        "level": task.level,
        "handled_at": task.handled_at,
        "handling": task.handling,
    }


def escalation_out(entry: escalations.CaseEscalation) -> dict[str, object]:
    return {
        "id": entry.id,
        "reason": entry.reason,
        "urgency": entry.urgency,
        "raised_at": entry.raised_at,
        "raised_by": entry.raised_by,
        "handled_at": entry.handled_at,
        "handled_by": entry.handled_by,
        "outcome": entry.outcome,
    }


def child_out(child: Child) -> dict[str, object]:
    return {
        "id": child.id,
        "label": child.label or "",
        "age": child.age,
        "lives_with_client": child.lives_with_client,
        "regular_contact_with_client": child.regular_contact_with_client,
    }


def child_ref(child: Child | None) -> dict[str, object] | None:
    return {"id": child.id, "label": child.label or ""} if child is not None else None


def safety_plan_out(plan: SafetyPlan, child: Child | None) -> dict[str, object]:
    return {
        "id": plan.id,
        "version": plan.version,
        "recorded_at": plan.recorded_at,
        "child": child_ref(child),
        "content": plan.content or "",
    }


def safety_history_out(history: clinical.PlanHistory) -> dict[str, object]:
    return {
        "child": child_ref(history.child),
        "current": safety_plan_out(history.current, history.child) if history.current else None,
        "earlier": [
            {"id": plan.id, "version": plan.version, "recorded_at": plan.recorded_at}
            for plan in history.earlier
        ],
    }


def concern_report_out(entry: clinical.ConcernReportEntry) -> dict[str, object]:
    return {
        "id": entry.id,
        "reported_on": entry.reported_on,
        "board": entry.board,
        "reason": entry.reason,
        "child": child_ref(entry.child),
        "made_by": entry.made_by,
    }


def relay_event_out(event: tasks.RelayedEvent) -> dict[str, object]:
    return {
        "id": event.id,
        "kind": event.kind,
        "occurred_on": event.occurred_on,
        "open": event.open,
        "outcomes": [
            {"outcome": outcome.outcome, "outcome_on": outcome.outcome_on}
            for outcome in event.outcomes
        ],
    }


def closing_out(partner_case: PartnerCase) -> dict[str, object]:
    return {
        "closing_since": partner_case.closing_since,
        "closing_open": tasks.closing_open(partner_case),
        "closed_on": partner_case.closed_on,
        "closing_outcome": partner_case.closing_outcome,
        "own_treatment_since": partner_case.own_treatment_since,
    }


def summary_out(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    return {
        "id": partner_case.id,
        "reference": partners.reference_of(partner_case),
        "held": partner_case.treater_id == actor.id,
        "protected_identity": partner_case.protected_identity,
    }


def _partner_out(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    # Her details come only from partner_details, which withholds a protected partner's from
    # anyone not named for her and audits the read either way.
    entries = partners.partner_details(actor, partner_case)
    if entries is None:
        return {"visible": False, "handovers": None, "colleagues": []}
    return {
        "visible": True,
        "handovers": [
            {
                "kind": entry.kind,
                "handed_over_on": entry.handed_over_on,
                "name": entry.details.name,
                "phone": entry.details.phone,
                "address": entry.details.address,
                "relation": entry.details.relation,
                "children_in_common": entry.details.children_in_common,
            }
            for entry in entries
        ],
        "colleagues": [
            {"id": user.id, "display_name": user.display_name}
            for user in (
                partners.colleagues_to_name(actor) if partner_case.protected_identity else []
            )
        ],
    }


def case_out(actor: User, partner_case: PartnerCase) -> dict[str, object]:
    """The case as its page shows it: for a case nobody holds yet, only that it waits; for a
    case ``actor`` holds, every section, each read through the service its section uses."""
    answer = summary_out(actor, partner_case)
    if not answer["held"]:
        return answer
    clinic = contact.clinic_of(partner_case)
    risk = clinical.risk_overview(actor, partner_case)
    history = contact.suitability_history(partner_case)
    answer |= {
        "partner": _partner_out(actor, partner_case),
        "relay": closing_out(partner_case)
        | {"events": [relay_event_out(e) for e in tasks.relayed_events(actor, partner_case)]},
        "safe_contact_plan": plan_out(contact.latest_plan(partner_case)),
        "suitability": {
            "current": suitability_out(history[0]) if history else None,
            "history": [suitability_out(row) for row in history],
        },
        "answers": answers_out(partner_case),
        "attempts": {
            "items": [attempt_out(a) for a in contact.attempts_of(partner_case)],
            "required": clinic.contact_attempts_required,
            "window_days": clinic.contact_attempt_window_days,
        },
        "threat_warnings": {
            "items": [threat_warning_out(w) for w in contact.threat_warnings(partner_case)],
            "may_record": contact.has_opted_out(partner_case),
        },
        "send_decisions": (
            [send_decision_out(d) for d in sending.send_decisions(partner_case)]
            if partner_case.protected_identity
            else None
        ),
        "risk": {
            "assessments": [risk_assessment_out(a) for a in risk.assessments],
            "review_overdue_since": risk.review_overdue_since,
        },
        "urgent_tasks": [
            urgent_task_out(t) for t in clinical.urgent_tasks_of_case(actor, partner_case)
        ],
        "escalations": [
            escalation_out(e) for e in escalations.escalations_of_case(actor, partner_case)
        ],
        "children": [child_out(c) for c in clinical.children_of(actor, partner_case)],
        "safety_plans": [safety_history_out(h) for h in clinical.safety_plans(actor, partner_case)],
        "concern_reports": [
            concern_report_out(r) for r in clinical.concern_reports(actor, partner_case)
        ],
    }
    return answer


# --- the inbox ----------------------------------------------------------------------------------


class WaitingOut(Schema):
    case_id = fields.UUID(required=True)
    reference = fields.String(required=True)
    handed_over_on = fields.Date(required=True)
    partner_name = fields.String(
        allow_none=True,
        metadata={"description": "Withheld when she has protected personal data"},
    )
    protected = fields.Boolean(required=True)


class HeldOut(Schema):
    case_id = fields.UUID(required=True)
    reference = fields.String(required=True)
    partner_name = fields.String(
        allow_none=True,
        metadata={"description": "Withheld when she is protected and you are not named"},
    )
    protected = fields.Boolean(required=True)
    answer = fields.String(required=True, metadata={"description": "Her answer to the offer"})


class InboxOut(Schema):
    waiting = fields.List(
        fields.Nested(WaitingOut),
        required=True,
        metadata={"description": "Hand-overs of your clinic that nobody holds yet"},
    )
    held = fields.List(fields.Nested(HeldOut), required=True)
    open_urgent_tasks = fields.Integer(
        required=True, metadata={"description": "Urgent tasks waiting for you on your cases"}
    )


@blp.route("", methods=["GET"])
@requires(Permission.PARTNER_SIDE_VIEW)
@blp.response(200, InboxOut)
@answers(blp, DENIED)
def inbox() -> dict[str, object]:
    """Hand-overs waiting to be picked up in your clinic, and the cases you hold."""
    items = partners.inbox(current_user)
    answer = {
        "waiting": [
            {
                "case_id": item.case_id,
                "reference": item.reference,
                "handed_over_on": item.handed_over_on,
                "partner_name": item.partner_name,
                "protected": item.protected,
            }
            for item in items
            if not item.held_by_me
        ],
        "held": [
            {
                "case_id": item.case_id,
                "reference": item.reference,
                "partner_name": item.partner_name,
                "protected": item.protected,
                "answer": item.answer,
            }
            for item in items
            if item.held_by_me
        ],
        "open_urgent_tasks": clinical.open_task_count(current_user),
    }
    db.session.commit()  # the audit entry of the read
    return answer


@blp.route("/<uuid:case_id>", methods=["GET"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.response(200, PartnerCaseOut)
@answers(blp, NOT_FOUND)
def get_case(case_id: uuid.UUID) -> dict[str, object]:
    """One case, as its page shows it.

    For a waiting hand-over only that it waits; for a case you hold, every section of its
    page."""
    partner_case = partners.partner_case_for(current_user, case_id)
    answer = case_out(current_user, partner_case)
    db.session.commit()  # the audit entries of the reads
    return answer


@blp.route("/<uuid:case_id>/pick-up", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.response(200, PartnerCaseSummaryOut)
@answers(blp, NOT_FOUND)
def pick_up(case_id: uuid.UUID) -> dict[str, object]:
    """Pick up a waiting hand-over.

    You become the partner's treater. The client's own treater cannot, unless an
    administrator recorded an exception."""
    partner_case = partners.pick_up(current_user, case_id)
    answer = summary_out(current_user, partner_case)
    db.session.commit()
    return answer


@blp.route("/<uuid:case_id>/protected", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.response(200, PartnerCaseSummaryOut)
@answers(blp, NOT_FOUND)
def mark_protected(case_id: uuid.UUID) -> dict[str, object]:
    """Mark the partner as having protected personal data.

    From now on only staff named for her see her details, and nothing is sent to her
    without a recorded decision."""
    partner_case = partners.mark_protected(current_user, case_id)
    answer = summary_out(current_user, partner_case)
    db.session.commit()
    return answer


class NameStaffIn(Schema):
    user_id = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "A partner-contact treater of your clinic (see colleagues)"},
    )


@blp.route("/<uuid:case_id>/named-staff", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(NameStaffIn)
@blp.response(204)
@answers(blp, 400, NOT_FOUND, INVALID)
def name_staff(body: dict[str, Any], case_id: uuid.UUID) -> None:
    """Name a colleague who may see a protected partner's details."""
    # 0 is never an account: the service answers "choose a treater" on user_id.
    partners.name_staff(current_user, case_id, body["user_id"] or 0)
    db.session.commit()


# The other operations of the partner side add their routes to blp when imported.
from partnercontact.api import (  # noqa: E402
    partner_clinical,
    partner_contact,
    partner_relay,
    partner_sessions,
)

__all__ = ["blp", "partner_clinical", "partner_contact", "partner_relay", "partner_sessions"]
