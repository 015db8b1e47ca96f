"""The access log: the clinic's part of the audit log, as its managers read it.

A manager audits *who did what to which record when* (docs/domain.md, "What managers
see"), never what was in the record. The audit rows hold identifiers and closed tags only;
the one other thing read here is staff accounts' id, username and display name, by named
columns, so no sealed or personal column is ever loaded. A treatment episode and a partner
case are named by the neutral reference used elsewhere (the first eight hex digits of the
id), never by a client's or partner's name.

Functions take the acting manager first, refuse anyone without
:attr:`Permission.ACCESS_LOG_VIEW` (deny by default), see only rows of the actor's clinic
(``audit_event.clinic_id``), flush and never commit. Reading the log is itself logged.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Uuid, column, select, table, tuple_

from partnercontact.audit.models import RESOURCE_ID_MAX, AuditEvent
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import DomainError, Forbidden
from partnercontact.i18n import _l
from partnercontact.policy import Permission, can

PAGE_SIZE = 50
# Far beyond any real trail at 50 rows a page; keeps OFFSET and the integer parse bounded.
MAX_PAGE = 100_000
# The largest place in the log a link may name: the chain's seq is a signed 64-bit integer.
MAX_SEQ = 2**63 - 1
REFERENCE_LENGTH = 8
SYSTEM = "system"

# Every action a manager may meet in the log, in words. Every AuditAction has one (a test
# checks), so a new tag cannot reach the page as a bare code.
ACTION_LABELS: dict[AuditAction, Any] = {
    AuditAction.AUTH_LOGIN_SUCCEEDED: _l("Logged in"),
    AuditAction.AUTH_LOGIN_FAILED: _l("Login failed"),
    AuditAction.AUTH_LOCKED_OUT: _l("Account locked after failed logins"),
    AuditAction.AUTH_LOGOUT: _l("Logged out"),
    AuditAction.AUTH_TOTP_ENROLLED: _l("Two-step verification set up"),
    AuditAction.AUTH_TOTP_FAILED: _l("Wrong two-step verification code"),
    AuditAction.AUTH_RECOVERY_CODE_USED: _l("Logged in with a recovery code"),
    AuditAction.AUTH_RECOVERY_CODES_ISSUED: _l("New recovery codes made"),
    AuditAction.AUTH_PASSWORD_CHANGED: _l("Password changed"),
    AuditAction.API_TOKEN_ISSUED: _l("API token created"),
    AuditAction.API_TOKEN_REVOKED: _l("API token revoked"),
    AuditAction.USER_CREATED: _l("Account created"),
    AuditAction.USER_DISABLED: _l("Account disabled"),
    AuditAction.USER_MFA_RESET: _l("Two-step verification reset"),
    AuditAction.USER_ROLE_CHANGED: _l("Role changed"),
    AuditAction.USER_REACTIVATED: _l("Account reactivated"),
    AuditAction.USER_UNLOCKED: _l("Account unlocked"),
    AuditAction.USER_PASSWORD_RESET: _l("Password reset by an administrator"),
    AuditAction.CLINIC_SETTINGS_UPDATED: _l("Clinic settings changed"),
    AuditAction.CLIENT_REGISTERED: _l("Client registered"),
    AuditAction.CLIENT_VIEWED: _l("Client opened"),
    AuditAction.CLIENT_REASSIGNED: _l("Client moved to another treater"),
    AuditAction.STAFF_COVER_GRANTED: _l("Cover of an absent treater granted"),
    AuditAction.STAFF_COVER_ENDED: _l("Cover of an absent treater ended early"),
    AuditAction.EPISODE_OPENED: _l("Treatment episode opened"),
    AuditAction.EPISODE_STARTED: _l("Treatment started"),
    AuditAction.EPISODE_ENDED: _l("Treatment ended"),
    AuditAction.SESSION_RECORDED: _l("Treatment session recorded"),
    AuditAction.CLIENT_RISK_ASSESSMENT_RECORDED: _l("Risk assessment of the client recorded"),
    AuditAction.CLIENT_RISK_ASSESSMENT_VIEWED: _l("Risk assessment of the client opened"),
    AuditAction.CLIENT_CONCERN_REPORT_RECORDED: _l(
        "Concern report by the client's treater recorded"
    ),
    AuditAction.CONSENT_RECORDED: _l("Consent recorded"),
    AuditAction.CONSENT_REFUSED: _l("Refusal recorded"),
    AuditAction.CONSENT_WITHDRAWN: _l("Consent withdrawn"),
    AuditAction.CONSENT_FORM_PRINTED: _l("Consent form printed"),
    AuditAction.CONSENT_DOCUMENT_ATTACHED: _l("Signed copy attached"),
    AuditAction.CONSENT_DOCUMENT_VIEWED: _l("Signed copy opened"),
    AuditAction.CONSENT_DOCUMENT_DESTROYED: _l("Signed copy destroyed"),
    AuditAction.CONSENT_REGISTER_VIEWED: _l("Consent register opened"),
    AuditAction.CONSENT_REGISTER_EXPORTED: _l("Consent register exported"),
    AuditAction.STATISTICS_VIEWED: _l("Statistics opened"),
    AuditAction.STATISTICS_EXPORTED: _l("Statistics exported"),
    AuditAction.PARTNER_HANDED_OVER: _l("Partner's details handed over"),
    AuditAction.PARTNER_INBOX_VIEWED: _l("Partner-contact inbox opened"),
    AuditAction.PARTNER_CASE_VIEWED: _l("Partner case opened"),
    AuditAction.PARTNER_CASE_ASSIGNED: _l("Partner case assigned"),
    AuditAction.PARTNER_CASE_REASSIGNED: _l("Partner case moved to another treater"),
    AuditAction.PARTNER_DETAILS_VIEWED: _l("Partner's contact details opened"),
    AuditAction.PARTNER_PROTECTED_MARKED: _l("Protected personal data marked"),
    AuditAction.PARTNER_PROTECTED_ACCESS_GRANTED: _l("Access to protected data granted"),
    AuditAction.TREATER_EXCEPTION_RECORDED: _l("Same-treater exception recorded"),
    AuditAction.SUITABILITY_DECIDED: _l("Suitability decided"),
    AuditAction.PARTNER_ANSWER_RECORDED: _l("Partner's answer recorded"),
    AuditAction.PARTNER_CONSENT_RECORDED: _l("Partner's consent recorded"),
    AuditAction.PARTNER_CONSENT_WITHDRAWN: _l("Partner's consent withdrawn"),
    AuditAction.PARTNER_CONTACT_ENDED: _l("Partner ended the contact"),
    AuditAction.SAFE_CONTACT_PLAN_SAVED: _l("Safe ways of contact saved"),
    AuditAction.CONTACT_ATTEMPT_RECORDED: _l("Contact attempt recorded"),
    AuditAction.PARTNER_MARKED_UNREACHABLE: _l("Partner marked unreachable"),
    AuditAction.THREAT_WARNING_RECORDED: _l("Threat warning recorded"),
    AuditAction.THREAT_WARNING_CONFIRMED: _l("Threat warning confirmed"),
    AuditAction.THREAT_WARNING_REJECTED: _l("Threat warning rejected"),
    AuditAction.SEND_DECISION_RECORDED: _l("Decision to send recorded"),
    AuditAction.SEND_REFUSED: _l("Sending refused"),
    AuditAction.SAFETY_OVERRIDE_DECIDED: _l("Exception from the contact steps decided"),
    AuditAction.SAFETY_OVERRIDE_USED: _l("Exception from the contact steps used"),
    AuditAction.CONTACT_PAUSED: _l("Contact paused: not safe now"),
    AuditAction.CONTACT_PAUSE_LIFTED: _l("Contact pause lifted"),
    AuditAction.PORTAL_INVITED: _l("Invited to her message portal"),
    AuditAction.PORTAL_REDEEMED: _l("Portal invitation redeemed"),
    AuditAction.PORTAL_LOGGED_IN: _l("Logged in to her message portal"),
    AuditAction.PORTAL_LOGIN_FAILED: _l("Portal login failed"),
    AuditAction.PORTAL_REVOKED: _l("Portal access revoked"),
    AuditAction.PORTAL_CLOSED: _l("Portal access closed by her"),
    AuditAction.PORTAL_MESSAGE_TO_HER: _l("Message written to her in her own channel"),
    AuditAction.PORTAL_MESSAGE_FROM_HER: _l("Message written by her in her own channel"),
    AuditAction.PORTAL_THREAD_VIEWED_BY_HER: _l("Her own channel's messages read by her"),
    AuditAction.PORTAL_THREAD_VIEWED: _l("Messages in her own channel read"),
    AuditAction.PORTAL_MESSAGE_CLEARED: _l("Message cleared from her view by her"),
    AuditAction.PORTAL_ATTACHMENT_FROM_HER: _l("File attached by her in her own channel"),
    AuditAction.PORTAL_ATTACHMENT_OPENED_BY_HER: _l("File in her own channel opened by her"),
    AuditAction.PORTAL_ATTACHMENT_TO_HER: _l("File attached to a message to her"),
    AuditAction.PORTAL_ATTACHMENT_OPENED: _l("File in her own channel opened"),
    AuditAction.PLAN_VIEWED_BY_HER: _l("Safe-contact plan read by her"),
    AuditAction.PLAN_NARROWED_BY_HER: _l("Safe-contact plan narrowed by her"),
    AuditAction.PLAN_PROPOSED_BY_HER: _l("Wider safe-contact plan proposed by her"),
    AuditAction.PLAN_PROPOSAL_CONFIRMED: _l("Her proposed safe-contact plan confirmed"),
    AuditAction.PLAN_PROPOSAL_DECLINED: _l("Her proposed safe-contact plan declined"),
    AuditAction.OWN_DETAILS_VIEWED_BY_HER: _l("Her own number or address read by her"),
    AuditAction.OWN_DETAILS_GIVEN: _l("Own number or address given by her"),
    AuditAction.OWN_DETAILS_REMOVED: _l("Own number or address removed by her"),
    AuditAction.OWN_DETAILS_VIEWED: _l("Her own number or address read"),
    AuditAction.PORTAL_TASKS_VIEWED: _l("Tasks from her own channel read"),
    AuditAction.PORTAL_TASK_HANDLED: _l("Task from her own channel seen to"),
    AuditAction.PORTAL_NOTICES_VIEWED: _l("Her notice setting read by her"),
    AuditAction.PORTAL_NOTICES_CHANGED: _l("Her notice setting changed by her"),
    AuditAction.PORTAL_REQUESTS_VIEWED_BY_HER: _l("Her requests read by her"),
    AuditAction.PORTAL_CALL_ASKED: _l("Call asked for by her"),
    AuditAction.PORTAL_VIOLENCE_REPORTED: _l("Urgent report sent by her in her own channel"),
    AuditAction.PORTAL_SESSION_CONFIRMED: _l("Session confirmed by her"),
    AuditAction.PORTAL_SESSION_MOVE_ASKED: _l("Session move asked for by her"),
    AuditAction.PORTAL_TOLD_WHEN_ENDED_ASKED: _l("Asked by her to be told when his treatment ends"),
    AuditAction.RISK_ASSESSMENT_RECORDED: _l("Risk assessment recorded"),
    AuditAction.RISK_ASSESSMENT_VIEWED: _l("Risk assessment opened"),
    AuditAction.CONTACT_OUTCOME_RECORDED: _l("Her answers at a contact recorded"),
    AuditAction.URGENT_TASK_OPENED: _l("Urgent task opened"),
    AuditAction.URGENT_TASK_HANDLED: _l("Urgent task handled"),
    AuditAction.CHILD_RECORDED: _l("Child recorded"),
    AuditAction.SAFETY_PLAN_SAVED: _l("Safety plan saved"),
    AuditAction.CONCERN_REPORT_RECORDED: _l("Concern report recorded"),
    AuditAction.PARTNER_CONTACT_CLOSING: _l("Partner contact closing"),
    AuditAction.PARTNER_CONTACT_CLOSED: _l("Partner contact closed"),
    AuditAction.PARTNER_OWN_TREATMENT_RECORDED: _l("Partner's own treatment recorded"),
    AuditAction.ESCALATION_RAISED: _l("Escalated to management"),
    AuditAction.ESCALATIONS_VIEWED: _l("Escalations opened"),
    AuditAction.ESCALATION_HANDLED: _l("Escalation handled"),
    AuditAction.RELAY_EVENT_CREATED: _l("Event relayed to the partner side"),
    AuditAction.RELAY_WITHHELD: _l("Event withheld from the partner side"),
    AuditAction.RELAY_EVENTS_VIEWED: _l("Relayed events opened"),
    AuditAction.CONSULTATION_ASKED: _l("A consultation between the treaters asked for"),
    AuditAction.CONSULTATION_HELD: _l("A consultation between the treaters recorded as held"),
    AuditAction.RELAY_OUTCOME_RECORDED: _l("Relayed event handled"),
    AuditAction.LETTER_PREVIEWED: _l("Letter previewed"),
    AuditAction.LETTER_SENT: _l("Letter sent"),
    AuditAction.LETTER_RETURNED: _l("Letter marked as returned"),
    AuditAction.LETTER_OPENED: _l("Letter opened"),
    AuditAction.SMS_QUEUED: _l("Text message queued"),
    AuditAction.SMS_SENT: _l("Text message sent"),
    AuditAction.SMS_STATE_RECORDED: _l("Text message status received"),
    AuditAction.SMS_FAILED: _l("Text message failed"),
    AuditAction.SMS_CANCELLED: _l("Text message cancelled"),
    AuditAction.SMS_OPTED_OUT: _l("Text messages stopped by the recipient"),
    AuditAction.SMS_RECEIVED: _l("Text message received"),
    AuditAction.UNMATCHED_SMS_OPENED_TO_IDENTIFY: _l(
        "Text from an unknown number opened to find whose it is"
    ),
    AuditAction.UNMATCHED_SMS_OPENED_ON_HER_CALL: _l(
        "Text from an unknown number opened: the sender called about it"
    ),
    AuditAction.UNMATCHED_SMS_GIVEN: _l("Text from an unknown number given to a treater"),
    AuditAction.UNMATCHED_SMS_OPENED_BY_TREATER: _l("Text from an unknown number opened"),
    AuditAction.UNMATCHED_SMS_HANDED_BACK: _l(
        "Text from an unknown number handed back to the administrators"
    ),
    AuditAction.UNMATCHED_SMS_TAKEN_BACK: _l(
        "Text from an unknown number taken back from a treater"
    ),
    AuditAction.UNMATCHED_SMS_PLACED: _l("Text from an unknown number placed on a case"),
    AuditAction.UNMATCHED_SMS_DISCARDED: _l("Text from an unknown number destroyed"),
    AuditAction.MESSAGES_VIEWED: _l("Messages opened"),
    AuditAction.OUTBOX_VIEWED: _l("Outbox opened"),
    AuditAction.OUTBOUND_HALTED: _l("Stop switch turned on"),
    AuditAction.OUTBOUND_RESUMED: _l("Stop switch turned off"),
    AuditAction.WEBHOOK_REJECTED: _l("Message service call rejected"),
    AuditAction.CONTACT_SESSIONS_VIEWED: _l("Contact sessions opened"),
    AuditAction.CONTACT_SESSION_ADDED: _l("Contact session planned"),
    AuditAction.CONTACT_SESSION_BOOKED: _l("Contact session booked"),
    AuditAction.CONTACT_SESSION_CANCELLED: _l("Contact session cancelled"),
    AuditAction.CONTACT_SESSION_RECORDED: _l("Contact session recorded"),
    AuditAction.REMINDER_DONE: _l("Reminder done"),
    AuditAction.CALENDAR_FEED_CREATED: _l("Calendar feed created"),
    AuditAction.CALENDAR_FEED_REVOKED: _l("Calendar feed revoked"),
    AuditAction.CALENDAR_FEED_READ: _l("Calendar feed read"),
    AuditAction.TASKS_VIEWED: _l("Scheduled tasks opened"),
    AuditAction.RETENTION_PURGED: _l("Expired data purged"),
    AuditAction.KEYS_ROTATED: _l("Keys rotated"),
    AuditAction.DATAKEY_SHREDDED: _l("Data key shredded"),
    AuditAction.ACCESS_DENIED: _l("Access denied"),
    AuditAction.AUDIT_VERIFIED: _l("Audit log checked"),
    AuditAction.AUDIT_HEAD_EXPORTED: _l("Audit log head exported"),
    AuditAction.ACCESS_LOG_VIEWED: _l("Access log opened"),
    AuditAction.ACCESS_INVESTIGATION_OPENED: _l("Access investigation opened"),
    AuditAction.ACCESS_INVESTIGATION_VIEWED: _l("Access investigation read"),
}

# --- the partner side, generalised --------------------------------------------------------------
# A manager audits who read or changed a partner-side record, and when. The tag that says what
# was done (a contact attempt, her answer, a safe channel, a child, a report, a message) is not
# shown: read case by case, the tags tell her story (a declined partner recognisable by a threat
# warning, a never-contacted one by the absence of everything else). The partner side's rows are
# shown as "read" or "changed" only, and the detailed trail of one case is an investigation with
# a stated reason that the case's holder sees (partnercontact.audit.investigations).
PARTNER_CASE = "partner_case"
# Partner-side records that belong to one partner case, and where that case is written. Named
# by table rather than imported: the audit package sits below the domain packages.
CASE_OF_RECORD = {
    name: table(name, column("id", Uuid), column("partner_case_id", Uuid))
    for name in ("sent_letter", "sms_message", "inbound_sms")
}
PARTNER_SIDE_RECORDS = frozenset({PARTNER_CASE, "partner_inbox", "sms_opt_out", *CASE_OF_RECORD})
# Of the actions on partner-side records, those that only read; every other one changed.
READ_ACTIONS = frozenset(
    {
        AuditAction.PARTNER_INBOX_VIEWED,
        AuditAction.PARTNER_CASE_VIEWED,
        AuditAction.PARTNER_DETAILS_VIEWED,
        AuditAction.PORTAL_TASKS_VIEWED,
        AuditAction.PORTAL_REQUESTS_VIEWED_BY_HER,
        AuditAction.PLAN_VIEWED_BY_HER,
        AuditAction.OWN_DETAILS_VIEWED_BY_HER,
        AuditAction.OWN_DETAILS_VIEWED,
        AuditAction.PORTAL_NOTICES_VIEWED,
        AuditAction.RELAY_EVENTS_VIEWED,
        AuditAction.MESSAGES_VIEWED,
        AuditAction.CONTACT_SESSIONS_VIEWED,
        AuditAction.LETTER_PREVIEWED,
        AuditAction.LETTER_OPENED,
        AuditAction.UNMATCHED_SMS_OPENED_TO_IDENTIFY,
        AuditAction.UNMATCHED_SMS_OPENED_ON_HER_CALL,
        AuditAction.UNMATCHED_SMS_OPENED_BY_TREATER,
    }
)
PARTNER_SIDE_READ = "partner_side.read"
PARTNER_SIDE_CHANGED = "partner_side.changed"
GENERALISED_LABELS: dict[str, Any] = {
    PARTNER_SIDE_READ: _l("Read"),
    PARTNER_SIDE_CHANGED: _l("Changed"),
}
# The tags written about partner-side records only. They are not offered as filters: a count
# per kind of act, filtered on one case, would give the story back.
PARTNER_SIDE_ACTIONS = frozenset(
    {
        action
        for action in AuditAction
        if action.value.split(".")[0] == "partner"
        and action not in (AuditAction.PARTNER_HANDED_OVER, AuditAction.ESCALATIONS_VIEWED)
    }
    | {
        AuditAction.RELAY_EVENTS_VIEWED,
        AuditAction.RELAY_OUTCOME_RECORDED,
        AuditAction.LETTER_PREVIEWED,
        AuditAction.LETTER_SENT,
        AuditAction.LETTER_RETURNED,
        AuditAction.LETTER_OPENED,
        AuditAction.SMS_QUEUED,
        AuditAction.SMS_SENT,
        AuditAction.SMS_STATE_RECORDED,
        AuditAction.SMS_FAILED,
        AuditAction.SMS_CANCELLED,
        AuditAction.SMS_OPTED_OUT,
        AuditAction.SMS_RECEIVED,
        # Written about a received text only (inbound_sms), like SMS_RECEIVED.
        AuditAction.UNMATCHED_SMS_OPENED_TO_IDENTIFY,
        AuditAction.UNMATCHED_SMS_OPENED_ON_HER_CALL,
        AuditAction.UNMATCHED_SMS_GIVEN,
        AuditAction.UNMATCHED_SMS_OPENED_BY_TREATER,
        AuditAction.UNMATCHED_SMS_HANDED_BACK,
        AuditAction.UNMATCHED_SMS_TAKEN_BACK,
        AuditAction.UNMATCHED_SMS_PLACED,
        AuditAction.UNMATCHED_SMS_DISCARDED,
        AuditAction.MESSAGES_VIEWED,
        AuditAction.CONTACT_SESSIONS_VIEWED,
        AuditAction.CONTACT_SESSION_ADDED,
        AuditAction.CONTACT_SESSION_BOOKED,
        AuditAction.CONTACT_SESSION_CANCELLED,
        AuditAction.CONTACT_SESSION_RECORDED,
    }
)


def generalised_action(action: str) -> str:
    """``partner_side.read`` or ``partner_side.changed`` for an action on a partner-side
    record."""
    try:
        return PARTNER_SIDE_READ if AuditAction(action) in READ_ACTIONS else PARTNER_SIDE_CHANGED
    except ValueError:
        return PARTNER_SIDE_CHANGED


# The action select's groups, by the tag's prefix (the part before the dot), in this order.
ACTION_GROUPS: tuple[tuple[Any, frozenset[str]], ...] = (
    (_l("Login and accounts"), frozenset({"auth", "user", "clinic"})),
    (_l("Client side"), frozenset({"client", "episode"})),
    (_l("Consent"), frozenset({"consent", "consent_register"})),
    (_l("Relay between the sides"), frozenset({"relay"})),
    (_l("Letters and text messages"), frozenset({"message"})),
    (_l("Contact sessions and scheduled work"), frozenset({"schedule"})),
    (_l("Follow-up and keys"), frozenset({"statistics", "keys", "datakey"})),
    (_l("Access and the audit log"), frozenset({"access", "audit"})),
)
OTHER_GROUP = _l("Other")
PARTNER_SIDE_GROUP = _l("Partner side")

# The kinds of record the log names, in words. A type not listed here (a newer one) is shown
# as stored, and cannot be chosen as a filter until it is listed.
RESOURCE_LABELS: dict[str, Any] = {
    "client": _l("Client"),
    "client_list": _l("Client list"),
    "episode": _l("Treatment episode"),
    "consent": _l("Consent"),
    "consent_register": _l("Consent register"),
    "partner_case": _l("Partner case"),
    "partner_inbox": _l("Partner-contact inbox"),
    "partner_handover": _l("Hand-over"),
    "relay_event": _l("Relayed event"),
    "outbound_halt": _l("Stop switch"),
    "staff_reminder": _l("Reminder"),
    "scheduled_task": _l("Scheduled task"),
    "calendar_feed": _l("Calendar feed"),
    "statistics": _l("Statistics"),
    "user": _l("Account"),
    "cover": _l("Cover of an absent treater"),
    "clinic": _l("Clinic"),
    "route": _l("Page"),
    "webhook": _l("Message service call"),
    "key": _l("Key"),
    "data_key": _l("Data key"),
    "audit_log": _l("Audit log"),
    "access_investigation": _l("Access investigation"),
}
# A partner-side record that belongs to no case the log can name (a number's text stop, a
# reply from an unknown number), by one word for all of them.
PARTNER_SIDE_RECORD_LABEL = _l("Partner-side record")
# The partner side's other records, by their kind: in an investigation's trail only.
DETAILED_RECORD_LABELS: dict[str, Any] = {
    "sent_letter": _l("Letter"),
    "sms_message": _l("Text message"),
    "inbound_sms": _l("Received text message"),
    "sms_opt_out": _l("Text message stop"),
}
# The types a manager may filter on. A partner-side record other than the case itself (a
# letter, a text message) is not among them: listing a case's letters would say she got them.
FILTERABLE_TYPES = frozenset(RESOURCE_LABELS)
# Records named by the neutral reference instead of their full id.
REFERENCED_TYPES = frozenset({"episode", "partner_case"})

OUTCOME_LABELS: dict[str, Any] = {
    Outcome.OK: _l("Done"),
    Outcome.DENIED: _l("Denied"),
    Outcome.FAILED: _l("Failed"),
}

FIELDS = ("date_from", "date_to", "actor", "action", "record_type", "record_id", "before", "after")
_RESOURCE_ID = re.compile(r"[A-Za-z0-9_.:\-]+")
CASE_REFERENCE = re.compile(r"[0-9a-f]{8}")
_ACTOR_ID = re.compile(r"[0-9]{1,12}")
_PLACE = re.compile(r"[0-9]{1,19}")


class AccessLogInvalid(DomainError):
    """A filter of the access log is not acceptable; ``field`` names it."""


@dataclass(frozen=True)
class StaffMember:
    id: int
    display_name: str
    username: str


@dataclass(frozen=True)
class AccessLogFilters:
    """Which rows to list. ``None`` means "no restriction".

    ``date_from`` and ``date_to`` are dates on the clinic's clocks, both inclusive.
    ``actor`` is a user id or :data:`SYSTEM` (rows with no acting user). ``record_id``
    only with ``record_type``; for an episode or a partner case it may be the eight-digit
    reference shown on the page.

    ``before`` and ``after`` say where in the log a page starts, as the chain's seq of the
    last row the reader saw (at most one of them): ``before`` lists the rows older than
    it, ``after`` those newer. Neither: the newest rows. A place rather than a page number,
    so that a page costs the same however far back it is, and rows written meanwhile
    neither push a row onto the next page twice nor make one skip it.
    """

    date_from: date | None = None
    date_to: date | None = None
    actor: int | str | None = None
    # An action, or PARTNER_SIDE_READ / PARTNER_SIDE_CHANGED.
    action: AuditAction | str | None = None
    record_type: str | None = None
    record_id: str | None = None
    before: int | None = None
    after: int | None = None

    def query_args(self, *, before: int | None = None, after: int | None = None) -> dict[str, str]:
        """The filters as query parameters, for links that keep them; with ``before`` or
        ``after`` for a link to the older or newer rows, otherwise to the newest."""
        args: dict[str, str] = {}
        if self.date_from:
            args["date_from"] = self.date_from.isoformat()
        if self.date_to:
            args["date_to"] = self.date_to.isoformat()
        if self.actor is not None:
            args["actor"] = str(self.actor)
        if self.action is not None:
            args["action"] = str(self.action)
        if self.record_type:
            args["record_type"] = self.record_type
        if self.record_id:
            args["record_id"] = self.record_id
        if before is not None:
            args["before"] = str(before)
        elif after is not None:
            args["after"] = str(after)
        return args


@dataclass(frozen=True)
class AccessLogRow:
    at: datetime
    actor_id: int | None
    # None for the system (a job, the command line, an anonymous visitor); a staff member of
    # the clinic otherwise, or an id alone for an account the clinic does not hold.
    actor: StaffMember | None
    action: str
    action_label: Any
    record_type: str
    record_label: Any
    record_id: str | None
    record_shown: str | None
    # Whether "everyone who touched this record" can be listed for it.
    filterable: bool
    outcome: str
    # None on the partner side's generalised rows.
    outcome_label: Any


@dataclass(frozen=True)
class AccessLogPage:
    """A page of an investigation's trail, by its number (the trail is one case's rows)."""

    rows: list[AccessLogRow]
    page: int
    has_previous: bool
    has_next: bool


@dataclass(frozen=True)
class AccessLogSlice:
    """A page of the access log. ``newer`` and ``older`` are where the pages next to it
    start (for ``after`` and ``before``), ``None`` when there is nothing there; ``newest``
    says whether this is the first page."""

    rows: list[AccessLogRow]
    newest: bool
    newer: int | None
    older: int | None


def action_label(action: str) -> Any:
    try:
        return ACTION_LABELS[AuditAction(action)]
    except (ValueError, KeyError):
        return action


def grouped_actions() -> list[tuple[Any, list[tuple[str, Any]]]]:
    """The closed list of actions as (group label, [(value, label), ...]), for the select.
    The partner side's group offers "read" and "changed" only."""
    groups: list[tuple[Any, list[tuple[str, Any]]]] = []
    placed: set[AuditAction] = set(PARTNER_SIDE_ACTIONS)
    for label, prefixes in ACTION_GROUPS:
        members = [a for a in AuditAction if a.value.split(".")[0] in prefixes and a not in placed]
        placed.update(members)
        if members:
            groups.append((label, [(a.value, ACTION_LABELS.get(a, a.value)) for a in members]))
    groups.append((PARTNER_SIDE_GROUP, list(GENERALISED_LABELS.items())))
    rest = [a for a in AuditAction if a not in placed]
    if rest:
        groups.append((OTHER_GROUP, [(a.value, ACTION_LABELS.get(a, a.value)) for a in rest]))
    return groups


def _require(actor: User) -> None:
    if not can(actor, Permission.ACCESS_LOG_VIEW):
        raise Forbidden(_l("You may not read the access log."))


def clinic_staff(actor: User) -> list[StaffMember]:
    """Everyone with an account at the actor's clinic, disabled accounts included (they are
    still in the log), by display name. Named columns only."""
    _require(actor)
    rows = _rows(
        select(User.id, User.display_name, User.username)
        .where(User.clinic_id == actor.clinic_id)
        .order_by(User.display_name, User.username, User.id)
    )
    return [StaffMember(row.id, row.display_name, row.username) for row in rows]


def _rows(query: Any) -> list[Any]:
    return list(db.session.execute(query))


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def _date(values: Mapping[str, str], name: str) -> date | None:
    value = values.get(name, "").strip()
    if not value:
        return None
    # YYYY-MM-DD in ASCII digits only: date.fromisoformat also reads week dates
    # (2026-W01-1), which would filter on a day other than the one written.
    try:
        if not _ISO_DATE.fullmatch(value):
            raise ValueError(value)
        day = date.fromisoformat(value)
    except ValueError:
        raise AccessLogInvalid(_l("Enter the date as YYYY-MM-DD."), field=name) from None
    # The log begins with the installation: far from the ends of the calendar, where a day's
    # midnight in the clinic's zone cannot be written in UTC.
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise AccessLogInvalid(_l("Enter a date from the year 2000 to 2999."), field=name)
    return day


def parse_filters(
    actor: User, args: Mapping[str, Any], staff: list[StaffMember] | None = None
) -> AccessLogFilters:
    """Filters from query parameters (text). Empty values mean "no restriction".
    ``staff`` is :func:`clinic_staff` when the caller has already read it.

    Raises :class:`AccessLogInvalid` naming the first field at fault: an unknown parameter,
    a malformed date, a period that ends before it starts, an actor who is not one of the
    clinic's staff, an action or record type not on the list, a record id without its type,
    too long or with characters no id has, or a place in the log that is not a whole number
    (or both places at once).
    """
    _require(actor)
    for name in args:
        if name not in FIELDS:
            raise AccessLogInvalid(
                _l("The filter %(name)s is not known.", name=str(name)[:40]), field=str(name)[:40]
            )
    values = {name: str(args.get(name) or "").strip() for name in FIELDS}
    date_from = _date(values, "date_from")
    date_to = _date(values, "date_to")
    if date_from and date_to and date_to < date_from:
        raise AccessLogInvalid(_l("The period ends before it starts."), field="date_to")

    who: int | str | None = None
    if values["actor"] == SYSTEM:
        who = SYSTEM
    elif values["actor"]:
        if not _ACTOR_ID.fullmatch(values["actor"]) or int(values["actor"]) not in {
            member.id for member in (clinic_staff(actor) if staff is None else staff)
        }:
            raise AccessLogInvalid(_l("Choose a person from the list."), field="actor")
        who = int(values["actor"])

    action: AuditAction | str | None = None
    if values["action"] in GENERALISED_LABELS:
        action = values["action"]
    elif values["action"]:
        try:
            action = AuditAction(values["action"])
        except ValueError:
            action = None
        if action is None or action in PARTNER_SIDE_ACTIONS:
            raise AccessLogInvalid(_l("Choose an action from the list."), field="action")

    record_type = values["record_type"] or None
    if record_type is not None and record_type not in FILTERABLE_TYPES:
        raise AccessLogInvalid(_l("Choose a type of record from the list."), field="record_type")
    record_id = values["record_id"] or None
    if record_id is not None:
        if len(record_id) > RESOURCE_ID_MAX or not _RESOURCE_ID.fullmatch(record_id):
            raise AccessLogInvalid(
                _l(
                    "A record id has at most %(max)d letters, digits and the signs . _ : -",
                    max=RESOURCE_ID_MAX,
                ),
                field="record_id",
            )
        if record_type is None:
            raise AccessLogInvalid(
                _l("Choose the type of record the id belongs to."), field="record_type"
            )

    before, after = _place(values, "before"), _place(values, "after")
    if before is not None and after is not None:
        raise AccessLogInvalid(_l("Ask for older or for newer entries, not both."), field="after")
    return AccessLogFilters(date_from, date_to, who, action, record_type, record_id, before, after)


def _place(values: Mapping[str, str], name: str) -> int | None:
    if not values[name]:
        return None
    if not _PLACE.fullmatch(values[name]) or int(values[name]) > MAX_SEQ:
        raise AccessLogInvalid(_l("The place in the log is a whole number."), field=name)
    return int(values[name])


def _record_condition(record_type: str, record_id: str) -> Any:
    if record_type in REFERENCED_TYPES or record_type == "client":
        lowered = record_id.lower()
        if CASE_REFERENCE.fullmatch(lowered):
            # The eight-digit reference the pages show: the start of the id's text form. As
            # a range of the column rather than LIKE, so that the resource index serves it
            # whatever the database's collation (LIKE 'x%' uses a b-tree only under "C").
            # The ids are lowercase hex and hyphens, which any ordinary collation orders by
            # their first difference, so the range holds exactly the ids that start so.
            return (AuditEvent.resource_id >= lowered) & (
                AuditEvent.resource_id < _following(lowered)
            )
        try:
            return AuditEvent.resource_id == str(uuid.UUID(record_id))
        except ValueError:
            pass
    return AuditEvent.resource_id == record_id


_HEX_AND_NEXT = "0123456789abcdefg"


def _following(reference: str) -> str:
    """A text after every text that starts with ``reference`` (lowercase hex) and before
    every other id. The last digit is stepped within digits and letters: a collation that
    ignores punctuation would not put '9' + 1 (':') after '9'."""
    return reference[:-1] + _HEX_AND_NEXT[_HEX_AND_NEXT.index(reference[-1]) + 1]


def _day_start(day: date, actor: User) -> datetime:
    zone = clinic_zone(actor.clinic)
    return datetime.combine(day, time(0, 0)).replace(tzinfo=zone, fold=0).astimezone(UTC)


def shown_id(record_type: str, record_id: str | None) -> str | None:
    """The id as the page shows it: the neutral reference for an episode or partner case."""
    if record_id is None:
        return None
    if record_type in REFERENCED_TYPES:
        try:
            return uuid.UUID(record_id).hex[:REFERENCE_LENGTH]
        except ValueError:
            return record_id
    return record_id


COLUMNS = (
    # For the order and the links to the pages beside one only, never shown in a row.
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor_id,
    AuditEvent.action,
    AuditEvent.resource_type,
    AuditEvent.resource_id,
    AuditEvent.outcome,
)


def _action_condition(action: AuditAction | str) -> Any:
    on_partner_side = AuditEvent.resource_type.in_(PARTNER_SIDE_RECORDS)
    reads = [a.value for a in READ_ACTIONS]
    if action == PARTNER_SIDE_READ:
        return on_partner_side & AuditEvent.action.in_(reads)
    if action == PARTNER_SIDE_CHANGED:
        return on_partner_side & AuditEvent.action.not_in(reads)
    # A tag shared with the partner side is listed for the other records only.
    return (AuditEvent.action == str(action)) & ~on_partner_side


def one_page(query: Any, page: int) -> tuple[list[Any], bool]:
    """Rows of ``query`` for ``page``, newest first, and whether an older page follows.

    Ordered by the chain's sequence, which is never shown: the page needs an order, the reader
    needs no number that places one record's rows next to another's."""
    found = _rows(
        query.order_by(AuditEvent.seq.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE + 1)
    )
    return found[:PAGE_SIZE], len(found) > PAGE_SIZE


def keyset_page(
    actor: User, query: Any, before: int | None, after: int | None
) -> tuple[list[Any], bool, bool]:
    """Rows of ``query`` older than the row ``before`` names, newer than the row ``after``
    names, or the newest; newest first, at most :data:`PAGE_SIZE`; and whether newer and
    older rows follow.

    Newest first means by time, then by the chain's seq, which is never shown beside a row
    (the reader needs no number that places one record's rows next to another's): it is
    only in the links to the pages beside this one. A place is the seq of the last row a
    reader saw, and only a row of the actor's clinic is one (another's would tell its time).
    Each page is one walk down an index from that place, never an OFFSET that reads and
    drops every row before it. Newer rows are read upwards; when fewer than a page remain
    there, the page is the newest one instead, so that it is always full.
    """
    order = tuple_(AuditEvent.at, AuditEvent.seq)
    if after is not None:
        upwards = _rows(
            query.where(order > tuple_(_time_of(actor, after), after))
            .order_by(AuditEvent.at, AuditEvent.seq)
            .limit(PAGE_SIZE + 1)
        )
        if len(upwards) > PAGE_SIZE:
            return upwards[PAGE_SIZE - 1 :: -1], True, True
    elif before is not None:
        query = query.where(order < tuple_(_time_of(actor, before), before))
    found = _rows(query.order_by(AuditEvent.at.desc(), AuditEvent.seq.desc()).limit(PAGE_SIZE + 1))
    return found[:PAGE_SIZE], before is not None, len(found) > PAGE_SIZE


def _time_of(actor: User, seq: int) -> Any:
    return (
        select(AuditEvent.at)
        .where(AuditEvent.seq == seq, AuditEvent.clinic_id == actor.clinic_id)
        .scalar_subquery()
    )


def _cases_of(found: list[Any]) -> dict[tuple[str, str], str]:
    """The partner case of each letter or text message among ``found``, by (type, id): ids
    only, read from named columns."""
    cases: dict[tuple[str, str], str] = {}
    for name, records in CASE_OF_RECORD.items():
        ids: list[uuid.UUID] = []
        for row in found:
            if row.resource_type == name and row.resource_id:
                try:
                    ids.append(uuid.UUID(row.resource_id))
                except ValueError:
                    continue
        if ids:
            query = select(records.c.id, records.c.partner_case_id).where(records.c.id.in_(ids))
            for record_id, case_id in _rows(query):
                if case_id is not None:
                    cases[(name, str(record_id))] = str(case_id)
    return cases


def build_rows(
    actor: User, found: list[Any], *, detailed: bool, staff: list[StaffMember] | None = None
) -> list[AccessLogRow]:
    """Rows as a manager reads them: the partner side generalised unless ``detailed`` (an
    investigation's trail). ``staff`` is :func:`clinic_staff` when the caller has read it."""
    people = {member.id: member for member in (clinic_staff(actor) if staff is None else staff)}
    cases = {} if detailed else _cases_of(found)
    rows = []
    for row in found:
        action, label = row.action, action_label(row.action)
        record_type, record_id = row.resource_type, row.resource_id
        record_label = RESOURCE_LABELS.get(record_type) or DETAILED_RECORD_LABELS.get(
            record_type, record_type
        )
        outcome_label = OUTCOME_LABELS.get(row.outcome, row.outcome)
        if not detailed and record_type in PARTNER_SIDE_RECORDS:
            action = generalised_action(row.action)
            label = GENERALISED_LABELS[action]
            # A refused send or a failed text would say what was tried: no outcome either.
            outcome_label = None
            if record_type in CASE_OF_RECORD:
                record_id = cases.get((record_type, record_id or ""))
                record_type = PARTNER_CASE if record_id else record_type
            elif record_type == "sms_opt_out":
                record_id = None
            record_label = RESOURCE_LABELS.get(record_type, PARTNER_SIDE_RECORD_LABEL)
        rows.append(
            AccessLogRow(
                at=row.at,
                actor_id=row.actor_id,
                actor=people.get(row.actor_id) if row.actor_id is not None else None,
                action=action,
                action_label=label,
                record_type=record_type,
                record_label=record_label,
                record_id=record_id,
                record_shown=shown_id(record_type, record_id),
                filterable=record_type in FILTERABLE_TYPES,
                outcome=row.outcome,
                outcome_label=outcome_label,
            )
        )
    return rows


def read_access_log(
    actor: User, filters: AccessLogFilters, staff: list[StaffMember] | None = None
) -> AccessLogSlice:
    """One page of the actor's clinic's audit rows matching ``filters``, newest first, with
    the partner side's rows generalised to "read" and "changed". ``staff`` is
    :func:`clinic_staff` when the caller has already read it.

    The whole log, a period and an actor are each read through an index that starts with
    the clinic and ends in the page's order, and a record through the record's index, so a
    page reads about as many rows as it shows, not the clinic's log, let alone everyone's.

    Writes ``audit.access_log_viewed`` after reading, so a listing never shows its own
    entry. Flushes, never commits.
    """
    _require(actor)
    query = select(*COLUMNS).where(AuditEvent.clinic_id == actor.clinic_id)
    if filters.date_from:
        query = query.where(AuditEvent.at >= _day_start(filters.date_from, actor))
    if filters.date_to:
        query = query.where(AuditEvent.at < _day_start(filters.date_to + timedelta(days=1), actor))
    if filters.actor == SYSTEM:
        query = query.where(AuditEvent.actor_id.is_(None))
    elif filters.actor is not None:
        query = query.where(AuditEvent.actor_id == filters.actor)
    if filters.action is not None:
        query = query.where(_action_condition(filters.action))
    if filters.record_type:
        query = query.where(AuditEvent.resource_type == filters.record_type)
        if filters.record_id:
            query = query.where(_record_condition(filters.record_type, filters.record_id))
    found, has_newer, has_older = keyset_page(actor, query, filters.before, filters.after)
    rows = build_rows(actor, found, detailed=False, staff=staff)
    record_event(
        AuditAction.ACCESS_LOG_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="audit_log",
    )
    return AccessLogSlice(
        rows=rows,
        newest=not has_newer,
        newer=found[0].seq if has_newer and found else None,
        older=found[-1].seq if has_older else None,
    )
