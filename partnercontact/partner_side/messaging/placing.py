"""A text from an unknown number, given to a partner-contact treater: she reads it and places
it on one of the cases she holds, or hands it back to the administrators.

Placing re-seals its words and number under her case's data key, gives it her case and clinic,
so it is one of her text replies on the case page from then on, and shreds the key it waited
under. The administrators see only that it was placed, never where: nothing they read names
the case. Only cases the actor holds (:func:`partnercontact.partner_side.service.held_cases`)
are offered or accepted; any other answers as a case that does not exist.

Functions take the acting user first, check the policy (deny by default), flush, never commit,
and write their audit entry, which names the text's row and nothing of its content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.crypto.service import load_data_key, shred_data_key
from partnercontact.db import db
from partnercontact.errors import Conflict, Forbidden
from partnercontact.i18n import _l
from partnercontact.partner_side.messaging.models import (
    TRIAGE_PLACED,
    TRIAGE_WAITING,
    InboundSms,
)
from partnercontact.partner_side.messaging.triage import (
    OpenedText,
    audit,
    given_to_actor,
    locked,
    not_found,
    opened,
)
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import held_case_for, inbox
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime


@dataclass(frozen=True)
class CaseChoice:
    """A case the text may be placed on, as the choice names it."""

    id: uuid.UUID
    reference: str
    # None where she is protected and the actor is not named for her.
    partner_name: str | None


def _require(actor: User) -> None:
    if not can(actor, Permission.UNMATCHED_SMS_PLACE):
        raise Forbidden(_l("You may not place texts from unknown numbers."))


def _given(actor: User, text_id: uuid.UUID) -> InboundSms:
    """The text given to ``actor``, under its row lock; a text given to someone else, or
    already placed or handed back, is not found."""
    row = locked(text_id, given_to_actor(actor))
    if row is None:
        raise not_found()
    return row


def open_given(actor: User, text_id: uuid.UUID) -> OpenedText:
    """Show the treater a text given to her (audited)."""
    _require(actor)
    row = _given(actor, text_id)
    audit(AuditAction.UNMATCHED_SMS_OPENED_BY_TREATER, actor, row)
    return opened(row)


def cases_to_place_on(actor: User) -> list[CaseChoice]:
    """The cases ``actor`` holds (or covers), newest first: the only ones a text may be placed
    on. Read as her inbox is (and audited as a read of it), so a protected partner is named
    only to staff named for her."""
    _require(actor)
    return [
        CaseChoice(item.case_id, item.reference, item.partner_name)
        for item in inbox(actor)
        if item.held_by_me
    ]


def place(actor: User, text_id: uuid.UUID, case_id: uuid.UUID) -> PartnerCase:
    """Place a text given to ``actor`` on a case ``actor`` holds.

    Raises :class:`~partnercontact.partner_side.service.PartnerCaseNotFound` for a case the
    actor does not hold (the answer for one that does not exist), :class:`Conflict` for one
    nobody holds yet or whose content was destroyed, and
    :class:`~.triage.UnmatchedTextNotFound` for a text not given to the actor.
    """
    _require(actor)
    partner_case = held_case_for(actor, case_id, audited=False)
    row = _given(actor, text_id)
    case_key = load_data_key(partner_case.data_key_id)
    if case_key.is_shredded:
        raise Conflict(_l("The content of this case was destroyed."), field="case_id")
    waited_under = load_data_key(row.data_key_id)
    body, sender = row.body, row.sender
    # Re-sealed for her case: the same row, now under the case's key, which every reply of
    # hers is sealed under and which goes when her case's content goes.
    row.data_key_id = partner_case.data_key_id
    row.body = body
    row.sender = sender
    row.partner_case_id = partner_case.id
    row.clinic_id = partner_case.clinic_id
    row.triage_state = TRIAGE_PLACED
    clock = current_runtime().clock
    row.triage_changed_at = clock.now()
    # She read it to place it: it does not wait on her worklist again as a new reply.
    row.seen_at = clock.now()
    db.session.flush()
    # The key it waited under sealed nothing else: shredded, no copy of its words is left
    # readable under it (in a backup, or a row version not yet vacuumed).
    shred_data_key(waited_under, clock=clock, actor_id=actor.id)
    audit(AuditAction.UNMATCHED_SMS_PLACED, actor, row)
    return partner_case


def hand_back(actor: User, text_id: uuid.UUID) -> None:
    """Give a text back to the administrators of the clinic: it waits again."""
    _require(actor)
    row = _given(actor, text_id)
    row.triage_state = TRIAGE_WAITING
    row.given_to_id = None
    row.given_at = None
    row.triage_changed_at = current_runtime().clock.now()
    db.session.flush()
    audit(AuditAction.UNMATCHED_SMS_HANDED_BACK, actor, row)
