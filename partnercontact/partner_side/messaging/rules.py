"""The safety rules every letter and text message to a partner passes, enforced here rather
than left to anyone's memory (docs/domain.md, "Safety rules of contact").

:func:`check_outbound_allowed` is the one gate. In order, a send is refused when:

1. the clinic's stop switch is on;
2. (text messages) her number replied STOP or is opted out at the carrier;
3. :func:`partnercontact.partner_side.contact.check_contact_allowed` refuses the channel now: she
   declined (unless this is the notice of his ending that she asked for), ended the contact,
   withdrew her consent, the contact is closed, the assessment says no, or her safe-contact
   plan does not allow the channel, the address or the moment;
4. she has protected personal data and there is no unused, logged decision for this send
   (:func:`partnercontact.partner_side.sending.check_send_allowed`, which spends the decision).

Each refusal is an error naming the rule in words for the treater, with the form field it
concerns, and leaves a ``partner.send_refused`` audit entry (the rule's key, never content).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.contact import ContactNotAllowed, check_contact_allowed
from partnercontact.partner_side.messaging.halt import current_halt
from partnercontact.partner_side.messaging.models import SmsOptOut
from partnercontact.partner_side.models import PartnerCase, SendDecision
from partnercontact.partner_side.sending import SendRefused, check_send_allowed, record_send_refused


class MessageRefused(DomainError):
    """A letter or text message that a safety rule does not allow. ``rule`` is a short key
    (``halted``, ``opted_out``, ``contact``, ``protected``); ``field`` the form field."""

    status = 409

    def __init__(self, message: str, *, field: str, rule: str) -> None:
        super().__init__(message, field=field)
        self.rule = rule


def is_opted_out(phone_index: str) -> bool:
    return (
        db.session.scalar(select(SmsOptOut.id).where(SmsOptOut.phone_index == phone_index))
        is not None
    )


def _refused(
    actor: User | None, partner_case: PartnerCase, message: str, field: str, rule: str
) -> MessageRefused:
    record_send_refused(actor, partner_case)
    return MessageRefused(message, field=field, rule=rule)


def check_outbound_allowed(
    actor: User | None,
    partner_case: PartnerCase,
    channel: str,
    at: datetime,
    *,
    phone_index: str | None = None,
    relay_notice: bool = False,
    spend_decision: bool = True,
) -> SendDecision | None:
    """Refuse a letter or text message (``channel``) to her at ``at``, or allow it.

    ``phone_index`` is the blind index of the number a text message goes to. With
    ``spend_decision`` off (the worker re-checking a message already queued), a protected
    partner's decision is not asked for again: it was spent when the message was queued.
    Returns the spent decision for a protected partner, else None.
    """
    halt = current_halt(partner_case.clinic_id)
    if halt is not None:
        raise _refused(
            actor,
            partner_case,
            _l(
                "All letters and text messages of the clinic are halted (the stop switch is "
                "on). Nothing can be sent until a manager or administrator lifts it."
            ),
            "channel",
            "halted",
        )
    if channel == "sms" and phone_index is not None and is_opted_out(phone_index):
        raise _refused(
            actor,
            partner_case,
            _l("Her number has replied STOP: no text message may go to it."),
            "channel",
            "opted_out",
        )
    try:
        check_contact_allowed(partner_case, channel, at, relay_notice=relay_notice)
    except ContactNotAllowed as exc:
        raise _refused(actor, partner_case, exc.message, exc.field or "channel", "contact") from exc
    if not spend_decision:
        return None
    try:
        return check_send_allowed(actor, partner_case, channel)
    except SendRefused as exc:
        # check_send_allowed has recorded the refusal itself.
        raise MessageRefused(exc.message, field="channel", rule="protected") from exc
