"""Writing a text message to a partner: from a template, through the safety gate, into the
outbox. The worker sends it (:mod:`.dispatch`).

Queueing is the moment of decision: every rule is checked here, with the treater watching,
and a refusal says which rule applied. The worker checks again before it sends, because the
situation can change while a message waits (she replies STOP, the stop switch goes on).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime

from babel.dates import format_datetime
from sqlalchemy import select

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.messaging.duplicates import check_sms_repeat
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.messaging.status import audit_message
from partnercontact.partner_side.messaging.templates import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    RELAY_NOTICES,
    SMS_PURPOSES,
    environment,
    sms_template_name,
    sms_version,
)
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.reach import Reach, current_reach
from partnercontact.partner_side.relay_inbox import event_in
from partnercontact.partner_side.rules import (
    MessageRefused,
    check_outbound_allowed,
    expected_sender,
    latest_plan,
    outbound_refusal,
)
from partnercontact.partner_side.service import (
    audit,
    clinic_of,
    held_case_for,
    is_named_for,
)
from partnercontact.runtime import current_runtime

# A text message is kept to what one or two SMS segments hold.
BODY_MAX = 300
_KEY = re.compile(r"[0-9a-f]{32}")


class SmsInvalid(DomainError):
    """Input for a text message is not acceptable; ``field`` names it."""


@dataclass(frozen=True)
class SmsDraft:
    """What would be sent, for the treater to read before queueing it."""

    body: str
    template_version: str
    # What the safety gate would say of queueing it now: the refusal, or None.
    refusal: MessageRefused | None = None


def new_idempotency_key() -> str:
    """A key for one compose form: submitting the form twice queues one message."""
    return uuid.uuid4().hex


def _checked_choice(purpose: str | None, language: str | None) -> tuple[str, str]:
    if purpose not in SMS_PURPOSES:
        raise SmsInvalid(_l("Choose which text message to send."), field="purpose")
    if language not in LANGUAGES:
        raise SmsInvalid(_l("Choose Swedish or English."), field="language")
    return purpose, language


def _checked_event(
    partner_case: PartnerCase, purpose: str, relay_event_id: uuid.UUID | None
) -> None:
    if purpose in RELAY_NOTICES:
        if relay_event_id is None:
            raise SmsInvalid(
                _l(
                    "This text message answers an event from the client side: open it from "
                    "that task."
                ),
                field="purpose",
            )
        event_in(partner_case, relay_event_id)
    elif relay_event_id is not None:
        raise SmsInvalid(
            _l("Only the text about his treatment goes with an event from the client side."),
            field="purpose",
        )


def _outbox_row(
    partner_case: PartnerCase,
    reach: Reach,
    *,
    key: str,
    purpose: str,
    language: str,
    body: str,
    created_by_id: int | None,
    now: datetime,
    relay_event_id: uuid.UUID | None = None,
    send_before: datetime | None = None,
) -> SmsMessage:
    message = SmsMessage(
        id=uuid.uuid4(),
        data_key_id=partner_case.data_key_id,
        clinic_id=partner_case.clinic_id,
        partner_case_id=partner_case.id,
        idempotency_key=key,
        purpose=purpose,
        language=language,
        template_version=sms_version(purpose, language),
        relay_event_id=relay_event_id,
        state="queued",
        attempts=0,
        next_attempt_at=now,
        send_before=send_before,
        to_index=reach.phone_index,
        to_number=reach.phone,
        body=body,
        created_by_id=created_by_id,
        created_at=now,
        state_changed_at=now,
    )
    db.session.add(message)
    db.session.flush()
    return message


def _reach_with_number(partner_case: PartnerCase) -> Reach:
    """Where she is reached now (her own number if she gave one, else the newest hand-over
    note's: :func:`~partnercontact.partner_side.reach.current_reach`), which must be a number."""
    reach = current_reach(partner_case)
    if not reach.phone or not reach.phone_index:
        raise SmsInvalid(_l("No phone number was handed over for her."), field="purpose")
    return reach


def _render(partner_case: PartnerCase, purpose: str, language: str, **values: str) -> str:
    clinic = clinic_of(partner_case)
    if not clinic.phone:
        raise SmsInvalid(
            _l(
                "The clinic has no phone number in its settings, and every text message "
                "names one. Ask an administrator to add it."
            ),
            field="purpose",
        )
    plan = latest_plan(partner_case)
    # The sender she expects and an opener agreed with her, if any. Nothing else: the first
    # text names only a sender and a number (docs/domain.md, "Neutral sender").
    sender = expected_sender(partner_case)
    opener = plan.opener if plan is not None else None
    body = (
        environment()
        .get_template(sms_template_name(purpose, language))
        .render(sender=sender, phone=clinic.phone, opener=opener or "", **values)
        .strip()
    )
    if len(body) > BODY_MAX:
        raise SmsInvalid(
            _l("The text would be too long: shorten the sender name or the agreed opener."),
            field="purpose",
        )
    return body


def draft_sms(
    actor: User, case_id: uuid.UUID, purpose: str | None, language: str | None
) -> SmsDraft:
    """The text a message would carry, and what the safety gate would say of queueing it now.
    Writes nothing and spends no decision."""
    partner_case = held_case_for(actor, case_id, audited=False)
    purpose, language = _checked_choice(purpose, language)
    body = _render(partner_case, purpose, language)
    reach = current_reach(partner_case)
    refusal: MessageRefused | None
    if not reach.phone or not reach.phone_index:
        refusal = MessageRefused(
            _l("No phone number was handed over for her."), field="purpose", rule="no_number"
        )
    else:
        refusal = outbound_refusal(
            partner_case,
            "sms",
            current_runtime().clock.now(),
            purpose=purpose,
            phone_index=reach.phone_index,
            phone_number=reach.phone,
            relay_notice=purpose in RELAY_NOTICES,
        )
    return SmsDraft(body, sms_version(purpose, language), refusal)


def queue_sms(
    actor: User,
    case_id: uuid.UUID,
    *,
    purpose: str | None,
    language: str | None,
    idempotency_key: str | None,
    relay_event_id: uuid.UUID | None = None,
    confirm_duplicate: bool = False,
) -> SmsMessage:
    """Check every rule and put one text message to her in the outbox.

    ``idempotency_key`` comes from the compose form (:func:`new_idempotency_key`): the same
    key again returns the message already queued instead of a second one. A text with the same
    words as one that went to her (or waits to) within the clinic's
    ``duplicate_message_minutes`` raises
    :class:`~partnercontact.partner_side.messaging.duplicates.DuplicateMessage` before anything
    is written, unless ``confirm_duplicate``; one that failed or was cancelled never reached her
    and does not count. Raises :class:`SmsInvalid` for bad input and
    :class:`~partnercontact.partner_side.rules.MessageRefused` when a safety rule says no.
    """
    partner_case = held_case_for(actor, case_id)
    key = (idempotency_key or "").strip().lower()
    if not _KEY.fullmatch(key):
        raise SmsInvalid(_l("The form has expired: open it again."), field="idempotency_key")
    already = db.session.scalar(select(SmsMessage).where(SmsMessage.idempotency_key == key))
    if already is not None:
        if already.partner_case_id != partner_case.id:
            raise SmsInvalid(_l("The form has expired: open it again."), field="idempotency_key")
        return already
    purpose, language = _checked_choice(purpose, language)
    _checked_event(partner_case, purpose, relay_event_id)
    if not is_named_for(actor, partner_case):
        raise SmsInvalid(
            _l("Only staff named for her may write to her: she has protected personal data."),
            field="purpose",
        )
    reach = _reach_with_number(partner_case)
    body = _render(partner_case, purpose, language)
    now = current_runtime().clock.now()
    check_sms_repeat(partner_case, body, now, confirmed=confirm_duplicate)
    allowed = check_outbound_allowed(
        actor,
        partner_case,
        "sms",
        now,
        purpose=purpose,
        phone_index=reach.phone_index,
        phone_number=reach.phone,
        relay_notice=purpose in RELAY_NOTICES,
    )
    message = _outbox_row(
        partner_case,
        reach,
        key=key,
        purpose=purpose,
        language=language,
        body=body,
        created_by_id=actor.id,
        now=now,
        relay_event_id=relay_event_id,
    )
    message.under_override = allowed.override is not None
    audit(AuditAction.SMS_QUEUED, actor, partner_case)
    return message


def sms_messages_of(partner_case: PartnerCase) -> list[SmsMessage]:
    """The case's text messages, newest first."""
    return list(
        db.session.scalars(
            select(SmsMessage)
            .where(SmsMessage.partner_case_id == partner_case.id)
            .order_by(SmsMessage.created_at.desc())
        )
    )


def _spoken_time(moment: datetime, partner_case: PartnerCase, language: str) -> str:
    zone = clinic_zone(clinic_of(partner_case))
    pattern = "EEEE d MMMM 'kl.' HH:mm" if language == "sv" else "EEEE d MMMM 'at' HH:mm"
    return format_datetime(moment, pattern, tzinfo=zone, locale=language)


def queue_session_reminder(
    partner_case: PartnerCase, *, key: str, starts_at: datetime, now: datetime
) -> SmsMessage:
    """The worker's reminder of a session she asked to be reminded of, through every rule a
    treater's message passes. ``key`` is the task's: a task run twice finds its message.

    The message is cancelled rather than sent once ``starts_at`` has passed. Raises
    :class:`~partnercontact.partner_side.rules.MessageRefused` when a rule says no, and
    :class:`SmsInvalid` when there is nothing to send to.
    """
    already = db.session.scalar(select(SmsMessage).where(SmsMessage.idempotency_key == key))
    if already is not None:
        return already
    reach = _reach_with_number(partner_case)
    language = DEFAULT_LANGUAGE
    purpose = "session_reminder"
    body = _render(
        partner_case, purpose, language, when=_spoken_time(starts_at, partner_case, language)
    )
    if partner_case.protected_identity:
        # Every send to her needs a decision logged by a named member of staff, for that one
        # send: a machine never takes one.
        raise MessageRefused(
            _l("She has protected personal data: reminders are not sent automatically."),
            field="channel",
            rule="protected",
        )
    check_outbound_allowed(
        None,
        partner_case,
        "sms",
        now,
        phone_index=reach.phone_index,
        phone_number=reach.phone,
        spend_decision=False,
    )
    message = _outbox_row(
        partner_case,
        reach,
        key=key,
        purpose=purpose,
        language=language,
        body=body,
        created_by_id=None,
        now=now,
        send_before=starts_at,
    )
    audit_message(AuditAction.SMS_QUEUED, message)
    return message
