"""The kinds of scheduled task, and the reminders to staff they raise, with their labels."""

from __future__ import annotations

from partnercontact.i18n import _l
from partnercontact.tasks.queue import declare_kinds

# Reminders to staff, raised by the task of the same name when it falls due.
SESSION_TO_BOOK = "session_to_book"
FIRST_CONTACT_DUE = "first_contact_due"
LETTER_FOLLOW_UP = "letter_follow_up"
RISK_REVIEW_DUE = "risk_review_due"
FIRST_CONTACT_UNANSWERED = "first_contact_unanswered"
# Work without a reminder.
SESSION_REMINDER_SMS = "session_reminder_sms"
CLOSING_PLAN = "closing_plan"
# At a relayed event's time to act (a risk signal's, or "inform her if she wishes"), and at an
# urgent task's: escalated to the managers, once, unless the partner side acted on it.
RELAY_DEADLINE = "relay_deadline"
URGENT_TASK_DEADLINE = "urgent_task_deadline"
RETENTION_PURGE = "retention_purge"

REMINDERS = {
    SESSION_TO_BOOK: _l("Book the contact session"),
    FIRST_CONTACT_DUE: _l("The first contact is due"),
    LETTER_FOLLOW_UP: _l("Follow-up call after the information letter"),
    RISK_REVIEW_DUE: _l("The risk assessment is due for review"),
    FIRST_CONTACT_UNANSWERED: _l("The first contact went unanswered: decide how to go on"),
}
TASKS = {
    **REMINDERS,
    SESSION_REMINDER_SMS: _l("Text message reminding her of a session"),
    CLOSING_PLAN: _l("Closing and follow-up sessions when his treatment ended"),
    RELAY_DEADLINE: _l("A relayed event's time to act"),
    URGENT_TASK_DEADLINE: _l("An urgent task's time to act"),
    RETENTION_PURGE: _l("Retention purge"),
}
# What a finished task did.
OUTCOMES = {
    "reminded": _l("Reminder shown"),
    "not_needed": _l("No longer needed"),
    "sms_queued": _l("Text message queued"),
    "no_safe_time": _l("No safe moment before the session"),
    "refused": _l("A safety rule did not allow it"),
    "not_wanted": _l("She has not asked for reminders by text"),
    "purged": _l("Purged"),
    "planned": _l("Sessions planned"),
    "escalated": _l("Escalated to the managers"),
}

declare_kinds(TASKS, OUTCOMES)
