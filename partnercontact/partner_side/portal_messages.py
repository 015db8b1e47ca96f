"""Messages in her own channel: free text both ways between her and her treater, sealed under
the partner case's data key like every record of her case.

- :func:`write_to_her`: her treater (the holder of the case; for a protected partner only if
  named for her, as for a text message) writes to her; a content-free notice by text may
  follow (:func:`.portal_notices.notify_her`).
- :func:`write_from_her`: she writes from the portal.
- :func:`thread_for_her`: her view, oldest first, without what she cleared; opening it marks
  the messages to her read.
- :func:`thread_for_treater`: every message of the case with the read marks of both sides and
  what she cleared; opening it marks hers read.
- :func:`clear_for_her`: "read and clear": a message leaves her view (her treater still sees
  it, and that she read and cleared it). A message of another case is not found, exactly as a
  missing one.
- :func:`unread_from_her_count`: how many of hers wait on the cases a treater holds (the home
  page counts them by case, with what else waits: :mod:`.waiting`).
- :func:`purge_expired_bodies`: the text of a message is emptied after the clinic's
  ``portal_message_days``; the row stays, with no content (the retention purge calls it).

Every read and write is audited with no content: her treater's entries name the treater and
the case, hers name the case and no actor (she has no account). Functions flush, never commit.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, CursorResult, Select, and_, bindparam, select, update

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_zone
from partnercontact.clinics.models import Clinic
from partnercontact.db import db
from partnercontact.errors import DomainError, Forbidden, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_access import PortalIdentity, audit_her
from partnercontact.partner_side.portal_messages_models import FROM_HER, TO_HER, PortalMessage
from partnercontact.partner_side.portal_notices import notify_her
from partnercontact.partner_side.service import (
    audit,
    clinic_of,
    count_on_held_cases,
    held_case_for,
    is_named_for,
)
from partnercontact.runtime import current_runtime

MAX_BODY_LENGTH = 5000


class PortalMessageInvalid(DomainError):
    """A message refused as written; ``field`` is ``body``."""


class PortalMessageNotFound(NotFound):
    """No such message in her view: missing, of another case, or already cleared."""


class NotNamedForHer(Forbidden):
    """She has protected personal data and the actor is not named for her."""


@dataclass(frozen=True)
class ThreadEntry:
    """One message as a page shows it. ``body`` is None once the text is purged;
    ``shown_at`` is the moment it was written on the clinic's clocks; ``new`` says it was
    unread by the viewer until this view; ``author_name`` is the writer's display name for a
    message to her (her treater's view only)."""

    id: uuid.UUID
    direction: str
    body: str | None
    sent_at: datetime
    shown_at: str
    read_at: datetime | None
    cleared_at: datetime | None
    purged: bool
    new: bool
    author_name: str | None = None

    @property
    def to_her(self) -> bool:
        return self.direction == TO_HER


def _not_found() -> PortalMessageNotFound:
    return PortalMessageNotFound(_l("There is no such message."), field="message_id")


def _checked_body(body: str | None) -> str:
    text = (body or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise PortalMessageInvalid(_l("Write a message."), field="body")
    if len(text) > MAX_BODY_LENGTH:
        raise PortalMessageInvalid(
            _l("A message may be at most %(max)d characters.", max=MAX_BODY_LENGTH),
            field="body",
        )
    return text


def _her_case(partner_case_id: uuid.UUID) -> PartnerCase:
    partner_case = db.session.get(PartnerCase, partner_case_id)
    if partner_case is None:  # a portal identity always names an existing case
        raise _not_found()
    return partner_case


def _case_for_staff(actor: User, case_id: uuid.UUID) -> PartnerCase:
    """The case ``actor`` holds and, for a protected partner, is named for."""
    partner_case = held_case_for(actor, case_id, audited=False)
    if not is_named_for(actor, partner_case):
        raise NotNamedForHer(
            _l("Only staff named for her may write to her: she has protected personal data."),
            field="body",
        )
    return partner_case


def _messages(partner_case_id: uuid.UUID, *, hers: bool) -> list[PortalMessage]:
    query = select(PortalMessage).where(PortalMessage.partner_case_id == partner_case_id)
    if hers:
        query = query.where(PortalMessage.cleared_at.is_(None))
    return list(db.session.scalars(query.order_by(PortalMessage.sent_at, PortalMessage.id)))


def _mark_read(unread: list[uuid.UUID], now: datetime) -> set[uuid.UUID]:
    """Mark these unread messages read; the ids it was asked to mark. One conditional UPDATE:
    a message read at the same moment elsewhere keeps its first mark."""
    if unread:
        db.session.execute(
            update(PortalMessage)
            .where(PortalMessage.id.in_(unread), PortalMessage.read_at.is_(None))
            .values(read_at=now)
            .execution_options(synchronize_session=False)
        )
    return set(unread)


def _entries(
    partner_case: PartnerCase,
    messages: list[PortalMessage],
    newly_read: set[uuid.UUID],
    now: datetime,
    authors: dict[int, str] | None = None,
) -> list[ThreadEntry]:
    zone = clinic_zone(clinic_of(partner_case))
    entries = []
    for message in messages:
        new = message.id in newly_read
        entries.append(
            ThreadEntry(
                id=message.id,
                direction=message.direction,
                body=message.body if message.body_purged_at is None else None,
                sent_at=message.sent_at,
                shown_at=message.sent_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
                read_at=now if new else message.read_at,
                cleared_at=message.cleared_at,
                purged=message.body_purged_at is not None,
                new=new,
                author_name=(authors or {}).get(message.author_id or 0),
            )
        )
    return entries


def _new_message(
    partner_case: PartnerCase, direction: str, body: str, author: User | None
) -> PortalMessage:
    message = PortalMessage(
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        direction=direction,
        body=body,
        author_id=author.id if author is not None else None,
        sent_at=current_runtime().clock.now(),
    )
    db.session.add(message)
    db.session.flush()
    return message


# --- her treater's side ------------------------------------------------------------------------


def write_to_her(actor: User, case_id: uuid.UUID, body: str | None) -> PortalMessage:
    """A message to her from ``actor``, the holder of the case (named for her, if she is
    protected). Refused with :class:`PortalMessageInvalid` (field ``body``) when empty or
    longer than :data:`MAX_BODY_LENGTH` characters."""
    partner_case = _case_for_staff(actor, case_id)
    message = _new_message(partner_case, TO_HER, _checked_body(body), actor)
    audit(AuditAction.PORTAL_MESSAGE_TO_HER, actor, partner_case)
    # A text may tell her there is something to read: content-free, in her safe hours, one at a
    # time, and only if she asked for it (portal_notices).
    notify_her(partner_case, message.sent_at)
    return message


@functools.cache
def _thread_with_authors() -> Select[PortalMessage, str]:
    # Built once: the case page runs it on every view.
    return (
        select(PortalMessage, User.display_name)
        .outerjoin(User, User.id == PortalMessage.author_id)
        .where(PortalMessage.partner_case_id == bindparam("case_id"))
        .order_by(PortalMessage.sent_at, PortalMessage.id)
    )


def thread_for_treater(actor: User, case_id: uuid.UUID) -> list[ThreadEntry]:
    """Every message of the case, oldest first, with both sides' read marks and what she
    cleared; her messages are marked read by this view."""
    partner_case = _case_for_staff(actor, case_id)
    now = current_runtime().clock.now()
    # The messages and their authors' names in one statement; hers still unread among them
    # are then marked read in one conditional UPDATE.
    rows = db.session.execute(_thread_with_authors(), {"case_id": partner_case.id}).all()
    messages = [message for message, _ in rows]
    authors = {message.author_id: name for message, name in rows if message.author_id is not None}
    newly_read = _mark_read(
        [m.id for m in messages if m.direction == FROM_HER and m.read_at is None], now
    )
    audit(AuditAction.PORTAL_THREAD_VIEWED, actor, partner_case)
    return _entries(partner_case, messages, newly_read, now, authors)


def unread_from_her() -> ColumnElement[bool]:
    """A message from her that nobody has read yet."""
    return and_(PortalMessage.direction == FROM_HER, PortalMessage.read_at.is_(None))


def unread_from_her_count(actor: User) -> int:
    """How many of her messages on the cases ``actor`` holds nobody has read yet (no message
    is read)."""
    return count_on_held_cases(actor, PortalMessage.partner_case_id, unread_from_her())


# --- her side ----------------------------------------------------------------------------------


def write_from_her(identity: PortalIdentity, body: str | None) -> PortalMessage:
    """A message from her to her treater. Refused like :func:`write_to_her`'s."""
    partner_case = _her_case(identity.partner_case_id)
    message = _new_message(partner_case, FROM_HER, _checked_body(body), None)
    audit_her(AuditAction.PORTAL_MESSAGE_FROM_HER, partner_case)
    return message


def thread_for_her(identity: PortalIdentity) -> list[ThreadEntry]:
    """Her view: the messages she has not cleared, oldest first (newest last). The messages
    to her are marked read by it (``new`` on the ones that were not)."""
    partner_case = _her_case(identity.partner_case_id)
    now = current_runtime().clock.now()
    messages = _messages(partner_case.id, hers=True)
    # A message she cleared counts as read already: those she sees are all that may be unread.
    newly_read = _mark_read(
        [m.id for m in messages if m.direction == TO_HER and m.read_at is None], now
    )
    audit_her(AuditAction.PORTAL_THREAD_VIEWED_BY_HER, partner_case)
    return _entries(partner_case, messages, newly_read, now)


def clear_for_her(identity: PortalIdentity, message_id: uuid.UUID) -> None:
    """Take a message out of her view; a message to her counts as read. A message that is
    missing, of another case or cleared already raises :class:`PortalMessageNotFound`."""
    partner_case = _her_case(identity.partner_case_id)
    message = db.session.scalar(
        select(PortalMessage).where(
            PortalMessage.id == message_id,
            PortalMessage.partner_case_id == partner_case.id,
            PortalMessage.cleared_at.is_(None),
        )
    )
    if message is None:
        raise _not_found()
    now = current_runtime().clock.now()
    message.cleared_at = now
    if message.direction == TO_HER and message.read_at is None:
        message.read_at = now
    db.session.flush()
    audit_her(AuditAction.PORTAL_MESSAGE_CLEARED, partner_case)


# --- retention ---------------------------------------------------------------------------------


def purge_expired_bodies(now: datetime) -> int:
    """Empty the text of every message older than its clinic's ``portal_message_days``; the
    row stays, marked ``body_purged_at``. How many were emptied.

    Core UPDATEs: nothing is unsealed to clear it."""
    purged = 0
    for clinic_id, days in db.session.execute(select(Clinic.id, Clinic.portal_message_days)):
        cases = select(PartnerCase.id).where(PartnerCase.clinic_id == clinic_id)
        result = db.session.execute(
            update(PortalMessage)
            .where(
                PortalMessage.partner_case_id.in_(cases),
                PortalMessage.sent_at < now - timedelta(days=days),
                PortalMessage.body_purged_at.is_(None),
            )
            .values(body_ct=None, body_purged_at=now)
            .execution_options(synchronize_session=False)
        )
        assert isinstance(result, CursorResult)
        purged += int(result.rowcount or 0)
    return purged
