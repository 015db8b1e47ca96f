"""Letters and text messages to a partner with protected personal data.

No letter or SMS goes to a protected partner without an explicit, logged decision for that
one send (docs/domain.md, "Protected personal data"). The holder records a :class:`SendDecision` per
channel with a reason; :func:`check_send_allowed` spends one decision per send and refuses
every send that has none.

Whatever sends to a partner calls, in one transaction and in this order:
:func:`partnercontact.partner_side.contact.check_contact_allowed` (may she be contacted this way
now?), then :func:`check_send_allowed` (may this one send go to her?), then sends. A failure
after the check rolls the spent decision back with everything else.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.contact import REASON_MAX, ContactInvalid
from partnercontact.partner_side.models import PartnerCase, SendDecision
from partnercontact.partner_side.service import audit, held_case_for
from partnercontact.runtime import current_runtime

# The channels that send something to her; a phone call is not a send.
SEND_CHANNELS = ("letter", "sms")


class SendRefused(DomainError):
    """A send to a partner with protected personal data, without an unused decision for it.
    ``field`` is ``channel``."""

    status = 409


def _check_channel(channel: str) -> None:
    if channel not in SEND_CHANNELS:
        raise ContactInvalid(_l("Choose letter or text message."), field="channel")


def record_send_decision(
    actor: User, case_id: uuid.UUID, channel: str, reason: str | None
) -> SendDecision:
    """The holder decides that one letter or one text message may go to a protected partner,
    and why (sealed). Each decision allows one send."""
    partner_case = held_case_for(actor, case_id)
    _check_channel(channel)
    clean = (reason or "").strip()
    if not clean:
        raise ContactInvalid(_l("Give the reason for the send."), field="reason")
    if len(clean) > REASON_MAX:
        raise ContactInvalid(
            _l("The reason is too long (at most 2000 characters)."), field="reason"
        )
    if not partner_case.protected_identity:
        raise Conflict(
            _l("A send decision is needed only for a partner with protected personal data."),
            field="channel",
        )
    decision = SendDecision(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        recorded_by_id=actor.id,
        recorded_at=current_runtime().clock.now(),
        channel=channel,
        reason=clean,
    )
    db.session.add(decision)
    db.session.flush()
    audit(AuditAction.SEND_DECISION_RECORDED, actor, partner_case)
    return decision


def send_decisions(partner_case: PartnerCase) -> list[SendDecision]:
    """The case's send decisions, newest first."""
    return list(
        db.session.scalars(
            select(SendDecision)
            .where(SendDecision.partner_case_id == partner_case.id)
            .order_by(SendDecision.recorded_at.desc())
        )
    )


def record_send_refused(actor: User | None, partner_case: PartnerCase) -> None:
    """The audit entry of a refused letter or text message to her: who, which case, denied;
    never what or why."""
    record_event(
        AuditAction.SEND_REFUSED,
        actor_id=actor.id if actor is not None else None,
        clinic_id=partner_case.clinic_id,
        resource_type="partner_case",
        resource_id=str(partner_case.id),
        outcome=Outcome.DENIED,
    )


def check_send_allowed(
    actor: User | None, partner_case: PartnerCase, channel: str
) -> SendDecision | None:
    """Allow or refuse one letter or text message to her.

    Returns None when she is not protected (nothing to decide). For a protected partner,
    spends the oldest unused decision for ``channel`` (marks it used, now) and returns it, or
    records ``SEND_REFUSED`` (outcome denied) and raises :class:`SendRefused`. ``actor`` is
    who sends, None for a job.

    The refusal's audit entry is added to the caller's transaction like any other; a caller
    that rolls back after the refusal and wants the refusal on record commits first (as the
    access guard does for a denied request).
    """
    _check_channel(channel)
    if not partner_case.protected_identity:
        return None
    decision = db.session.scalar(
        select(SendDecision)
        .where(
            SendDecision.partner_case_id == partner_case.id,
            SendDecision.channel == channel,
            SendDecision.used_at.is_(None),
        )
        .order_by(SendDecision.recorded_at)
        .limit(1)
        # Two sends at once must not both spend the same decision: the second waits for the
        # first and then finds it used (PostgreSQL; SQLite writes one at a time anyway).
        .with_for_update()
    )
    if decision is None:
        record_send_refused(actor, partner_case)
        raise SendRefused(
            _l(
                "She has protected personal data: no letter or text message goes to her "
                "without a recorded decision for that one send."
            ),
            field="channel",
        )
    decision.used_at = current_runtime().clock.now()
    db.session.flush()
    return decision
