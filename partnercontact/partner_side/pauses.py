"""Her "not safe now": she says so in her portal (or tells her treater, who records it), and
every contact with her waits (the rules refuse it as ``not_safe_now``) until she or her
treater lifts it. Each is a record on her case, audited without content."""

from __future__ import annotations

import uuid

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.partner_side.models import ContactPause, PartnerCase
from partnercontact.partner_side.portal_access import PortalIdentity, audit_her, case_of
from partnercontact.partner_side.rules import current_pause
from partnercontact.partner_side.service import audit, held_case_for
from partnercontact.runtime import current_runtime


def _pause(partner_case: PartnerCase, recorded_by_id: int | None) -> ContactPause:
    already = current_pause(partner_case)
    if already is not None:
        return already
    row = ContactPause(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        recorded_by_id=recorded_by_id,
        recorded_at=current_runtime().clock.now(),
    )
    db.session.add(row)
    db.session.flush()
    return row


def _lift(partner_case: PartnerCase, *, by: User | None) -> ContactPause:
    pause = current_pause(partner_case)
    if pause is None:
        raise Conflict(_l("Contact with her is not paused."), field="pause")
    pause.lifted_at = current_runtime().clock.now()
    pause.lifted_by_id = by.id if by is not None else None
    pause.lifted_by_her = by is None
    db.session.flush()
    return pause


def pause_by_her(identity: PortalIdentity) -> ContactPause:
    """She says it is not safe now. Saying it twice changes nothing."""
    partner_case = case_of(identity)
    row = _pause(partner_case, None)
    audit_her(AuditAction.CONTACT_PAUSED, partner_case)
    return row


def lift_by_her(identity: PortalIdentity) -> ContactPause:
    partner_case = case_of(identity)
    row = _lift(partner_case, by=None)
    audit_her(AuditAction.CONTACT_PAUSE_LIFTED, partner_case)
    return row


def pause(actor: User, case_id: uuid.UUID) -> ContactPause:
    """Her treater records that she said it is not safe now (on the phone, say)."""
    partner_case = held_case_for(actor, case_id)
    row = _pause(partner_case, actor.id)
    audit(AuditAction.CONTACT_PAUSED, actor, partner_case)
    return row


def lift(actor: User, case_id: uuid.UUID) -> ContactPause:
    """Her treater lifts the pause, having checked with her that it is safe again."""
    partner_case = held_case_for(actor, case_id)
    row = _lift(partner_case, by=actor)
    audit(AuditAction.CONTACT_PAUSE_LIFTED, actor, partner_case)
    return row


def is_paused(identity: PortalIdentity) -> bool:
    return current_pause(case_of(identity)) is not None
