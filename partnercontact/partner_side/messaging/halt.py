"""The clinic's stop switch: one act halts every letter and text message of the clinic.

Halting changes nothing already queued: queued text messages wait (the dispatcher skips the
clinic) and go out once the switch is lifted, unless a safety rule stops them by then. Both
acts and their reasons are recorded; the audit entry names the act, never the reason.
"""

from __future__ import annotations

from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Conflict, DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.messaging.models import OutboundHalt
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime

REASON_MAX = 500


class HaltInvalid(DomainError):
    """Input for the stop switch is not acceptable; ``field`` names it."""


def current_halt(clinic_id: int) -> OutboundHalt | None:
    """The clinic's halt in force, if the switch is on."""
    return db.session.scalar(
        select(OutboundHalt)
        .where(OutboundHalt.clinic_id == clinic_id, OutboundHalt.lifted_at.is_(None))
        .order_by(OutboundHalt.halted_at.desc())
        .limit(1)
    )


def halt_history(clinic_id: int, limit: int = 20) -> list[OutboundHalt]:
    return list(
        db.session.scalars(
            select(OutboundHalt)
            .where(OutboundHalt.clinic_id == clinic_id)
            .order_by(OutboundHalt.halted_at.desc())
            .limit(limit)
        )
    )


def _check_actor(actor: User) -> None:
    if not can(actor, Permission.OUTBOUND_HALT):
        raise HaltInvalid(_l("You may not use the stop switch."), field="actor")


def _audit(action: AuditAction, actor: User, halt: OutboundHalt) -> None:
    record_event(
        action,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="outbound_halt",
        resource_id=str(halt.id),
    )


def halt_outbound(actor: User, reason: str | None) -> OutboundHalt:
    """Turn the switch on for the actor's clinic, with the reason."""
    _check_actor(actor)
    clean = (reason or "").strip()
    if not clean:
        raise HaltInvalid(_l("Give the reason for halting all messages."), field="reason")
    if len(clean) > REASON_MAX:
        raise HaltInvalid(_l("The reason is too long (at most 500 characters)."), field="reason")
    if current_halt(actor.clinic_id) is not None:
        raise Conflict(_l("All messages are already halted."), field="reason")
    halt = OutboundHalt(
        clinic_id=actor.clinic_id,
        reason=clean,
        halted_by_id=actor.id,
        halted_at=current_runtime().clock.now(),
    )
    db.session.add(halt)
    db.session.flush()
    _audit(AuditAction.OUTBOUND_HALTED, actor, halt)
    return halt


def resume_outbound(actor: User) -> OutboundHalt:
    """Turn the switch off: queued messages go out at the worker's next turn."""
    _check_actor(actor)
    halt = current_halt(actor.clinic_id)
    if halt is None:
        raise Conflict(_l("Messages are not halted."), field="confirm")
    halt.lifted_at = current_runtime().clock.now()
    halt.lifted_by_id = actor.id
    db.session.flush()
    _audit(AuditAction.OUTBOUND_RESUMED, actor, halt)
    return halt
