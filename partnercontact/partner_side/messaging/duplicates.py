"""A second identical letter or text message to her, soon after the first, only when the
treater confirms it.

The clinic's ``duplicate_message_minutes`` (60 by default) is the interval. A form sent twice,
a second tab, or two treaters' hands on the same case could otherwise send her the same words
twice, and a second copy may be what draws someone else's eye to the first. So the services
(:func:`..sms.queue_sms`, :func:`..letters.send_letter`) ask, before anything is written,
whether a message of the same channel with the same content went to her within that interval,
and refuse with :class:`DuplicateMessage` unless the caller passes ``confirm_duplicate``.

What counts as identical: a text message with the same rendered body; a letter with the same
purpose, language and relayed event (its rendered text differs only by what the template reads
from the same settings, and the sent PDF is sealed). What counts as having gone to her: a text
message queued, being sent, sent or delivered; one that failed, was not delivered or was
cancelled by a safety rule never reached her and does not count. Every letter on record was
sent (printed for the post). Messages the worker writes (session reminders) are not asked
about: they are never queued twice for one session.

Two identical requests at the same moment must not both pass the question: the case row is
locked first (PostgreSQL; SQLite lets one writer at a time anyway), so the second waits for the
first to commit and then finds its message.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select

from partnercontact.clinics.clock import clinic_zone
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.messaging.models import SentLetter, SmsMessage
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import clinic_of, lock_case

# The form field that confirms a second identical message.
FIELD = "confirm_duplicate"
# Text messages in these states never reached her.
NOT_SENT_STATES = ("failed", "undelivered", "cancelled")


class DuplicateMessage(DomainError):
    """An identical letter or text message went to her within the clinic's interval; sending
    another needs the treater's confirmation (``confirm_duplicate``). ``previous_at`` is when
    the identical one went out (or was queued, for a text still waiting)."""

    status = 409

    def __init__(self, message: object, *, previous_at: datetime) -> None:
        super().__init__(message, field=FIELD)
        self.previous_at = previous_at


def _since(partner_case: PartnerCase, now: datetime) -> datetime:
    return now - timedelta(minutes=clinic_of(partner_case).duplicate_message_minutes)


def _clinic_time(partner_case: PartnerCase, moment: datetime) -> str:
    zone = clinic_zone(clinic_of(partner_case))
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def check_sms_repeat(
    partner_case: PartnerCase, body: str, now: datetime, *, confirmed: bool
) -> None:
    """Lock the case, then refuse a text message whose ``body`` went to her within the
    clinic's interval unless ``confirmed``. Writes nothing."""
    lock_case(partner_case)
    if confirmed:
        return
    since = _since(partner_case, now)
    recent = db.session.scalars(
        select(SmsMessage)
        .where(
            SmsMessage.partner_case_id == partner_case.id,
            SmsMessage.state.not_in(NOT_SENT_STATES),
            or_(SmsMessage.created_at >= since, SmsMessage.sent_at >= since),
        )
        .order_by(SmsMessage.created_at.desc())
    )
    for message in recent:
        if message.body != body:
            continue
        if message.sent_at is None:
            raise DuplicateMessage(
                _l(
                    "An identical text message to her has been waiting to go out since "
                    "%(when)s. Tick “Send it anyway” to send a second one.",
                    when=_clinic_time(partner_case, message.created_at),
                ),
                previous_at=message.created_at,
            )
        raise DuplicateMessage(
            _l(
                "An identical text message went to her at %(when)s. Tick “Send it anyway” to "
                "send it again.",
                when=_clinic_time(partner_case, message.sent_at),
            ),
            previous_at=message.sent_at,
        )


def check_letter_repeat(
    partner_case: PartnerCase,
    *,
    purpose: str,
    language: str,
    relay_event_id: uuid.UUID | None,
    now: datetime,
    confirmed: bool,
) -> None:
    """Lock the case, then refuse a letter of the same purpose, language and relayed event as
    one sent to her within the clinic's interval unless ``confirmed``. Writes nothing."""
    lock_case(partner_case)
    if confirmed:
        return
    same_event = (
        SentLetter.relay_event_id.is_(None)
        if relay_event_id is None
        else SentLetter.relay_event_id == relay_event_id
    )
    sent_at = db.session.scalar(
        select(SentLetter.sent_at)
        .where(
            SentLetter.partner_case_id == partner_case.id,
            SentLetter.purpose == purpose,
            SentLetter.language == language,
            same_event,
            SentLetter.sent_at >= _since(partner_case, now),
        )
        .order_by(SentLetter.sent_at.desc())
        .limit(1)
    )
    if sent_at is not None:
        raise DuplicateMessage(
            _l(
                "An identical letter to her was sent at %(when)s. Tick “Send it anyway” to send "
                "it again.",
                when=_clinic_time(partner_case, sent_at),
            ),
            previous_at=sent_at,
        )
