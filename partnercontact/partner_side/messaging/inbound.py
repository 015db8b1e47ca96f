"""What comes back from Twilio: replies from partners, opt-outs, and delivery states.

A reply is matched to her case by the blind index of the number it came from, never by
unsealing numbers: first the newest text message we sent to that number, else the newest
number she gave herself in her portal, else the newest hand-over note with that number. Its
text and the number it came from are sealed under her case's data key and shown to her
treater only. A reply nobody's case knows is kept sealed, with its number, under a data key of
its own, with no clinic and no case, and waits for the administrators' triage
(:mod:`.triage`).

A STOP word (Twilio's, and their Swedish equivalents) ends text messages to that number at
once: the number is opted out and every message to it still waiting in the queue is cancelled,
in the same transaction. So does Twilio's error 21610 on a send or in a status callback (the
carrier says she opted out).

Functions here flush, never commit, and take no Flask request objects.
"""

from __future__ import annotations

import logging
import re
import uuid
from datetime import datetime

from sqlalchemy import select, update

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.crypto.service import create_data_key, load_data_key
from partnercontact.db import db
from partnercontact.identifiers import normalise_phone
from partnercontact.partner_side.her_own_models import OwnContactDetails
from partnercontact.partner_side.messaging import status
from partnercontact.partner_side.messaging.models import (
    TRIAGE_WAITING,
    InboundSms,
    SmsMessage,
    SmsOptOut,
)
from partnercontact.partner_side.models import PartnerCase, PartnerHandover
from partnercontact.phones import phone_index
from partnercontact.runtime import current_runtime
from partnercontact.transports.transport import OPTED_OUT_CODE

log = logging.getLogger(__name__)

# Twilio's default opt-out keywords (it blocks further sends itself when it sees them), REVOKE
# and OPTOUT which it added later, and the Swedish words a partner here would write. A reply
# is a stop only when it is one of these words and nothing else.
STOP_WORDS = frozenset(
    {
        "STOP",
        "STOPALL",
        "UNSUBSCRIBE",
        "CANCEL",
        "END",
        "QUIT",
        "REVOKE",
        "OPTOUT",
        "STOPP",
        "SLUTA",
        "AVSLUTA",
        "AVREGISTRERA",
    }
)
# Trailing punctuation, symbols and emoji ("Stop!", "sluta." , "STOPP 🙏").
_TRAILING = re.compile(r"[\W_]+$")

# The blind-index domain for a sender that is not a phone number (an alphanumeric sender, a
# short code): kept apart from phone numbers, so it can never match a partner.
_UNPARSED_DOMAIN = "phone_unparsed"
OPT_OUT_STOP = "stop_reply"
OPT_OUT_CARRIER = "carrier"


def is_stop(body: str | None) -> bool:
    """True when ``body`` is a stop word alone, in any case, ignoring surrounding whitespace
    and trailing punctuation."""
    word = _TRAILING.sub("", (body or "").strip()).strip()
    return word.upper() in STOP_WORDS


def _sender_index(from_number: str) -> tuple[str, bool]:
    """The sender's blind index, and whether it is a phone number we could match."""
    try:
        return phone_index(from_number), True
    except ValueError:
        keyring = current_runtime().keyring
        return keyring.blind_index(_UNPARSED_DOMAIN, from_number.strip()), False


def _sender(from_number: str, is_number: bool) -> str:
    """The sender as kept (sealed): a number in its normalised form, anything else as sent."""
    return normalise_phone(from_number) if is_number else from_number.strip()


def _case_for_number(index: str) -> PartnerCase | None:
    """Her case, by blind index only: the newest message we sent to the number, else the
    newest number she gave herself in her portal, else the newest hand-over note that gave
    it."""
    case_id = db.session.scalar(
        select(SmsMessage.partner_case_id)
        .where(SmsMessage.to_index == index)
        .order_by(SmsMessage.created_at.desc())
        .limit(1)
    )
    if case_id is None:
        case_id = db.session.scalar(
            select(OwnContactDetails.partner_case_id)
            .where(OwnContactDetails.phone_index == index)
            .order_by(OwnContactDetails.recorded_at.desc(), OwnContactDetails.number.desc())
            .limit(1)
        )
    if case_id is not None:
        return db.session.get(PartnerCase, case_id)
    case_id = db.session.scalar(
        select(PartnerHandover.partner_case_id)
        .where(PartnerHandover.phone_index == index)
        .order_by(PartnerHandover.recorded_at.desc())
        .limit(1)
    )
    return db.session.get(PartnerCase, case_id) if case_id is not None else None


def _cancel_queued(index: str, at: datetime) -> list[uuid.UUID]:
    """Cancel every message to the number that is still waiting in the queue. A message the
    worker already holds (``sending``) is past stopping; Twilio refuses it with 21610."""
    # Locked, so a worker that claims one of them at this moment either got it first (and it
    # is no longer queued when the lock is granted) or waits and finds it cancelled.
    waiting = db.session.scalars(
        select(SmsMessage)
        .where(SmsMessage.to_index == index, SmsMessage.state == "queued")
        # One order for every caller, so two opt-outs of one number cannot deadlock.
        .order_by(SmsMessage.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    cancelled = []
    for message in waiting:
        if message.state != "queued":
            continue
        status.cancel(message, "opted_out", at)
        cancelled.append(message.id)
    return cancelled


def _opt_out(index: str, source: str, at: datetime, clinic_id: int | None) -> bool:
    """Opt the number out (once) and cancel what waits for it. True when newly opted out."""
    existing = db.session.scalar(select(SmsOptOut).where(SmsOptOut.phone_index == index))
    created = existing is None
    if created:
        opt_out = SmsOptOut(phone_index=index, source=source, opted_out_at=at)
        db.session.add(opt_out)
        db.session.flush()
        record_event(
            AuditAction.SMS_OPTED_OUT,
            actor_id=None,
            clinic_id=clinic_id,
            resource_type="sms_opt_out",
            resource_id=str(opt_out.id),
        )
    _cancel_queued(index, at)
    return created


def record_carrier_opt_out(phone_index: str, at: datetime, *, clinic_id: int | None = None) -> bool:
    """Twilio reported error 21610 for this number (the carrier has her opted out): no text
    message may go to it again, and those still queued are cancelled. True when the number
    was not opted out before."""
    return _opt_out(phone_index, OPT_OUT_CARRIER, at, clinic_id)


def receive_inbound(
    provider_sid: str, from_number: str, body: str | None, at: datetime
) -> InboundSms | None:
    """Keep a text message that came in. Returns the new row, or None for a copy of one
    already kept (Twilio retries a webhook it got no answer to)."""
    seen = db.session.scalar(select(InboundSms.id).where(InboundSms.provider_sid == provider_sid))
    if seen is not None:
        return None
    index, is_number = _sender_index(from_number)
    partner_case = _case_for_number(index) if is_number else None
    if partner_case is not None and load_data_key(partner_case.data_key_id).is_shredded:
        # Her case's content was destroyed: nothing new is kept where it was.
        partner_case = None
    if partner_case is not None:
        data_key_id = partner_case.data_key_id
    else:
        runtime = current_runtime()
        data_key_id = create_data_key(
            "inbound_unmatched", keyring=runtime.keyring, clock=runtime.clock
        ).id
    stop = is_stop(body)
    inbound = InboundSms(
        id=uuid.uuid4(),
        data_key_id=data_key_id,
        clinic_id=partner_case.clinic_id if partner_case is not None else None,
        partner_case_id=partner_case.id if partner_case is not None else None,
        provider_sid=provider_sid,
        from_index=index,
        body=body or "",
        sender=_sender(from_number, is_number),
        is_stop=stop,
        received_at=at,
        # A text nobody's case knew waits for an administrator to find whose it is.
        triage_state=None if partner_case is not None else TRIAGE_WAITING,
    )
    db.session.add(inbound)
    db.session.flush()
    clinic_id = inbound.clinic_id
    # The audit entry names the row, never the number or the words.
    record_event(
        AuditAction.SMS_RECEIVED,
        actor_id=None,
        clinic_id=clinic_id,
        resource_type="inbound_sms",
        resource_id=str(inbound.id),
    )
    if stop and is_number:
        _opt_out(index, OPT_OUT_STOP, at, clinic_id)
    return inbound


def inbound_for(partner_case: PartnerCase) -> list[InboundSms]:
    """The texts she sent, newest first, for her treater's page. The caller has checked that
    the actor may see ``partner_case``."""
    return list(
        db.session.scalars(
            select(InboundSms)
            .where(InboundSms.partner_case_id == partner_case.id)
            .order_by(InboundSms.received_at.desc(), InboundSms.id)
        )
    )


def mark_replies_seen(replies: list[InboundSms], at: datetime) -> None:
    """Her texts in ``replies`` were shown to one who works her case: they leave her treater's
    worklist. Atomic, so two treaters opening the page at once mark each text once."""
    unseen = [reply.id for reply in replies if reply.seen_at is None]
    if not unseen:
        return
    db.session.execute(
        update(InboundSms)
        .where(InboundSms.id.in_(unseen), InboundSms.seen_at.is_(None))
        .values(seen_at=at)
    )


def apply_status_callback(
    message_id: uuid.UUID,
    provider_sid: str | None,
    provider_status: str,
    error_code: str | None,
    at: datetime,
) -> bool:
    """Record a delivery state Twilio reported for our message ``message_id``.

    Returns True when it recorded a state not recorded before; False, changing nothing, for
    a message or status word we do not know, a callback about another provider message than
    the one on record, or a state already recorded (a repeated callback). Callbacks out of
    order are recorded, and the message's state only moves forwards (:mod:`.status`).
    Error 21610 opts her number out.
    """
    state = status.our_state(provider_status or "")
    if state is None:
        return False
    message = status.lock_message(message_id)
    if message is None:
        return False
    if provider_sid:
        if message.provider_sid is None:
            # The send's answer was never recorded (a timeout, a crash): this resolves it.
            message.provider_sid = provider_sid
        elif message.provider_sid != provider_sid:
            log.warning("status callback for message %s names another provider id", message.id)
            return False
    error_code = error_code or None
    recorded = status.record_state(message, state, at, error_code=error_code)
    if error_code == OPTED_OUT_CODE:
        record_carrier_opt_out(message.to_index, at, clinic_id=message.clinic_id)
    return recorded
