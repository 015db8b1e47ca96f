"""The worker's duty that hands queued text messages to the transport, once each.

A POST to Twilio is not safe to repeat, so the order of events for one message is:

1. in one transaction: lock the row (``FOR UPDATE SKIP LOCKED``: two workers never take the
   same message), check the safety rules again, mark it ``sending`` with the moment, commit;
2. call the transport, outside any transaction;
3. in a second transaction: record what the transport said.

Each transaction's audit events join the chain as it commits
(:func:`~partnercontact.audit.service.appends_at_commit`), so the chain's lock, which every
audited web request needs, is held for their insert and the commit only.

If the process dies between 2 and 3, or the transport timed out after the request may have
reached Twilio, the row stays ``sending``. After ``sending_lease_seconds`` a later run looks
the message up at the provider: found, it is recorded as sent; not found, it was never
accepted and goes back to the queue. A message is never sent again just because its result
is unknown.

Failures that are safe to retry come back after ``retry_base_seconds``, doubling each time,
and end ``failed`` (visible to her treater) after ``max_attempts``. A refusal by a safety
rule at send time cancels the message, except the stop switch (the message waits) and her
safe hours (it waits for them).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from partnercontact.audit.service import appends_at_commit
from partnercontact.audit.tags import AuditAction
from partnercontact.config import MessagingConfig
from partnercontact.db import db
from partnercontact.logsafe import describe_exception
from partnercontact.partner_side.messaging.inbound import record_carrier_opt_out
from partnercontact.partner_side.messaging.models import OutboundHalt, SmsMessage
from partnercontact.partner_side.messaging.status import (
    audit_message,
    cancel,
    our_state,
    record_state,
)
from partnercontact.partner_side.messaging.templates import RELAY_NOTICES
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.rules import MessageRefused, check_outbound_allowed
from partnercontact.runtime import current_runtime
from partnercontact.transports.transport import (
    OPTED_OUT_CODE,
    Accepted,
    Outgoing,
    PermanentFailure,
    RetryableFailure,
    SmsTransport,
    TransportError,
    UncertainOutcome,
)
from partnercontact.transports.transports import transport_for

log = logging.getLogger(__name__)

# A message that waits for her safe hours is looked at again this often.
SAFE_HOURS_RECHECK = timedelta(minutes=15)
# How many messages one run takes on; the rest wait for the next tick.
BATCH = 50

# Called after the transport accepted a message and before the result is recorded. Tests set
# it to raise, which is what a worker killed at that moment looks like to the database.
AfterTransport = Callable[[uuid.UUID], None]


@dataclass
class DispatchReport:
    sent: list[uuid.UUID] = field(default_factory=list)
    retrying: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    cancelled: list[uuid.UUID] = field(default_factory=list)
    waiting: list[uuid.UUID] = field(default_factory=list)
    uncertain: list[uuid.UUID] = field(default_factory=list)
    requeued: list[uuid.UUID] = field(default_factory=list)


def _config() -> MessagingConfig:
    return current_runtime().config.messaging


def _now() -> datetime:
    return current_runtime().clock.now()


def _outgoing(message: SmsMessage, config: MessagingConfig) -> Outgoing:
    callback = None
    if config.sms_transport == "twilio":
        # Imported here: the outbox, the embedded default, never loads the Twilio SDK.
        from partnercontact.transports.twilio_transport import status_callback_url

        callback = status_callback_url(config.twilio.public_url, message.id)
    return Outgoing(
        message_id=message.id,
        to=message.to_number or "",
        body=message.body or "",
        status_callback=callback,
    )


def _claim(query: Select[SmsMessage]) -> SmsMessage | None:
    # SKIP LOCKED: a row another worker holds is passed over, not waited for (PostgreSQL;
    # SQLite has one writer at a time anyway).
    return db.session.scalar(
        query.limit(1).with_for_update(skip_locked=True).execution_options(populate_existing=True)
    )


def _halted_clinics() -> Select[int]:
    return select(OutboundHalt.clinic_id).where(OutboundHalt.lifted_at.is_(None))


def _still_allowed(message: SmsMessage, now: datetime, report: DispatchReport) -> bool:
    """Check the rules again at the moment of sending. A refusal cancels the message, except
    those that only mean "not now"."""
    if message.send_before is not None and now >= message.send_before:
        # A reminder that waited past its session says nothing true any more.
        cancel(message, "expired", now)
        report.cancelled.append(message.id)
        return False
    partner_case = db.session.get(PartnerCase, message.partner_case_id)
    assert partner_case is not None  # a foreign key
    try:
        check_outbound_allowed(
            None,
            partner_case,
            "sms",
            now,
            purpose=message.purpose,
            phone_index=message.to_index,
            phone_number=message.to_number,
            relay_notice=message.purpose in RELAY_NOTICES,
            spend_decision=False,
            overridden=message.under_override,
        )
    except MessageRefused as exc:
        if exc.rule == "halted":
            report.waiting.append(message.id)
            return False
        if exc.rule == "plan_fit" and exc.field == "at":
            message.next_attempt_at = now + SAFE_HOURS_RECHECK
            report.waiting.append(message.id)
            return False
        cancel(message, exc.rule, now)
        report.cancelled.append(message.id)
        return False
    return True


def _record_accepted(message: SmsMessage, accepted: Accepted, now: datetime) -> None:
    message.provider_sid = message.provider_sid or accepted.provider_sid
    message.sending_since = None
    message.next_attempt_at = None
    record_state(message, "sent", now)
    later = our_state(accepted.status)
    if later is not None and later != "sent":
        record_state(message, later, now)
    audit_message(AuditAction.SMS_SENT, message)


def _retry_or_fail(
    message: SmsMessage, code: str | None, now: datetime, config: MessagingConfig
) -> bool:
    """Back to the queue with backoff; True if it was the last attempt and it failed."""
    message.sending_since = None
    if message.attempts >= config.max_attempts:
        message.next_attempt_at = None
        record_state(message, "failed", now, error_code=code or "retries_exhausted")
        return True
    delay = config.retry_base_seconds * 2 ** (message.attempts - 1)
    message.state = "queued"
    message.state_changed_at = now
    message.error_code = code
    message.next_attempt_at = now + timedelta(seconds=delay)
    db.session.flush()
    return False


def _fail_permanently(message: SmsMessage, code: str | None, now: datetime) -> None:
    message.sending_since = None
    message.next_attempt_at = None
    record_state(message, "failed", now, error_code=code or "refused")
    if code == OPTED_OUT_CODE:
        record_carrier_opt_out(message.to_index, now)


def _resolve_uncertain(
    transport: SmsTransport, config: MessagingConfig, report: DispatchReport
) -> None:
    """Look up each message whose send result was never recorded, once its lease is over."""
    seen: set[uuid.UUID] = set()
    while True:
        now = _now()
        conditions = [
            SmsMessage.state == "sending",
            SmsMessage.sending_since <= now - timedelta(seconds=config.sending_lease_seconds),
        ]
        if seen:
            conditions.append(SmsMessage.id.not_in(seen))
        message = _claim(select(SmsMessage).where(*conditions))
        if message is None:
            db.session.rollback()
            return
        seen.add(message.id)
        outgoing = _outgoing(message, config)
        since = message.sending_since
        assert since is not None
        # The row stays locked while the provider is asked: no other worker decides it twice.
        try:
            found = transport.look_up(outgoing, since - timedelta(minutes=1))
        except TransportError as exc:
            log.warning("could not look up a message: %s", describe_exception(exc))
            db.session.rollback()
            continue
        if found is not None:
            _record_accepted(message, found, now)
            report.sent.append(message.id)
        else:
            # The provider never accepted it: sending it now cannot send it twice.
            message.state = "queued"
            message.sending_since = None
            message.state_changed_at = now
            message.next_attempt_at = now
            db.session.flush()
            report.requeued.append(message.id)
        db.session.commit()


@appends_at_commit()
def send_due_sms(
    transport: SmsTransport | None = None,
    *,
    after_transport: AfterTransport | None = None,
    limit: int = BATCH,
) -> DispatchReport:
    """Send what is due: the worker's duty. Commits its own work."""
    config = _config()
    if transport is None:
        transport = transport_for(config)
    report = DispatchReport()
    _resolve_uncertain(transport, config, report)
    looked_at: set[uuid.UUID] = set()
    for _ in range(limit):
        now = _now()
        conditions = [
            SmsMessage.state == "queued",
            SmsMessage.next_attempt_at <= now,
            SmsMessage.clinic_id.not_in(_halted_clinics()),
        ]
        if looked_at:
            conditions.append(SmsMessage.id.not_in(looked_at))
        message = _claim(select(SmsMessage).where(*conditions).order_by(SmsMessage.next_attempt_at))
        if message is None:
            db.session.rollback()
            break
        looked_at.add(message.id)
        if not _still_allowed(message, now, report):
            db.session.commit()
            continue
        message.state = "sending"
        message.sending_since = now
        message.state_changed_at = now
        message.attempts += 1
        outgoing = _outgoing(message, config)
        message_id = message.id
        db.session.commit()

        try:
            accepted = transport.send(outgoing)
        except TransportError as exc:
            _record_failure(message_id, exc, config, report)
            continue
        if after_transport is not None:
            after_transport(message_id)
        message = db.session.get(SmsMessage, message_id, populate_existing=True)
        assert message is not None
        _record_accepted(message, accepted, _now())
        db.session.commit()
        report.sent.append(message_id)
    return report


def _record_failure(
    message_id: uuid.UUID, exc: TransportError, config: MessagingConfig, report: DispatchReport
) -> None:
    now = _now()
    message = db.session.get(SmsMessage, message_id, populate_existing=True)
    assert message is not None
    log.warning("a text message was not accepted: %s", describe_exception(exc))
    if isinstance(exc, UncertainOutcome):
        # Leave it "sending": the lease runs out and it is looked up, never sent again blindly.
        report.uncertain.append(message_id)
    elif isinstance(exc, RetryableFailure):
        failed = _retry_or_fail(message, exc.code, now, config)
        (report.failed if failed else report.retrying).append(message_id)
    elif isinstance(exc, PermanentFailure):
        _fail_permanently(message, exc.code, now)
        report.failed.append(message_id)
    else:
        report.uncertain.append(message_id)
    db.session.commit()
