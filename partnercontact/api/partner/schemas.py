"""What the partner side's operations read and answer: ``<Thing>Out`` for an answer, dumped
from the record the service returned; ``<Action>In`` for a body. Nothing here names a field of
the client side: what crosses the wall comes through the relay's events and the hand-over."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from partnercontact.api.fields import Boolean, Moment, Text, choice, choices, day
from partnercontact.api.output import Shown
from partnercontact.assessments.instruments import from_sealed
from partnercontact.partner_side import clinical, contact, escalations, rules
from partnercontact.partner_side import relay_inbox as tasks
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import (
    Child,
    PartnerCase,
    PartnerConsent,
    RiskAssessment,
    SafeContactPlan,
    SafetyPlan,
    SendDecision,
    SuitabilityDecision,
    ThreatWarning,
)
from partnercontact.partner_side.scheduling import sessions as contact_sessions
from partnercontact.partner_side.scheduling.models import FINAL_SESSION_STATES, ContactSession
from partnercontact.partner_side.scheduling.plan import PURPOSES
from partnercontact.partner_side.vocabulary import (
    ANSWERS,
    ATTEMPT_OUTCOMES,
    CHANNELS,
    CONCERN_REASONS,
    INSTRUMENTS,
    NO_CONTACT_REASONS,
    PARTNER_SCOPES,
    RISK_LEVELS,
    SUITABILITY_DECISIONS,
    THREAT_WARNING_REJECTIONS,
    WEEKDAYS,
)
from partnercontact.relay.kinds import CLOSING_OUTCOMES, OUTCOMES

# --- the case as its page shows it, record by record -----------------------------------------


class HandoverOut(Schema):
    """Dumps a hand-over entry of the partner side: the note, and the details it handed over."""

    kind = fields.String(required=True, metadata={"description": "initial or correction"})
    handed_over_on = fields.Date(required=True)
    name = fields.String(required=True, attribute="details.name")
    phone = fields.String(allow_none=True, attribute="details.phone")
    address = fields.String(allow_none=True, attribute="details.address")
    relation = fields.String(
        required=True, attribute="details.relation", metadata={"description": "current or former"}
    )
    children_in_common = fields.String(
        required=True,
        attribute="details.children_in_common",
        metadata={"description": "yes, no, unknown"},
    )


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
    """Dumps the suitability decisions of a case, newest first: the newest is the current."""

    current = fields.Nested(SuitabilityOut, allow_none=True)
    history = fields.List(fields.Nested(SuitabilityOut), required=True)

    @pre_dump
    def _newest_counts(self, history: list[SuitabilityDecision], **kwargs: Any) -> Shown:
        return Shown(current=history[0] if history else None, history=history)


class AnswerRowOut(Schema):
    answer = fields.String(required=True)
    answered_on = fields.Date(required=True)
    recorded_at = fields.DateTime(required=True)


class PartnerConsentOut(Schema):
    given_on = fields.Date(required=True)
    withdrawn_on = fields.Date(allow_none=True)
    scopes = fields.List(fields.String(), required=True)

    @pre_dump
    def _scopes(self, consent: PartnerConsent, **kwargs: Any) -> Shown:
        return Shown(consent, scopes=[scope for scope in PARTNER_SCOPES if getattr(consent, scope)])


class UnreachableReviewOut(Schema):
    attempts = fields.Integer(required=True)
    marked_on = fields.Date(required=True)


class AnswersOut(Schema):
    """Dumps a :class:`PartnerCase` shown with her ``consent``, the ``unreachable_review`` and
    the ``history`` of her answers."""

    current = fields.String(
        required=True, attribute="answer", metadata={"description": "Her answer now"}
    )
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
    called_in = fields.Boolean(required=True)
    safe_to_talk = fields.Boolean(required=True, allow_none=True)


class AttemptsOut(Schema):
    """Dumps the case's clinic shown with the attempts as ``items``."""

    items = fields.List(fields.Nested(AttemptOut), required=True)
    required = fields.Integer(required=True, attribute="contact_attempts_required")
    window_days = fields.Integer(required=True, attribute="contact_attempt_window_days")


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

    @pre_dump
    def _in_vocabulary_order(self, plan: SafeContactPlan, **kwargs: Any) -> Shown:
        return Shown(
            plan,
            channels=rules.plan_channels(plan),
            safe_days=[key for key in WEEKDAYS if key in plan.safe_days],
        )


class ThreatWarningOut(Schema):
    id = fields.UUID(required=True)
    recorded_at = fields.DateTime(required=True)
    reason = fields.String(required=True)
    confirmed_at = fields.DateTime(allow_none=True)
    in_effect_until = fields.DateTime(
        allow_none=True,
        metadata={"description": "A confirmed warning lets the clinic reach her until then"},
    )
    rejected_at = fields.DateTime(
        allow_none=True, metadata={"description": "A rejected warning never takes effect"}
    )
    rejection_reason = fields.String(
        allow_none=True,
        metadata={
            "description": "Why a manager rejected it: " + ", ".join(THREAT_WARNING_REJECTIONS)
        },
    )

    @pre_dump
    def _reason(self, warning: ThreatWarning, **kwargs: Any) -> Shown:
        return Shown(
            warning,
            reason=warning.reason or "",
            in_effect_until=contact.threat_warning_in_effect_until(warning),
        )


class ThreatWarningsOut(Schema):
    items = fields.List(fields.Nested(ThreatWarningOut), required=True)
    may_record = fields.Boolean(required=True)


class SendDecisionOut(Schema):
    id = fields.UUID(required=True)
    recorded_at = fields.DateTime(required=True)
    channel = fields.String(required=True)
    reason = fields.String(required=True)
    used_at = fields.DateTime(allow_none=True)

    @pre_dump
    def _reason(self, decision: SendDecision, **kwargs: Any) -> Shown:
        return Shown(decision, reason=decision.reason or "")


class RiskAssessmentOut(Schema):
    id = fields.UUID(required=True)
    assessed_on = fields.Date(required=True)
    instrument = fields.String(required=True)
    level = fields.String(required=True)
    next_review_on = fields.Date(allow_none=True)
    notes = fields.String(allow_none=True)
    ratings = fields.Method("_ratings", metadata={"description": "Item key to rating"})

    def _ratings(self, assessment: RiskAssessment) -> dict[str, str]:
        return from_sealed(assessment.ratings)


class RiskOut(Schema):
    assessments = fields.List(fields.Nested(RiskAssessmentOut), required=True)
    review_overdue_since = fields.Date(allow_none=True)


class UrgentTaskOut(Schema):
    id = fields.UUID(required=True)
    for_role = fields.String(required=True, metadata={"description": "partner_treater or manager"})
    opened_at = fields.DateTime(required=True)
    assessed_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "Of the risk assessment that opened it; null for her report"},
    )
    level = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "Of the risk assessment that opened it; null for her report"},
    )
    reported_by_her = fields.Boolean(
        required=True,
        metadata={"description": "Opened by her report of new violence or threats in her portal"},
    )
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

    @pre_dump
    def _label(self, child: Child, **kwargs: Any) -> Shown:
        return Shown(child, label=child.label or "")


class ChildRefOut(Schema):
    id = fields.UUID(required=True)
    label = fields.String(required=True)

    @pre_dump
    def _label(self, child: Child, **kwargs: Any) -> Shown:
        return Shown(child, label=child.label or "")


class SafetyPlanVersionOut(Schema):
    id = fields.UUID(required=True)
    version = fields.Integer(required=True)
    recorded_at = fields.DateTime(required=True)


class SafetyPlanOut(SafetyPlanVersionOut):
    """Dumps a :class:`SafetyPlan` shown with its ``child``, or None for hers."""

    child = fields.Nested(ChildRefOut, allow_none=True)
    content = fields.String(required=True)

    @pre_dump
    def _content(self, plan: SafetyPlan, **kwargs: Any) -> Shown:
        return Shown(plan, content=plan.content or "")


class SafetyPlanHistoryOut(Schema):
    child = fields.Nested(ChildRefOut, allow_none=True)
    current = fields.Nested(SafetyPlanOut, allow_none=True)
    earlier = fields.List(
        fields.Nested(SafetyPlanVersionOut),
        required=True,
        metadata={"description": "Earlier versions, newest first; read one by its id"},
    )

    @pre_dump
    def _current_with_its_child(self, history: clinical.PlanHistory, **kwargs: Any) -> Shown:
        current = history.current
        return Shown(history, current=Shown(current, child=history.child) if current else None)


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
    reason = fields.String(
        allow_none=True,
        metadata={"description": "A risk signal's reason (a key of a closed list); else null"},
    )
    urgency = fields.String(
        allow_none=True, metadata={"description": "A risk signal's urgency: urgent or soon"}
    )
    act_by = fields.DateTime(
        allow_none=True,
        metadata={"description": "When the managers are told if nothing is recorded as done"},
    )


class ClosingOut(Schema):
    closing_since = fields.Date(
        allow_none=True, metadata={"description": "The client's treatment ended on this date"}
    )
    closing_open = fields.Boolean(required=True)
    closed_on = fields.Date(allow_none=True)
    closing_outcome = fields.String(allow_none=True)
    own_treatment_since = fields.Date(allow_none=True)

    @pre_dump
    def _closing_open(self, partner_case: PartnerCase, **kwargs: Any) -> Shown:
        return Shown(partner_case, closing_open=tasks.closing_open(partner_case))


class RelayOut(ClosingOut):
    """Dumps a :class:`PartnerCase` shown with its relayed ``events``."""

    events = fields.List(fields.Nested(RelayEventOut), required=True)


# --- the case, the inbox, picking up and naming staff ----------------------------------------


class PartnerCaseSummaryOut(Schema):
    """Dumps a :class:`PartnerCase` shown with ``held``: whether the caller holds it."""

    id = fields.UUID(required=True)
    reference = fields.String(required=True, metadata={"description": "A neutral reference"})
    held = fields.Boolean(required=True, metadata={"description": "Whether you hold the case"})
    protected_identity = fields.Boolean(required=True)

    @pre_dump
    def _reference(self, partner_case: PartnerCase, **kwargs: Any) -> Shown:
        return Shown(partner_case, reference=partners.reference_of(partner_case))


class PartnerCaseOut(PartnerCaseSummaryOut):
    """Dumps a :class:`PartnerCase` shown with ``held`` and, for a case the caller holds, each
    section as its service read it. None of the sections is an attribute of the case: a case
    shown without them answers its summary alone."""

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


class NameStaffIn(Schema):
    user_id = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(min=1, max=2**31 - 1),
        metadata={"description": "A partner-contact treater of your clinic (see colleagues)"},
    )


# --- the contact work ------------------------------------------------------------------------


class AttemptIn(Schema):
    channel = choice(CHANNELS, "How you tried to reach her")
    outcome = choice(ATTEMPT_OUTCOMES, "What came of the attempt")
    attempted_at = Moment(
        load_default=None, metadata={"description": "When you tried (ISO 8601; UTC if no offset)"}
    )
    called_in = Boolean(
        load_default=False,
        metadata={
            "description": "She called the clinic herself (phone only): no safety step or plan "
            "refuses it"
        },
    )
    safe_to_talk = Boolean(
        load_default=False,
        metadata={
            "description": "You asked first whether it was safe to talk and she said it was: "
            "needed for a phone call that reached her"
        },
    )


class AttemptRecordedOut(AttemptOut):
    marked_unreachable = fields.Boolean(
        required=True,
        metadata={"description": "This attempt made the clinic's rule mark her unreachable"},
    )
    answer = fields.String(required=True, metadata={"description": "Her answer now"})


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


class WithdrawConsentIn(Schema):
    withdrawn_on = day("The date she withdrew her consent")


class EndContactIn(Schema):
    ended_on = day("The date she ended the contact")


class ContactEndedOut(Schema):
    contact_ended_on = fields.Date(required=True)
    answer = fields.String(required=True)


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


class ThreatWarningIn(Schema):
    reason = Text(
        load_default=None,
        allow_none=True,
        max_length=contact.REASON_MAX,
        multiline=True,
        metadata={"description": "The threat she must be warned of"},
    )


class SendDecisionIn(Schema):
    channel = choice(rules.SEND_CHANNELS, "The one send this decision allows")
    reason = Text(
        load_default=None,
        allow_none=True,
        max_length=contact.REASON_MAX,
        multiline=True,
        metadata={"description": "Why this one send may go to her"},
    )


# --- the clinical records --------------------------------------------------------------------


class RiskAssessmentIn(Schema):
    instrument = choice(INSTRUMENTS, "The instrument used")
    assessed_on = day("The date of the assessment")
    ratings = fields.Dict(
        keys=fields.String(),
        values=fields.String(allow_none=True),
        load_default=dict,
        metadata={
            "description": "Every item of the instrument rated: item key to a key of the "
            "instrument's scale. A missing or unknown rating is refused naming the item "
            "(field item_<key>)"
        },
    )
    level = choice(RISK_LEVELS, "The risk level; high opens an urgent task")
    next_review_on = day("The next review, after the assessment (optional)", allow_none=True)
    notes = Text(load_default=None, allow_none=True, max_length=clinical.MAX_NOTES, multiline=True)


class RiskAssessmentRecordedOut(RiskAssessmentOut):
    urgent_task_opened = fields.Boolean(
        required=True, metadata={"description": "The high risk opened an urgent task"}
    )

    @pre_dump
    def _urgent_task_opened(self, assessment: RiskAssessment, **kwargs: Any) -> Shown:
        return Shown(assessment, urgent_task_opened=assessment.level == clinical.HIGH)


class HandlingIn(Schema):
    handling = Text(
        load_default=None,
        allow_none=True,
        max_length=clinical.MAX_HANDLING,
        multiline=True,
        metadata={"description": "How the task was handled"},
    )


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


class SafetyPlanIn(Schema):
    content = Text(load_default=None, allow_none=True, max_length=clinical.MAX_PLAN, multiline=True)


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


class EscalationIn(Schema):
    # Two closed choices and no text: what the managers need beyond the reason is said to
    # them in person, never written where a manager's page can show it.
    reason = choice(escalations.REASONS, "Why you escalate the case")
    urgency = fields.String(
        load_default=escalations.NORMAL,
        validate=validate.OneOf(list(escalations.URGENCIES)),
    )


# --- the relay inbox and the closing ---------------------------------------------------------


class InboxEventOut(RelayEventOut):
    case_id = fields.UUID(required=True)
    reference = fields.String(required=True)


class ClosingTaskOut(Schema):
    """Dumps a :class:`PartnerCase` whose closing is to be recorded."""

    case_id = fields.UUID(required=True, attribute="id")
    reference = fields.String(required=True)
    closing_since = fields.Date(required=True)

    @pre_dump
    def _reference(self, partner_case: PartnerCase, **kwargs: Any) -> Shown:
        return Shown(partner_case, reference=partners.reference_of(partner_case))


class RelayInboxOut(Schema):
    events = fields.List(
        fields.Nested(InboxEventOut),
        required=True,
        metadata={"description": "The relayed events of your cases, oldest first"},
    )
    closing = fields.List(
        fields.Nested(ClosingTaskOut),
        required=True,
        metadata={
            "description": "Your cases whose client's treatment has ended: offer a closing "
            "session, then close the contact"
        },
    )


class RelayOutcomeIn(Schema):
    outcome = choice(OUTCOMES, "What came of the event")
    outcome_on = day("The date, not before the event")


class RelayOutcomeRecordedOut(Schema):
    event_id = fields.UUID(required=True)
    outcome = fields.String(required=True)
    outcome_on = fields.Date(required=True)
    recorded_at = fields.DateTime(required=True)


class ClosingIn(Schema):
    outcome = choice(CLOSING_OUTCOMES, "How the closing went")
    closed_on = day("The date the contact closed, not before the treatment ended")


class OwnTreatmentIn(Schema):
    since = day("The date her own treatment started")


# --- contact sessions ------------------------------------------------------------------------


class SessionOut(Schema):
    """Dumps a :class:`ContactSession` shown with ``reminder_at``."""

    id = fields.UUID(required=True)
    purpose = fields.String(required=True, validate=validate.OneOf(list(PURPOSES)))
    state = fields.String(
        required=True, validate=validate.OneOf(list(contact_sessions.SESSION_STATES))
    )
    due_on = fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "The plan's target day, near which a time is booked"},
    )
    starts_at = fields.DateTime(
        required=True, allow_none=True, metadata={"description": "Null until a time is booked"}
    )
    minutes = fields.Integer(required=True, allow_none=True)
    channel = fields.String(
        required=True,
        allow_none=True,
        validate=validate.OneOf(list(contact_sessions.SESSION_CHANNELS)),
    )
    note = fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "What was written when the outcome was recorded"},
    )
    reminder_at = fields.DateTime(
        required=True,
        allow_none=True,
        metadata={"description": "When the text message reminding her goes out, if one waits"},
    )

    @pre_dump
    def _note(self, session: ContactSession, **kwargs: Any) -> Shown:
        # As on the case page: the note belongs to the recorded outcome.
        final = session.state in FINAL_SESSION_STATES
        return Shown(session, note=session.note if final else None)


class SessionsOut(Schema):
    sms_reminders = fields.Boolean(
        required=True,
        metadata={"description": "Whether she asked for reminders by text: a booking sends one"},
    )
    sessions = fields.List(fields.Nested(SessionOut), required=True)


class AddSessionIn(Schema):
    due_on = fields.Date(
        load_default=None,
        metadata={"description": "Required: the day to book it near, today or later"},
    )


class BookSessionIn(Schema):
    # The clinic's own day and clock time, as on the page: the service turns them into the
    # stored instant, so a booking lands where the clinic's clocks say across summer time.
    day = fields.Date(load_default=None, metadata={"description": "Required: the clinic's day"})
    time = fields.Time(
        load_default=None,
        metadata={"description": "Required: the clinic's clock time, HH:MM", "example": "14:30"},
    )
    minutes = fields.Integer(
        strict=True,
        load_default=None,
        validate=validate.Range(contact_sessions.MINUTES_MIN, contact_sessions.MINUTES_MAX),
        metadata={"description": "Required: the length"},
    )
    channel = fields.String(
        load_default=None,
        validate=validate.OneOf(list(contact_sessions.SESSION_CHANNELS)),
        metadata={"description": "Required: how you will meet; a call must fall in her safe hours"},
    )


class RecordSessionIn(Schema):
    outcome = fields.String(
        load_default=None,
        validate=validate.OneOf(list(contact_sessions.RECORDED_STATES)),
        metadata={"description": "Required: held or no_show once its time has come; cancelled"},
    )
    note = Text(
        load_default=None, allow_none=True, max_length=contact_sessions.NOTE_MAX, multiline=True
    )
