"""The states a text message goes through, recorded once each and only ever forwards.

Twilio reports a message's progress in status callbacks that may come twice, late, or out of
order (``delivered`` before ``sent``). Each state is recorded once (a unique row per message
and state) and the message's state moves only forwards: a late ``sent`` after ``delivered``
is noted and changes nothing, and the first final state stands.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.db import db
from partnercontact.partner_side.messaging.models import (
    FINAL_SMS_STATES,
    SmsMessage,
    SmsStatusEvent,
)

# Twilio's status words, as our states. Everything before "sent" means the provider has it.
PROVIDER_STATES = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}
_RANK = {
    "queued": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "cancelled": 3,
}


def our_state(provider_status: str) -> str | None:
    """Our state for a provider status word, None for one we do not know."""
    return PROVIDER_STATES.get(provider_status.strip().lower())


def lock_message(message_id: object) -> SmsMessage | None:
    """The message, locked for this transaction (PostgreSQL; SQLite writes one at a time)."""
    return db.session.scalar(
        select(SmsMessage)
        .where(SmsMessage.id == message_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def audit_message(action: AuditAction, message: SmsMessage, outcome: Outcome = Outcome.OK) -> None:
    """An entry about one text message, by the worker or a webhook: its id, never content."""
    record_event(
        action,
        actor_id=None,
        clinic_id=message.clinic_id,
        resource_type="sms_message",
        resource_id=str(message.id),
        outcome=outcome,
    )


def cancel(message: SmsMessage, reason: str, at: datetime) -> None:
    """Stop a queued message before it leaves; ``reason`` is a rule's key (``opted_out``,
    ``contact``…), shown to her treater."""
    message.state = "cancelled"
    message.error_code = reason
    message.state_changed_at = at
    message.next_attempt_at = None
    db.session.flush()
    audit_message(AuditAction.SMS_CANCELLED, message, Outcome.DENIED)


def record_state(
    message: SmsMessage, state: str, at: datetime, *, error_code: str | None = None
) -> bool:
    """Record that ``message`` reached ``state``. Returns False, changing nothing, when that
    state was recorded before. The caller holds the message's lock (:func:`lock_message`)."""
    seen = db.session.scalar(
        select(SmsStatusEvent.id).where(
            SmsStatusEvent.sms_message_id == message.id, SmsStatusEvent.status == state
        )
    )
    if seen is not None:
        return False
    db.session.add(
        SmsStatusEvent(
            sms_message_id=message.id, status=state, error_code=error_code, recorded_at=at
        )
    )
    if message.state not in FINAL_SMS_STATES and _RANK[state] > _RANK[message.state]:
        message.state = state
        message.state_changed_at = at
        # Whatever said so (the send's answer, a status callback), it is no longer in doubt.
        message.sending_since = None
        if error_code is not None:
            message.error_code = error_code
        if state == "sent" and message.sent_at is None:
            message.sent_at = at
    db.session.flush()
    failed = state in ("failed", "undelivered")
    audit_message(
        AuditAction.SMS_FAILED if failed else AuditAction.SMS_STATE_RECORDED,
        message,
        Outcome.FAILED if failed else Outcome.OK,
    )
    return True
