"""The contact work on a partner case you hold: contact attempts, her answer and her own
consent, its withdrawal, the end of contact, suitability, the safe-contact plan, threat
warnings and send decisions. Each operation calls the service its page calls; every rule
(required, allowed, in order) is the service's, and its refusal names the field."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user

from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.output import Shown, commits
from partnercontact.api.partner import blp
from partnercontact.api.partner.schemas import (
    AnswerIn,
    AnswerRecordedOut,
    AttemptIn,
    AttemptRecordedOut,
    ContactEndedOut,
    EndContactIn,
    PartnerConsentOut,
    SafeContactPlanIn,
    SafeContactPlanOut,
    SendDecisionIn,
    SendDecisionOut,
    SuitabilityIn,
    SuitabilityOut,
    ThreatWarningIn,
    ThreatWarningOut,
    WithdrawConsentIn,
)
from partnercontact.partner_side import contact, rules, sending
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import (
    PartnerCase,
    PartnerConsent,
    SafeContactPlan,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
)
from partnercontact.policy import Permission, requires

# --- contact attempts ---------------------------------------------------------------------------


@blp.route("/<uuid:case_id>/attempts", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(AttemptIn)
@blp.response(201, AttemptRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_attempt(body: dict[str, Any], case_id: uuid.UUID) -> Shown:
    """Record an attempt to contact her, or a call she made herself (called_in).

    An attempt passes the rules of contact like a letter: refused (409) before a suitability
    decision, outside the first-contact path before her plan, after she has been reached
    until her plan is recorded, and outside her plan after that, unless a manager's override
    covers it. A call that reached her needs safe_to_talk."""
    recorded = contact.record_attempt(
        current_user,
        case_id,
        channel=body["channel"] or "",
        outcome=body["outcome"] or "",
        attempted_at=body["attempted_at"],
        called_in=body["called_in"],
        safe_to_talk=body["safe_to_talk"] or None,
    )
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    return Shown(
        recorded.attempt,
        marked_unreachable=recorded.marked_unreachable,
        answer=partner_case.answer,
    )


# --- her answer, her consent, the end of contact ----------------------------------------------


@blp.route("/<uuid:case_id>/answers", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(AnswerIn)
@blp.response(201, AnswerRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_answer(body: dict[str, Any], case_id: uuid.UUID) -> Shown:
    """Record her answer, with her own consent when she accepts.

    The offer stands: a new accepted or pending answer re-opens a declined offer or an
    ended contact."""
    row = contact.record_answer(
        current_user,
        case_id,
        answer=body["answer"] or "",
        answered_on=body["answered_on"],
        scopes=body["scopes"],
    )
    consent = None
    if body["scopes"]:
        partner_case = partners.held_case_for(current_user, case_id, audited=False)
        consent = rules.current_partner_consent(partner_case)
    return Shown(row, consent=consent)


@blp.route("/<uuid:case_id>/consent/withdrawal", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(WithdrawConsentIn)
@blp.response(200, PartnerConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def withdraw_consent(body: dict[str, Any], case_id: uuid.UUID) -> PartnerConsent:
    """She withdraws her own consent. The client's consent is not touched."""
    return contact.withdraw_partner_consent(
        current_user, case_id, withdrawn_on=body["withdrawn_on"]
    )


@blp.route("/<uuid:case_id>/end-contact", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(EndContactIn)
@blp.response(200, ContactEndedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def end_contact(body: dict[str, Any], case_id: uuid.UUID) -> PartnerCase:
    """She ends the contact. The offer still stands: a new answer re-opens it."""
    return contact.end_contact(current_user, case_id, ended_on=body["ended_on"])


# --- suitability ------------------------------------------------------------------------------


@blp.route("/<uuid:case_id>/suitability", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(SuitabilityIn)
@blp.response(201, SuitabilityOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def decide_suitability(body: dict[str, Any], case_id: uuid.UUID) -> SuitabilityDecision:
    """Record whether partner contact suits the case; the newest decision counts."""
    return contact.decide_suitability(
        current_user,
        case_id,
        decision=body["decision"] or "",
        reason=body["reason"],
        note=body["note"],
    )


# --- the safe-contact plan ------------------------------------------------------------------


@blp.route("/<uuid:case_id>/safe-contact-plan", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(SafeContactPlanIn)
@blp.response(201, SafeContactPlanOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def save_safe_contact_plan(body: dict[str, Any], case_id: uuid.UUID) -> SafeContactPlan:
    """Save a new version of her safe-contact plan; earlier versions are kept."""
    return contact.save_safe_contact_plan(
        current_user,
        case_id,
        contact.SafeContactPlanIn(
            channels=body["channels"],
            safe_days=body["safe_days"],
            safe_from=body["safe_from"],
            safe_until=body["safe_until"],
            voicemail_allowed=body["voicemail_allowed"],
            letters_safe_at_address=body["letters_safe_at_address"],
            sender_name=body["sender_name"],
            opener=body["opener"],
        ),
    )


# --- threat warnings and send decisions -------------------------------------------------------


@blp.route("/<uuid:case_id>/threat-warnings", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(ThreatWarningIn)
@blp.response(201, ThreatWarningOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_threat_warning(body: dict[str, Any], case_id: uuid.UUID) -> ThreatWarning:
    """Record that she must be warned of an imminent threat although she opted out.

    It takes effect once a manager confirms it."""
    return contact.record_threat_warning(current_user, case_id, reason=body["reason"])


@blp.route("/<uuid:case_id>/send-decisions", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(SendDecisionIn)
@blp.response(201, SendDecisionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_send_decision(body: dict[str, Any], case_id: uuid.UUID) -> SendDecision:
    """Allow one letter or one text message to a partner with protected personal data."""
    return sending.record_send_decision(
        current_user, case_id, body["channel"] or "", body["reason"]
    )
