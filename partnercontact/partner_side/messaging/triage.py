"""Texts from numbers no case knows: the administrators' triage, and the lists of texts given
to a partner-contact treater.

A text nobody's case knew (:func:`.inbound.receive_inbound`) waits, sealed under a data key of
its own, with no clinic. Every clinic's administrators see that it waits, as its arrival time
and the last two digits of its number, never its words. An administrator who opens it states
why, from a closed list; the opening is audited, and it takes the text up for the
administrator's clinic: from then on only that clinic's administrators see it (an unknown
number belongs to no clinic until one of them takes it up). Once opened it is either given to
one of the clinic's partner-contact treaters, who places it on a case she holds
(:mod:`.placing`), or destroyed: its data key shredded, its words gone.

Every change of state takes the text's row lock and checks its state again under it, so two
administrators giving or destroying the same text at once cannot both succeed: the second is
told it was already handled.

Functions take the acting user first, check the policy (deny by default), flush, never
commit, and write their audit entry, which names the text's row and nothing of its content.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.crypto.service import load_data_key, load_data_keys, shred_data_key
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError, Forbidden, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.messaging.models import (
    TRIAGE_DISCARDED,
    TRIAGE_GIVEN,
    TRIAGE_WAITING,
    InboundSms,
)
from partnercontact.policy import ROLE_PERMISSIONS, Permission, can
from partnercontact.runtime import current_runtime

RESOURCE = "inbound_sms"

# Why an administrator opens a text, a closed list: each reason is its own audit tag, so the
# log says why without holding any free text.
OPENING_REASONS: dict[str, AuditAction] = {
    "identify": AuditAction.UNMATCHED_SMS_OPENED_TO_IDENTIFY,
    "her_call": AuditAction.UNMATCHED_SMS_OPENED_ON_HER_CALL,
}
MASK = "•••• ••"


class UnmatchedTextNotFound(NotFound):
    """No such text, or not one the actor may know of."""


class TriageInvalid(DomainError):
    """Input for the triage of a text is not acceptable; ``field`` names it."""


@dataclass(frozen=True)
class UnmatchedText:
    """A text as a list shows it: when it came and a masked sender, never its words."""

    id: uuid.UUID
    received_at: datetime
    # None for a text kept before its sender was: shown as an unknown sender.
    sender: str | None
    state: str
    # The treater it was given to, for the administrators' list.
    given_to: str | None = None


@dataclass(frozen=True)
class OpenedText:
    """A text as the one response that shows it: its words, and still a masked sender."""

    id: uuid.UUID
    received_at: datetime
    sender: str | None
    body: str
    is_stop: bool


def mask_sender(number: str | None) -> str | None:
    """The sender as anyone is shown it: its last two digits only (``•••• •• 12``), so that a
    colleague can match it to a number a partner reads out, while a glance at the screen
    gives away no one's number. None for an unknown sender."""
    if number is None:
        return None
    digits = "".join(character for character in number if character.isdigit())
    return f"{MASK} {digits[-2:]}" if len(digits) >= 2 else MASK


def not_found() -> UnmatchedTextNotFound:
    """The answer for a text that does not exist and for one the actor may not know of,
    alike, so a 404 never tells the one from the other."""
    return UnmatchedTextNotFound(_l("There is no such text message among yours."), field="text")


def already_handled() -> Conflict:
    return Conflict(
        _l("Someone has already handled this text message. Reload the list."), field="text"
    )


def listed(row: InboundSms, given_to: str | None = None) -> UnmatchedText:
    return UnmatchedText(
        id=row.id,
        received_at=row.received_at,
        sender=mask_sender(row.sender),
        state=row.triage_state or TRIAGE_WAITING,
        given_to=given_to,
    )


def opened(row: InboundSms) -> OpenedText:
    return OpenedText(
        id=row.id,
        received_at=row.received_at,
        sender=mask_sender(row.sender),
        body=row.body or "",
        is_stop=row.is_stop,
    )


def audit(action: AuditAction, actor: User, row: InboundSms) -> None:
    """Record ``action`` on the text: who, when, which row; nothing of its content."""
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type=RESOURCE,
        resource_id=str(row.id),
    )


def locked(text_id: uuid.UUID, condition: ColumnElement[bool]) -> InboundSms | None:
    """The text ``text_id`` if it meets ``condition``, under its row lock for the rest of the
    transaction, read afresh (a state read before the lock was granted may be stale)."""
    return db.session.scalar(
        select(InboundSms)
        .where(InboundSms.id == text_id, condition)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


# --- the administrators' triage ----------------------------------------------------------


def _require_triage(actor: User) -> None:
    if not can(actor, Permission.UNMATCHED_SMS_TRIAGE):
        raise Forbidden(_l("You may not handle texts from unknown numbers."))


def _seen_by_administrators_of(actor: User) -> ColumnElement[bool]:
    # Nobody's yet, or taken up by the actor's clinic; never another clinic's.
    return and_(
        InboundSms.triage_state.in_((TRIAGE_WAITING, TRIAGE_GIVEN)),
        or_(InboundSms.clinic_id.is_(None), InboundSms.clinic_id == actor.clinic_id),
    )


def texts_for_triage(actor: User) -> list[UnmatchedText]:
    """The texts waiting for the actor's clinic's administrators, and those given to one of
    its treaters, oldest first; each as its arrival time and masked sender."""
    _require_triage(actor)
    rows = db.session.execute(
        select(InboundSms, User.display_name)
        .outerjoin(User, User.id == InboundSms.given_to_id)
        .where(_seen_by_administrators_of(actor))
        .order_by(InboundSms.received_at, InboundSms.id)
    ).all()
    load_data_keys(row.InboundSms.data_key_id for row in rows)
    return [listed(row.InboundSms, row.display_name) for row in rows]


def waiting_count_for_triage(actor: User) -> int:
    """How many texts wait for the actor's clinic's administrators; 0 for anyone else."""
    if not can(actor, Permission.UNMATCHED_SMS_TRIAGE):
        return 0
    condition = and_(_seen_by_administrators_of(actor), InboundSms.triage_state == TRIAGE_WAITING)
    return db.session.scalar(select(func.count(InboundSms.id)).where(condition)) or 0


def open_for_triage(actor: User, text_id: uuid.UUID, reason: str) -> OpenedText:
    """Show a waiting text to an administrator who states why (a key of
    :data:`OPENING_REASONS`), and take it up for the administrator's clinic.

    Raises :class:`TriageInvalid` (field ``reason``) for a missing or unknown reason, and
    :class:`UnmatchedTextNotFound` for a text that is not waiting for the actor's clinic.
    """
    _require_triage(actor)
    action = OPENING_REASONS.get(reason or "")
    if action is None:
        raise TriageInvalid(_l("Choose why you open the text message."), field="reason")
    row = locked(
        text_id,
        and_(_seen_by_administrators_of(actor), InboundSms.triage_state == TRIAGE_WAITING),
    )
    if row is None:
        raise not_found()
    if row.clinic_id is None:
        row.clinic_id = actor.clinic_id
    db.session.flush()
    audit(action, actor, row)
    return opened(row)


def _taken_up(actor: User, text_id: uuid.UUID) -> InboundSms:
    """A text the actor's clinic took up and that still waits, under its row lock."""
    # Any state: a text another administrator handled a moment ago is "already handled",
    # not "no such text".
    row = locked(
        text_id,
        and_(
            InboundSms.triage_state.is_not(None),
            or_(InboundSms.clinic_id.is_(None), InboundSms.clinic_id == actor.clinic_id),
        ),
    )
    if row is None:
        raise not_found()
    if row.triage_state != TRIAGE_WAITING:
        raise already_handled()
    if row.clinic_id is None:
        # Giving or destroying a text unread would be a decision about words nobody saw.
        raise Conflict(_l("Open the text message before deciding on it."), field="text")
    return row


def _roles_that_place() -> list[str]:
    return [
        role.value
        for role, permissions in ROLE_PERMISSIONS.items()
        if Permission.UNMATCHED_SMS_PLACE in permissions
    ]


def treaters_to_give_to(actor: User) -> list[tuple[int, str]]:
    """(id, name) of the actor's clinic's active accounts that may place a text on a case
    (its partner-contact treaters), by name."""
    _require_triage(actor)
    return [
        (user_id, name)
        for user_id, name in db.session.execute(
            select(User.id, User.display_name)
            .where(
                User.clinic_id == actor.clinic_id,
                User.role.in_(_roles_that_place()),
                User.disabled_at.is_(None),
            )
            .order_by(User.display_name, User.id)
        )
    ]


def give_to_treater(actor: User, text_id: uuid.UUID, treater_id: Any) -> None:
    """Give a text the actor's clinic took up to one of its partner-contact treaters.

    Raises :class:`TriageInvalid` (field ``treater``) for anyone who is not one of
    :func:`treaters_to_give_to`, :class:`UnmatchedTextNotFound` for a text not the clinic's,
    and :class:`Conflict` for one already given, placed or destroyed, or never opened.
    """
    _require_triage(actor)
    chosen = {user_id for user_id, _name in treaters_to_give_to(actor)}
    if treater_id not in chosen:
        raise TriageInvalid(_l("Choose a partner-contact treater of the clinic."), field="treater")
    row = _taken_up(actor, text_id)
    now = current_runtime().clock.now()
    row.triage_state = TRIAGE_GIVEN
    row.given_to_id = treater_id
    row.given_at = now
    row.triage_changed_at = now
    db.session.flush()
    audit(AuditAction.UNMATCHED_SMS_GIVEN, actor, row)


def take_back(actor: User, text_id: uuid.UUID) -> None:
    """Take a text back from the treater it was given to (who left, is away, or cannot place
    it): it waits for the clinic's administrators again, so none is left with nobody.

    Raises :class:`UnmatchedTextNotFound` for a text not the clinic's, and :class:`Conflict`
    for one not given to anyone (placed, destroyed, or handed back meanwhile).
    """
    _require_triage(actor)
    row = locked(
        text_id,
        and_(InboundSms.triage_state.is_not(None), InboundSms.clinic_id == actor.clinic_id),
    )
    if row is None:
        raise not_found()
    if row.triage_state != TRIAGE_GIVEN:
        raise already_handled()
    row.triage_state = TRIAGE_WAITING
    row.given_to_id = None
    row.given_at = None
    row.triage_changed_at = current_runtime().clock.now()
    db.session.flush()
    audit(AuditAction.UNMATCHED_SMS_TAKEN_BACK, actor, row)


def waiting_text(actor: User, text_id: uuid.UUID, *, taken_up: bool) -> UnmatchedText:
    """A text that waits for the actor's clinic's administrators, as a list shows it, for
    the page that asks why it is opened, or (``taken_up``: the clinic has opened it) the one
    that confirms its destruction."""
    _require_triage(actor)
    condition = and_(_seen_by_administrators_of(actor), InboundSms.triage_state == TRIAGE_WAITING)
    if taken_up:
        condition = and_(condition, InboundSms.clinic_id == actor.clinic_id)
    row = db.session.scalar(select(InboundSms).where(InboundSms.id == text_id, condition))
    if row is None:
        raise not_found()
    load_data_keys([row.data_key_id])
    return listed(row)


def discard(actor: User, text_id: uuid.UUID) -> None:
    """Destroy a text the actor's clinic took up: its data key is shredded, so its words and
    number can never be read again; the row stays, as ``discarded``, for the record.

    Raises as :func:`give_to_treater` does for the text.
    """
    _require_triage(actor)
    row = _taken_up(actor, text_id)
    clock = current_runtime().clock
    shred_data_key(load_data_key(row.data_key_id), clock=clock, actor_id=actor.id)
    row.triage_state = TRIAGE_DISCARDED
    row.triage_changed_at = clock.now()
    db.session.flush()
    audit(AuditAction.UNMATCHED_SMS_DISCARDED, actor, row)


# --- what the treater it was given to sees ------------------------------------------------


def given_to(user_id: Any, clinic_id: Any) -> ColumnElement[bool]:
    """The texts given to the treater ``user_id`` of ``clinic_id`` (values, or bound
    parameters of a statement built once) and not yet placed or handed back."""
    return and_(
        InboundSms.triage_state == TRIAGE_GIVEN,
        InboundSms.given_to_id == user_id,
        InboundSms.clinic_id == clinic_id,
    )


def given_to_actor(actor: User) -> ColumnElement[bool]:
    """The texts given to ``actor`` and not yet placed or handed back."""
    return given_to(actor.id, actor.clinic_id)


def unmatched_texts_given_to(actor: User) -> list[UnmatchedText]:
    """The texts from unknown numbers an administrator gave ``actor`` to place, oldest
    first, each as its arrival time and masked sender; empty for anyone who may not place
    them."""
    if not can(actor, Permission.UNMATCHED_SMS_PLACE):
        return []
    rows = list(
        db.session.scalars(
            select(InboundSms)
            .where(given_to_actor(actor))
            .order_by(InboundSms.received_at, InboundSms.id)
        )
    )
    load_data_keys(row.data_key_id for row in rows)
    return [listed(row) for row in rows]


def unmatched_text_count_for(actor: User) -> int:
    """How many texts from unknown numbers wait for ``actor`` to place them; 0 for anyone who
    may not place them. Nothing is unsealed."""
    if not can(actor, Permission.UNMATCHED_SMS_PLACE):
        return 0
    return db.session.scalar(select(func.count(InboundSms.id)).where(given_to_actor(actor))) or 0
