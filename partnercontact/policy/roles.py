"""Roles, permissions and the one table between them.

A permission is named ``resource:action``. A role has exactly the permissions listed for it
here; anything not listed is denied. Adding a page means adding a permission (or reusing one)
and deciding here which roles hold it.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CLIENT_TREATER = "client_treater"
    PARTNER_TREATER = "partner_treater"
    MANAGER = "manager"
    ADMIN = "admin"


class Permission(StrEnum):
    ACCOUNT_MANAGE_OWN = "account:manage_own"
    CLIENT_SIDE_VIEW = "client_side:view"
    CLIENTS_REGISTER = "clients:register"
    CONSENT_RECORD = "consent:record"
    PARTNER_DETAILS_HAND_OVER = "partner_details:hand_over"
    EPISODES_END = "episodes:end"
    # A risk signal to the partner side: a reason and an urgency, for a consultation.
    RISK_SIGNALS_RAISE = "risk_signals:raise"
    # Asking the partner-contact treater for a talk, and recording one as held.
    CONSULTATIONS_CLIENT_SIDE = "consultations:client_side"
    # Risk assessments of the client, and concern reports the client's treater made.
    CLIENT_RECORDS_CLINICAL = "client_records:clinical"
    PARTNER_SIDE_VIEW = "partner_side:view"
    PARTNER_CASES_WORK = "partner_cases:work"
    THREAT_WARNINGS_CONFIRM = "threat_warnings:confirm"
    # A logged, one-time exception from the safety steps before a contact with her.
    SAFETY_OVERRIDES_DECIDE = "safety_overrides:decide"
    # The manager's urgent consultations; partner treaters handle theirs as case work.
    URGENT_TASKS_HANDLE = "urgent_tasks:handle"
    TREATER_EXCEPTIONS_RECORD = "treater_exceptions:record"
    MANAGEMENT_VIEW = "management:view"
    CONSENT_REGISTER_VIEW = "consent_register:view"
    # The clinic's statistics: counts per period, small numbers hidden.
    STATISTICS_VIEW = "statistics:view"
    # Who opened which record when: the clinic's part of the audit log.
    ACCESS_LOG_VIEW = "access_log:view"
    # One partner case's detailed trail, opened with a stated reason its holder sees.
    ACCESS_LOG_INVESTIGATE = "access_log:investigate"
    # Whether the audit log's nightly check found it intact (an alert when it did not).
    AUDIT_STATUS_VIEW = "audit_status:view"
    # Moving a client or a partner case to another treater, and seeing whose cases wait for one.
    CASES_REASSIGN = "cases:reassign"
    # Cases the partner side escalated to the clinic's managers.
    ESCALATIONS_HANDLE = "escalations:handle"
    # The clinic's stop switch for every letter and text message.
    OUTBOUND_HALT = "outbound:halt"
    # The development outbox of text messages (the embedded transport only).
    OUTBOX_VIEW = "outbox:view"
    # One's own calendar of sessions and due reminders, and its private iCalendar address.
    CALENDAR_VIEW = "calendar:view"
    # Reminders addressed to oneself (a due first contact, a risk review, an escalation).
    REMINDERS_VIEW = "reminders:view"
    # The scheduled-task queue with its failed tasks, for whoever runs the installation.
    TASKS_VIEW = "tasks:view"
    # Texts from numbers no case knows: an administrator opens one with a stated reason and
    # gives it to a partner-contact treater, or destroys it.
    UNMATCHED_SMS_TRIAGE = "unmatched_sms:triage"
    # A text an administrator gave to a partner-contact treater: placing it on a case she holds.
    UNMATCHED_SMS_PLACE = "unmatched_sms:place"
    USERS_MANAGE = "users:manage"
    CLINIC_SETTINGS_EDIT = "clinic_settings:edit"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CLIENT_TREATER: frozenset(
        {
            Permission.ACCOUNT_MANAGE_OWN,
            Permission.CLIENT_SIDE_VIEW,
            Permission.CLIENTS_REGISTER,
            Permission.CONSENT_RECORD,
            Permission.PARTNER_DETAILS_HAND_OVER,
            Permission.EPISODES_END,
            Permission.RISK_SIGNALS_RAISE,
            Permission.CONSULTATIONS_CLIENT_SIDE,
            Permission.CLIENT_RECORDS_CLINICAL,
        }
    ),
    Role.PARTNER_TREATER: frozenset(
        {
            Permission.ACCOUNT_MANAGE_OWN,
            Permission.PARTNER_SIDE_VIEW,
            Permission.PARTNER_CASES_WORK,
            Permission.CALENDAR_VIEW,
            Permission.REMINDERS_VIEW,
            Permission.UNMATCHED_SMS_PLACE,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Permission.ACCOUNT_MANAGE_OWN,
            Permission.MANAGEMENT_VIEW,
            Permission.CONSENT_REGISTER_VIEW,
            Permission.STATISTICS_VIEW,
            Permission.ACCESS_LOG_VIEW,
            Permission.ACCESS_LOG_INVESTIGATE,
            Permission.AUDIT_STATUS_VIEW,
            Permission.ESCALATIONS_HANDLE,
            Permission.THREAT_WARNINGS_CONFIRM,
            Permission.SAFETY_OVERRIDES_DECIDE,
            Permission.URGENT_TASKS_HANDLE,
            Permission.OUTBOUND_HALT,
            Permission.CASES_REASSIGN,
            Permission.REMINDERS_VIEW,
        }
    ),
    # Administrators run the installation; they never open cases (docs/domain.md, "Roles").
    Role.ADMIN: frozenset(
        {
            Permission.ACCOUNT_MANAGE_OWN,
            Permission.USERS_MANAGE,
            Permission.CLINIC_SETTINGS_EDIT,
            Permission.TREATER_EXCEPTIONS_RECORD,
            Permission.OUTBOUND_HALT,
            Permission.OUTBOX_VIEW,
            Permission.TASKS_VIEW,
            Permission.AUDIT_STATUS_VIEW,
            # Reading a text nobody's case knew is the one time an administrator reads a
            # partner's words: to find whose they are, never to work a case.
            Permission.UNMATCHED_SMS_TRIAGE,
        }
    ),
}
