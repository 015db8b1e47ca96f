"""What was sent to a partner, what came back, and the clinic's stop switch.

A text message is an outbox row before it is anything else: the row is written (with a unique
idempotency key) in the transaction that decides to send, and the worker hands it to the
transport later. The row's state says how far it got; ``sending_since`` marks the window in
which the transport may have accepted it without our knowing, which is resolved by looking the
message up, never by sending again.

Phone numbers are sealed; ``to_index`` and ``from_index`` are blind indexes of the normalised
number, so a reply or an opt-out is matched without unsealing any row.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import Ciphertext, SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime

# The states of a text message. "queued": waiting for the worker (also while the stop switch
# is on); "sending": handed to the transport, result not yet recorded; "sent": the transport
# accepted it; "delivered" / "undelivered" / "failed": final; "cancelled": a safety rule
# stopped it before it left (``refusal`` says which).
SMS_STATES = (
    "queued",
    "sending",
    "sent",
    "delivered",
    "undelivered",
    "failed",
    "cancelled",
)
FINAL_SMS_STATES = ("delivered", "undelivered", "failed", "cancelled")


class SmsMessage(SealedRecord, Model):
    __tablename__ = "sms_message"
    __table_args__ = (
        CheckConstraint(
            "state IN ('queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', "
            "'cancelled')",
            name="state",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    # Unique: a form submitted twice, or a job run twice, cannot queue the same message twice.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    purpose: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    template_version: Mapped[str] = mapped_column(String(16))
    # The relay event this message tells her about, when it is the notice she asked for.
    relay_event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relay_event.id"))
    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # A message that would be stale later (a reminder of a session) is cancelled instead of
    # sent once this moment has passed, however long it waited for her safe hours.
    send_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Queued under a manager's override of the safety steps or her plan: the worker does not
    # hold it to her plan again.
    under_override: Mapped[bool] = mapped_column(default=False)
    sending_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    provider_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A transport error code (Twilio's numeric codes) or a refusal key: never personal content.
    error_code: Mapped[str | None] = mapped_column(String(32))
    to_index: Mapped[str] = mapped_column(String(64), index=True)
    to_number = encrypted("to_number")
    body = encrypted("body")
    if TYPE_CHECKING:
        body_ct: Mapped[bytes | None]  # the column encrypted("body") adds
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    state_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SmsStatusEvent(Model):
    """Each state a text message reached, once: a repeated status callback adds nothing."""

    __tablename__ = "sms_status_event"
    __table_args__ = (UniqueConstraint("sms_message_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sms_message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("sms_message.id"), index=True)
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[str | None] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


# Where a text from a number no case knew stands (``triage_state``; NULL for a text that
# landed on a case at once). "waiting": for the administrators; "given": to one
# partner-contact treater (``given_to_id``); "placed": on a case she holds, under its data
# key; "discarded": its data key shredded, its content gone.
TRIAGE_WAITING = "waiting"
TRIAGE_GIVEN = "given"
TRIAGE_PLACED = "placed"
TRIAGE_DISCARDED = "discarded"
TRIAGE_STATES = (TRIAGE_WAITING, TRIAGE_GIVEN, TRIAGE_PLACED, TRIAGE_DISCARDED)


class InboundSms(SealedRecord, Model):
    """A text message from a partner, attached to her case for her treater only.

    A message from a number no case knows keeps no case and is sealed under a data key of its
    own. It waits for an administrator (:mod:`partnercontact.partner_side.messaging.triage`):
    ``clinic_id`` stays NULL until an administrator opens it, and from then on names the
    clinic that took it up, whose administrators alone see it.
    """

    __tablename__ = "inbound_sms"
    __table_args__ = (
        CheckConstraint(
            "triage_state IS NULL OR triage_state IN ('waiting', 'given', 'placed', 'discarded')",
            name="triage_state",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_case.id"), index=True
    )
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    # Unique: Twilio retries a webhook it got no answer to; the second copy adds nothing.
    provider_sid: Mapped[str] = mapped_column(String(64), unique=True)
    from_index: Mapped[str] = mapped_column(String(64), index=True)
    body = encrypted("body")
    # The number it came from, sealed like the body under the same data key: shown only
    # masked (its last two digits). NULL for texts kept before the number was.
    sender = encrypted("sender")
    is_stop: Mapped[bool] = mapped_column(default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # When one who works her case was first shown it: until then it waits on her treater's
    # worklist.
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triage_state: Mapped[str | None] = mapped_column(String(16), index=True)
    given_to_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"), index=True)
    given_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    triage_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SmsOptOut(Model):
    """A number that no text message may go to: she replied STOP, or the carrier says she
    opted out (Twilio error 21610)."""

    __tablename__ = "sms_opt_out"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    # "stop_reply" or "carrier".
    source: Mapped[str] = mapped_column(String(16))
    opted_out_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SentLetter(Model):
    """A letter that was sent: what, when, by whom, on which template version; the PDF sealed
    under the partner case's data key."""

    __tablename__ = "sent_letter"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    purpose: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    template_version: Mapped[str] = mapped_column(String(16))
    relay_event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relay_event.id"))
    sent_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    size_bytes: Mapped[int] = mapped_column()
    document_ct: Mapped[bytes] = mapped_column(Ciphertext)
    # The post came back: no letter goes to her address again until her details change.
    returned_on: Mapped[date | None] = mapped_column()
    returned_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class OutboundHalt(Model):
    """The stop switch: while a clinic has a halt that is not lifted, nothing goes out."""

    __tablename__ = "outbound_halt"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    # Why (a suspected breach, a wrong template): about the clinic's messaging, never about a
    # person, so it is stored as it is and shown to managers and administrators.
    reason: Mapped[str] = mapped_column(String(500))
    halted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    halted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
