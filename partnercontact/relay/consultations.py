"""What both sides do with consultation requests, on the rows alone: ask, record as held, list.

Each side's own module decides who may (the client's own treater through his episode, the
holder of the partner case through the case) and passes the episode here; nothing here looks
at her answer, her contacts or anything else of either side.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError, NotFound
from partnercontact.i18n import _l
from partnercontact.relay.kinds import CONSULTATION_REASONS, SIDES
from partnercontact.relay.models import Consultation
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User


class ConsultationInvalid(DomainError):
    """A reason or a date for a consultation is not acceptable; ``field`` names it."""


@dataclass(frozen=True)
class ConsultationEntry:
    """A consultation request as either side sees it: who asked (a side, not a name), why,
    when, and when the talk was held."""

    id: uuid.UUID
    asked_from: str
    reason: str
    asked_at: datetime
    held_on: date | None

    @property
    def open(self) -> bool:
        return self.held_on is None


def _audit(action: AuditAction, actor: User, consultation_id: uuid.UUID) -> None:
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="consultation",
        resource_id=str(consultation_id),
    )


def ask(actor: User, episode_id: uuid.UUID, side: str, reason: str | None) -> Consultation:
    """A request from ``side`` for a talk about the episode's case. The caller has checked
    that ``actor`` may ask, and locked the row that serialises it (the episode or the case)."""
    assert side in SIDES
    if reason not in CONSULTATION_REASONS:
        raise ConsultationInvalid(_l("Choose what the talk is about."), field="reason")
    waiting = db.session.scalar(
        select(Consultation.id).where(
            Consultation.episode_id == episode_id,
            Consultation.asked_from == side,
            Consultation.held_on.is_(None),
        )
    )
    already = Conflict(
        _l("You have already asked for a talk that has not been held yet."), field="reason"
    )
    if waiting is not None:
        raise already
    consultation = Consultation(
        id=uuid.uuid4(),
        episode_id=episode_id,
        asked_from=side,
        reason=reason,
        asked_by_id=actor.id,
        asked_at=current_runtime().clock.now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(consultation)
    except IntegrityError:
        # Another request from the same side was written between the look and the insert
        # (where the caller's lock serialises nothing: SQLite); the unique index caught it.
        raise already from None
    _audit(AuditAction.CONSULTATION_ASKED, actor, consultation.id)
    return consultation


def record_held(
    actor: User,
    episode_id: uuid.UUID,
    consultation_id: uuid.UUID,
    held_on: date | None,
    *,
    missing: NotFound,
) -> Consultation:
    """The talk asked for in ``consultation_id`` was held on ``held_on``: recorded by either
    treater, once, without content. The caller has checked that ``actor`` may, and gives the
    answer for a request not on the episode: its side's answer for a record not its own."""
    consultation = db.session.scalar(
        select(Consultation)
        .where(Consultation.id == consultation_id, Consultation.episode_id == episode_id)
        .with_for_update()
    )
    if consultation is None:
        raise missing
    if consultation.held_on is not None:
        raise Conflict(
            _l("The talk was already recorded as held on %(day)s.", day=consultation.held_on),
            field="held_on",
        )
    if held_on is None:
        raise ConsultationInvalid(_l("Enter the day the talk was held."), field="held_on")
    now = current_runtime().clock.now()
    if held_on > now.date():
        raise ConsultationInvalid(_l("The date cannot be in the future."), field="held_on")
    if held_on < consultation.asked_at.date():
        raise ConsultationInvalid(
            _l("The talk cannot be held before it was asked for."), field="held_on"
        )
    consultation.held_on = held_on
    consultation.held_recorded_by_id = actor.id
    consultation.held_recorded_at = now
    db.session.flush()
    _audit(AuditAction.CONSULTATION_HELD, actor, consultation.id)
    return consultation


def entries_of(episode_ids: list[uuid.UUID]) -> list[ConsultationEntry]:
    """The requests on these episodes, open ones first, then newest first."""
    if not episode_ids:
        return []
    rows = db.session.execute(
        select(
            Consultation.id,
            Consultation.asked_from,
            Consultation.reason,
            Consultation.asked_at,
            Consultation.held_on,
        )
        .where(Consultation.episode_id.in_(episode_ids))
        .order_by(Consultation.asked_at.desc(), Consultation.id)
    ).all()
    entries = [ConsultationEntry(*row) for row in rows]
    return sorted(entries, key=lambda entry: not entry.open)
