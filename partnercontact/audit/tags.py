"""The tags an audit entry may carry.

Actions are named ``resource.verb``. They are a closed list on purpose: an audit entry
says *that* something happened by naming it, never by carrying free text, so nothing
personal (a name, a phone number, a note) can reach the log through a message string.
Add a member here when a new kind of event needs recording.
"""

from __future__ import annotations

from enum import StrEnum


class AuditAction(StrEnum):
    AUTH_LOGIN_SUCCEEDED = "auth.login_succeeded"
    AUTH_LOGIN_FAILED = "auth.login_failed"
    AUTH_LOCKED_OUT = "auth.locked_out"
    AUTH_LOGOUT = "auth.logout"
    AUTH_TOTP_ENROLLED = "auth.totp_enrolled"
    AUTH_TOTP_FAILED = "auth.totp_failed"
    AUTH_PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105  (a tag, not a password)
    API_TOKEN_ISSUED = "auth.api_token_issued"  # noqa: S105  (a tag, not a token)
    API_TOKEN_REVOKED = "auth.api_token_revoked"  # noqa: S105

    USER_CREATED = "user.created"
    USER_DISABLED = "user.disabled"
    USER_MFA_RESET = "user.mfa_reset"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105  (a tag, not a password)

    CLINIC_SETTINGS_UPDATED = "clinic.settings_updated"

    CLIENT_REGISTERED = "client.registered"
    CLIENT_VIEWED = "client.viewed"
    EPISODE_OPENED = "episode.opened"
    EPISODE_STARTED = "episode.started"
    EPISODE_ENDED = "episode.ended"
    SESSION_RECORDED = "episode.session_recorded"

    CONSENT_RECORDED = "consent.recorded"
    CONSENT_REFUSED = "consent.refused"
    CONSENT_WITHDRAWN = "consent.withdrawn"
    CONSENT_FORM_PRINTED = "consent.form_printed"
    CONSENT_DOCUMENT_ATTACHED = "consent.document_attached"
    CONSENT_DOCUMENT_VIEWED = "consent.document_viewed"
    CONSENT_DOCUMENT_DESTROYED = "consent.document_destroyed"
    CONSENT_REGISTER_VIEWED = "consent_register.viewed"
    CONSENT_REGISTER_EXPORTED = "consent_register.exported"

    STATISTICS_VIEWED = "statistics.viewed"
    STATISTICS_EXPORTED = "statistics.exported"

    PARTNER_HANDED_OVER = "partner.handed_over"
    PARTNER_INBOX_VIEWED = "partner.inbox_viewed"
    PARTNER_CASE_VIEWED = "partner.case_viewed"
    PARTNER_CASE_ASSIGNED = "partner.case_assigned"
    PARTNER_DETAILS_VIEWED = "partner.details_viewed"
    PARTNER_PROTECTED_MARKED = "partner.protected_marked"
    PARTNER_PROTECTED_ACCESS_GRANTED = "partner.protected_access_granted"
    TREATER_EXCEPTION_RECORDED = "partner.treater_exception_recorded"
    SUITABILITY_DECIDED = "partner.suitability_decided"
    PARTNER_ANSWER_RECORDED = "partner.answer_recorded"
    PARTNER_CONSENT_RECORDED = "partner.consent_recorded"
    PARTNER_CONSENT_WITHDRAWN = "partner.consent_withdrawn"
    PARTNER_CONTACT_ENDED = "partner.contact_ended"
    SAFE_CONTACT_PLAN_SAVED = "partner.safe_contact_plan_saved"
    CONTACT_ATTEMPT_RECORDED = "partner.contact_attempt_recorded"
    PARTNER_MARKED_UNREACHABLE = "partner.marked_unreachable"
    THREAT_WARNING_RECORDED = "partner.threat_warning_recorded"
    THREAT_WARNING_CONFIRMED = "partner.threat_warning_confirmed"
    THREAT_WARNING_REJECTED = "partner.threat_warning_rejected"
    SEND_DECISION_RECORDED = "partner.send_decision_recorded"
    SEND_REFUSED = "partner.send_refused"
    SAFETY_OVERRIDE_DECIDED = "partner.safety_override_decided"
    SAFETY_OVERRIDE_USED = "partner.safety_override_used"
    CONTACT_PAUSED = "partner.contact_paused"
    CONTACT_PAUSE_LIFTED = "partner.contact_pause_lifted"
    PORTAL_INVITED = "partner.portal_invited"
    PORTAL_REDEEMED = "partner.portal_redeemed"
    PORTAL_LOGGED_IN = "partner.portal_logged_in"
    PORTAL_LOGIN_FAILED = "partner.portal_login_failed"
    PORTAL_REVOKED = "partner.portal_revoked"
    PORTAL_CLOSED = "partner.portal_closed"
    PORTAL_MESSAGE_TO_HER = "partner.portal_message_to_her"
    PORTAL_MESSAGE_FROM_HER = "partner.portal_message_from_her"
    PORTAL_THREAD_VIEWED_BY_HER = "partner.portal_thread_viewed_by_her"
    PORTAL_THREAD_VIEWED = "partner.portal_thread_viewed"
    PORTAL_MESSAGE_CLEARED = "partner.portal_message_cleared"
    PORTAL_ATTACHMENT_FROM_HER = "partner.portal_attachment_from_her"
    PORTAL_ATTACHMENT_OPENED_BY_HER = "partner.portal_attachment_opened_by_her"
    PORTAL_ATTACHMENT_TO_HER = "partner.portal_attachment_to_her"
    PORTAL_ATTACHMENT_OPENED = "partner.portal_attachment_opened"
    PORTAL_TASKS_VIEWED = "partner.portal_tasks_viewed"
    PORTAL_TASK_HANDLED = "partner.portal_task_handled"
    PORTAL_NOTICES_VIEWED = "partner.portal_notices_viewed"
    PORTAL_NOTICES_CHANGED = "partner.portal_notices_changed"
    # Her requests from her portal (portal_requests): each opens a task for her treater.
    PORTAL_REQUESTS_VIEWED_BY_HER = "partner.portal_requests_viewed_by_her"
    PORTAL_CALL_ASKED = "partner.portal_call_asked"
    PORTAL_VIOLENCE_REPORTED = "partner.portal_violence_reported"
    PORTAL_SESSION_CONFIRMED = "partner.portal_session_confirmed"
    PORTAL_SESSION_MOVE_ASKED = "partner.portal_session_move_asked"
    PORTAL_TOLD_WHEN_ENDED_ASKED = "partner.portal_told_when_ended_asked"
    # Her own plan and her own number or address, from her portal and her treater's side.
    PLAN_VIEWED_BY_HER = "partner.plan_viewed_by_her"
    PLAN_NARROWED_BY_HER = "partner.plan_narrowed_by_her"
    PLAN_PROPOSED_BY_HER = "partner.plan_proposed_by_her"
    PLAN_PROPOSAL_CONFIRMED = "partner.plan_proposal_confirmed"
    PLAN_PROPOSAL_DECLINED = "partner.plan_proposal_declined"
    OWN_DETAILS_VIEWED_BY_HER = "partner.own_details_viewed_by_her"
    OWN_DETAILS_GIVEN = "partner.own_details_given"
    OWN_DETAILS_REMOVED = "partner.own_details_removed"
    OWN_DETAILS_VIEWED = "partner.own_details_viewed"
    RISK_ASSESSMENT_RECORDED = "partner.risk_assessment_recorded"
    URGENT_TASK_OPENED = "partner.urgent_task_opened"
    URGENT_TASK_HANDLED = "partner.urgent_task_handled"
    CHILD_RECORDED = "partner.child_recorded"
    SAFETY_PLAN_SAVED = "partner.safety_plan_saved"
    CONCERN_REPORT_RECORDED = "partner.concern_report_recorded"
    PARTNER_CONTACT_CLOSING = "partner.contact_closing"
    PARTNER_CONTACT_CLOSED = "partner.contact_closed"
    PARTNER_OWN_TREATMENT_RECORDED = "partner.own_treatment_recorded"
    ESCALATION_RAISED = "partner.escalation_raised"
    ESCALATIONS_VIEWED = "partner.escalations_viewed"
    ESCALATION_HANDLED = "partner.escalation_handled"

    RELAY_EVENT_CREATED = "relay.event_created"
    RELAY_WITHHELD = "relay.withheld"
    RELAY_EVENTS_VIEWED = "relay.events_viewed"
    RELAY_OUTCOME_RECORDED = "relay.outcome_recorded"
    CONSULTATION_ASKED = "relay.consultation_asked"
    CONSULTATION_HELD = "relay.consultation_held"

    LETTER_PREVIEWED = "message.letter_previewed"
    LETTER_SENT = "message.letter_sent"
    LETTER_OPENED = "message.letter_opened"
    SMS_QUEUED = "message.sms_queued"
    SMS_SENT = "message.sms_sent"
    SMS_STATE_RECORDED = "message.sms_state_recorded"
    SMS_FAILED = "message.sms_failed"
    SMS_CANCELLED = "message.sms_cancelled"
    SMS_OPTED_OUT = "message.sms_opted_out"
    SMS_RECEIVED = "message.sms_received"
    MESSAGES_VIEWED = "message.messages_viewed"
    OUTBOX_VIEWED = "message.outbox_viewed"
    OUTBOUND_HALTED = "message.outbound_halted"
    OUTBOUND_RESUMED = "message.outbound_resumed"
    WEBHOOK_REJECTED = "message.webhook_rejected"
    # Contact sessions, reminders, calendars and the scheduled work.
    CONTACT_SESSIONS_VIEWED = "schedule.sessions_viewed"
    CONTACT_SESSION_ADDED = "schedule.session_added"
    CONTACT_SESSION_BOOKED = "schedule.session_booked"
    CONTACT_SESSION_CANCELLED = "schedule.session_cancelled"
    CONTACT_SESSION_RECORDED = "schedule.session_recorded"
    REMINDER_DONE = "schedule.reminder_done"
    CALENDAR_FEED_CREATED = "schedule.calendar_feed_created"
    CALENDAR_FEED_REVOKED = "schedule.calendar_feed_revoked"
    CALENDAR_FEED_READ = "schedule.calendar_feed_read"
    TASKS_VIEWED = "schedule.tasks_viewed"
    RETENTION_PURGED = "schedule.retention_purged"

    KEYS_ROTATED = "keys.rotated"
    DATAKEY_SHREDDED = "datakey.shredded"

    ACCESS_DENIED = "access.denied"

    AUDIT_VERIFIED = "audit.verified"
    AUDIT_HEAD_EXPORTED = "audit.head_exported"
    ACCESS_LOG_VIEWED = "audit.access_log_viewed"
    # A manager opened, or read again, the detailed trail of one partner case.
    ACCESS_INVESTIGATION_OPENED = "audit.investigation_opened"
    ACCESS_INVESTIGATION_VIEWED = "audit.investigation_viewed"


class Outcome(StrEnum):
    OK = "ok"
    DENIED = "denied"
    FAILED = "failed"
