"""Decisions to send to a partner with protected personal data.

No letter or SMS goes to a protected partner without an explicit, logged decision for that
one send (docs/domain.md, "Protected personal data"). The holder records a :class:`SendDecision`
per channel with a reason here; :func:`partnercontact.partner_side.rules.check_send_allowed`
spends one decision per send and refuses every send that has none, inside the outbound gate
(:func:`partnercontact.partner_side.rules.check_outbound_allowed`). A failure after the check
rolls the spent decision back with everything else.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.partner_side.contact import REASON_MAX
from partnercontact.partner_side.errors import ContactInvalid
from partnercontact.partner_side.models import PartnerCase, SendDecision
from partnercontact.partner_side.rules import check_send_channel
from partnercontact.partner_side.service import audit, held_case_for
from partnercontact.runtime import current_runtime


# The channels that send something to her; a phone call is not a send.
def record_send_decision(
    actor: User, case_id: uuid.UUID, channel: str, reason: str | None
) -> SendDecision:
    """The holder decides that one letter or one text message may go to a protected partner,
    and why (sealed). Each decision allows one send."""
    partner_case = held_case_for(actor, case_id)
    check_send_channel(channel)
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
