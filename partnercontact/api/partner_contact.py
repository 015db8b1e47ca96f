"""The contact work on a partner case you hold: contact attempts, her answer and her own
consent, its withdrawal, the end of contact, suitability, the safe-contact plan, threat
warnings and send decisions. Each operation calls the service its page calls; every rule
(required, allowed, in order) is the service's, and its refusal names the field."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user
from marshmallow import Schema, fields

from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.fields import Boolean, Moment, Text, choice, choices, day
from partnercontact.api.partner_cases import (
    AnswerRowOut,
    AttemptOut,
    PartnerConsentOut,
    SafeContactPlanOut,
    SendDecisionOut,
    SuitabilityOut,
    ThreatWarningOut,
    attempt_out,
    blp,
    consent_out,
    plan_out,
    send_decision_out,
    suitability_out,
    threat_warning_out,
)
from partnercontact.db import db
from partnercontact.partners import contact, sending
from partnercontact.partners import service as partners
from partnercontact.partners.vocabulary import (
    ANSWERS,
    ATTEMPT_OUTCOMES,
    CHANNELS,
    NO_CONTACT_REASONS,
    PARTNER_SCOPES,
    SUITABILITY_DECISIONS,
    WEEKDAYS,
)
from partnercontact.policy import Permission, requires

# --- contact attempts ---------------------------------------------------------------------------


class AttemptIn(Schema):
    channel = choice(CHANNELS, "How you tried to reach her")
    outcome = choice(ATTEMPT_OUTCOMES, "What came of the attempt")
    attempted_at = Moment(
        load_default=None, metadata={"description": "When you tried (ISO 8601; UTC if no offset)"}
    )
    checked_safe = Boolean(
        load_default=False,
        metadata={
            "description": "You checked that it was safe: needed to record an attempt her plan "
            "or consent does not allow"
        },
    )


class AttemptRecordedOut(AttemptOut):
    marked_unreachable = fields.Boolean(
        required=True,
        metadata={"description": "This attempt made the clinic's rule mark her unreachable"},
    )
    answer = fields.String(required=True, metadata={"description": "Her answer now"})


@blp.route("/<uuid:case_id>/attempts", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(AttemptIn)
@blp.response(201, AttemptRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_attempt(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Record an attempt to contact her.

    An attempt her plan or consent does not allow is refused on checked_safe unless you
    confirm that you checked it was safe."""
    recorded = contact.record_attempt(
        current_user,
        case_id,
        channel=body["channel"] or "",
        outcome=body["outcome"] or "",
        attempted_at=body["attempted_at"],
        checked_safe=body["checked_safe"],
    )
    partner_case = partners.held_case_for(current_user, case_id, audited=False)
    answer = attempt_out(recorded.attempt) | {
        "marked_unreachable": recorded.marked_unreachable,
        "answer": partner_case.answer,
    }
    db.session.commit()
    return answer


# --- her answer, her consent, the end of contact ----------------------------------------------


class AnswerIn(Schema):
    answer = choice(ANSWERS, "Her answer to the offer of contact")
    answered_on = day("The date of her answer")
    scopes = choices(
        PARTNER_SCOPES,
        "What she consents to: at least one when she accepts; when she declines, only "
        "told_when_ended; nothing with another answer",
    )


class AnswerRecordedOut(AnswerRowOut):
    consent = fields.Nested(
        PartnerConsentOut,
        allow_none=True,
        metadata={"description": "Her own consent, when this answer recorded one"},
    )


@blp.route("/<uuid:case_id>/answers", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(AnswerIn)
@blp.response(201, AnswerRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_answer(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
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
        consent = consent_out(contact.current_partner_consent(partner_case))
    answer = {
        "answer": row.answer,
        "answered_on": row.answered_on,
        "recorded_at": row.recorded_at,
        "consent": consent,
    }
    db.session.commit()
    return answer


class WithdrawConsentIn(Schema):
    withdrawn_on = day("The date she withdrew her consent")


@blp.route("/<uuid:case_id>/consent/withdrawal", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(WithdrawConsentIn)
@blp.response(200, PartnerConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def withdraw_consent(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object] | None:
    """She withdraws her own consent. The client's consent is not touched."""
    consent = contact.withdraw_partner_consent(
        current_user, case_id, withdrawn_on=body["withdrawn_on"]
    )
    answer = consent_out(consent)
    db.session.commit()
    return answer


class EndContactIn(Schema):
    ended_on = day("The date she ended the contact")


class ContactEndedOut(Schema):
    contact_ended_on = fields.Date(required=True)
    answer = fields.String(required=True)


@blp.route("/<uuid:case_id>/end-contact", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(EndContactIn)
@blp.response(200, ContactEndedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def end_contact(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """She ends the contact. The offer still stands: a new answer re-opens it."""
    partner_case = contact.end_contact(current_user, case_id, ended_on=body["ended_on"])
    answer = {"contact_ended_on": partner_case.contact_ended_on, "answer": partner_case.answer}
    db.session.commit()
    return answer


# --- suitability ------------------------------------------------------------------------------


class SuitabilityIn(Schema):
    decision = choice(SUITABILITY_DECISIONS, "Whether partner contact suits the case")
    reason = choice(NO_CONTACT_REASONS, "Why not: only with no_contact, and then needed")
    note = Text(
        load_default=None,
        allow_none=True,
        max_length=contact.NOTE_MAX,
        multiline=True,
        metadata={"description": "Needed with the reason other"},
    )


@blp.route("/<uuid:case_id>/suitability", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(SuitabilityIn)
@blp.response(201, SuitabilityOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def decide_suitability(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Record whether partner contact suits the case; the newest decision counts."""
    row = contact.decide_suitability(
        current_user,
        case_id,
        decision=body["decision"] or "",
        reason=body["reason"],
        note=body["note"],
    )
    answer = suitability_out(row)
    db.session.commit()
    return answer


# --- the safe-contact plan ------------------------------------------------------------------


class SafeContactPlanIn(Schema):
    channels = choices(CHANNELS, "The ways of contact that are safe")
    safe_days = choices(WEEKDAYS, "Safe days, ISO weekdays: 1 is Monday")
    safe_from = fields.Time(load_default=None, allow_none=True, metadata={"description": "HH:MM"})
    safe_until = fields.Time(load_default=None, allow_none=True, metadata={"description": "HH:MM"})
    voicemail_allowed = Boolean(load_default=False)
    letters_safe_at_address = Boolean(load_default=False)
    sender_name = Text(
        load_default=None,
        allow_none=True,
        max_length=contact.SENDER_NAME_MAX,
        metadata={"description": "The sender name she wants to see"},
    )
    opener = Text(
        load_default=None,
        allow_none=True,
        max_length=contact.OPENER_MAX,
        metadata={"description": "The agreed opening phrase"},
    )


@blp.route("/<uuid:case_id>/safe-contact-plan", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(SafeContactPlanIn)
@blp.response(201, SafeContactPlanOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def save_safe_contact_plan(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object] | None:
    """Save a new version of her safe-contact plan; earlier versions are kept."""
    plan = contact.save_safe_contact_plan(
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
    answer = plan_out(plan)
    db.session.commit()
    return answer


# --- threat warnings and send decisions -------------------------------------------------------


class ThreatWarningIn(Schema):
    reason = Text(
        load_default=None,
        allow_none=True,
        max_length=contact.REASON_MAX,
        multiline=True,
        metadata={"description": "The threat she must be warned of"},
    )


@blp.route("/<uuid:case_id>/threat-warnings", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(ThreatWarningIn)
@blp.response(201, ThreatWarningOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_threat_warning(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Record that she must be warned of an imminent threat although she opted out.

    It takes effect once a manager confirms it."""
    warning = contact.record_threat_warning(current_user, case_id, reason=body["reason"])
    answer = threat_warning_out(warning)
    db.session.commit()
    return answer


class SendDecisionIn(Schema):
    channel = choice(sending.SEND_CHANNELS, "The one send this decision allows")
    reason = Text(
        load_default=None,
        allow_none=True,
        max_length=contact.REASON_MAX,
        multiline=True,
        metadata={"description": "Why this one send may go to her"},
    )


@blp.route("/<uuid:case_id>/send-decisions", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(SendDecisionIn)
@blp.response(201, SendDecisionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_send_decision(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Allow one letter or one text message to a partner with protected personal data."""
    decision = sending.record_send_decision(
        current_user, case_id, body["channel"] or "", body["reason"]
    )
    answer = send_decision_out(decision)
    db.session.commit()
    return answer
