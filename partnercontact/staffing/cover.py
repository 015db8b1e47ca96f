"""A manager lets a colleague cover an absent treater's cases for a while.

Nothing is moved: the cases stay the absent treater's. While a cover is in force (from its
first day to its last, in the clinic's time zone) both sides' scopes let the colleague work
the absent treater's cases as their own, except where the colleague holds the other side of
the same client (:func:`covering_for` gives the ids the scopes widen by). On the day after
its last, the cover is over without anything having to run; a manager may end it sooner.

Contracts:

- only a manager of the clinic grants or ends a cover (:data:`Permission.CASES_REASSIGN`);
- the absent treater and the colleague are active accounts of the clinic in the same treater
  role, and not the same person;
- a cover starts today or later, ends on or after its start and lasts at most a year;
- the reason is one of a closed list; granting and ending are audited, with nothing of any
  case in either.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db
from partnercontact.errors import DomainError, NotFound
from partnercontact.i18n import _l
from partnercontact.policy import Permission, Role, can
from partnercontact.remembered import remembered
from partnercontact.runtime import current_runtime
from partnercontact.staffing.models import COVER_REASONS, Cover

LONGEST = timedelta(days=366)
TREATER_ROLES = (Role.CLIENT_TREATER.value, Role.PARTNER_TREATER.value)


class CoverInvalid(DomainError):
    """The cover asked for is not acceptable; ``field`` names the input at fault."""


class CoverNotFound(NotFound):
    """No such cover, or not one of the manager's clinic."""


def covering_for(actor: User) -> list[int]:
    """The ids of the treaters whose cases ``actor`` covers today (none for anyone who is not
    an active treater)."""
    if actor.role not in TREATER_ROLES or actor.disabled_at is not None:
        return []

    def load() -> list[int]:
        today = clinic_today(actor.clinic)
        return list(
            db.session.scalars(
                select(Cover.absent_user_id)
                .where(
                    Cover.cover_user_id == actor.id,
                    Cover.clinic_id == actor.clinic_id,
                    Cover.starts_on <= today,
                    Cover.ends_on >= today,
                    Cover.ended_early_at.is_(None),
                )
                .order_by(Cover.absent_user_id)
                .distinct()
            )
        )

    return remembered(("covering_for", actor.id), load)


def scope_parameters(actor: User, *, allowed: bool) -> dict[str, Any]:
    """The bound parameters of either side's scope for ``actor``: the clinic, the actor, the
    treaters the actor covers today (``covered_ids``) and those with the actor
    (``acting_ids``). Deny by default: when not ``allowed`` they are NULL and empty, which no
    row's clinic or treater equals, so the statement finds nothing."""
    if not allowed:
        return {"actor_clinic_id": None, "actor_id": None, "covered_ids": [], "acting_ids": []}
    covered = covering_for(actor)
    return {
        "actor_clinic_id": actor.clinic_id,
        "actor_id": actor.id,
        "covered_ids": covered,
        "acting_ids": [actor.id, *covered],
    }


def _treater(manager: User, user_id: int | None, field: str, message: str) -> User:
    user = db.session.get(User, user_id) if user_id is not None else None
    if (
        user is None
        or user.clinic_id != manager.clinic_id
        or user.role not in TREATER_ROLES
        or user.disabled_at is not None
    ):
        raise CoverInvalid(message, field=field)
    return user


def _may_manage(manager: User) -> None:
    if not can(manager, Permission.CASES_REASSIGN):
        raise CoverNotFound(_l("There is no such cover in your clinic."), field="cover")


def grant_cover(
    manager: User,
    *,
    absent_user_id: int | None,
    cover_user_id: int | None,
    starts_on: date | None,
    ends_on: date | None,
    reason: str | None,
) -> Cover:
    """Let a colleague work an absent treater's cases from ``starts_on`` to ``ends_on``."""
    _may_manage(manager)
    absent = _treater(
        manager, absent_user_id, "absent_user_id", _l("Choose the treater who is away.")
    )
    colleague = _treater(
        manager, cover_user_id, "cover_user_id", _l("Choose the colleague who covers.")
    )
    if colleague.id == absent.id:
        raise CoverInvalid(
            _l("Choose a colleague other than the treater who is away."), field="cover_user_id"
        )
    if colleague.role != absent.role:
        raise CoverInvalid(
            _l("The colleague must work on the same side as the treater who is away."),
            field="cover_user_id",
        )
    today = clinic_today(manager.clinic)
    if starts_on is None or starts_on < today:
        raise CoverInvalid(_l("Give a first day of today or later."), field="starts_on")
    if ends_on is None or ends_on < starts_on:
        raise CoverInvalid(_l("Give a last day on or after the first."), field="ends_on")
    if ends_on - starts_on > LONGEST:
        raise CoverInvalid(
            _l("A cover lasts at most a year: move the cases instead."), field="ends_on"
        )
    if reason not in COVER_REASONS:
        raise CoverInvalid(_l("Choose why the treater is away."), field="reason")
    cover = Cover(
        id=uuid.uuid4(),
        clinic_id=manager.clinic_id,
        absent_user_id=absent.id,
        cover_user_id=colleague.id,
        starts_on=starts_on,
        ends_on=ends_on,
        reason=reason,
        granted_by_id=manager.id,
        granted_at=current_runtime().clock.now(),
    )
    db.session.add(cover)
    db.session.flush()
    _audit(AuditAction.STAFF_COVER_GRANTED, manager, cover)
    return cover


def end_cover(manager: User, cover_id: uuid.UUID) -> Cover:
    """End a cover now, before its last day (or before it starts): the colleague's access to
    the absent treater's cases ends with it. Its dates stay as granted, for the record."""
    _may_manage(manager)
    cover = db.session.scalar(
        select(Cover)
        .where(Cover.id == cover_id, Cover.clinic_id == manager.clinic_id)
        .with_for_update()
    )
    if cover is None:
        raise CoverNotFound(_l("There is no such cover in your clinic."), field="cover")
    if cover.ended_early_at is not None or cover.ends_on < clinic_today(manager.clinic):
        raise CoverInvalid(_l("This cover has already ended."), field="cover")
    cover.ended_early_at = current_runtime().clock.now()
    db.session.flush()
    _audit(AuditAction.STAFF_COVER_ENDED, manager, cover)
    return cover


def _audit(action: AuditAction, manager: User, cover: Cover) -> None:
    record_event(
        action,
        actor_id=manager.id,
        clinic_id=manager.clinic_id,
        resource_type="cover",
        resource_id=str(cover.id),
    )


@dataclass(frozen=True)
class CoverShown:
    id: uuid.UUID
    absent_name: str
    cover_name: str
    starts_on: date
    ends_on: date
    reason: str
    in_force: bool


def covers_of_clinic(manager: User) -> list[CoverShown]:
    """The clinic's covers in force or still to come, soonest first."""
    _may_manage(manager)
    today = clinic_today(manager.clinic)
    absent, colleague = aliased(User), aliased(User)
    rows = db.session.execute(
        select(Cover, absent.display_name, colleague.display_name)
        .join(absent, absent.id == Cover.absent_user_id)
        .join(colleague, colleague.id == Cover.cover_user_id)
        .where(
            Cover.clinic_id == manager.clinic_id,
            Cover.ends_on >= today,
            Cover.ended_early_at.is_(None),
        )
        .order_by(Cover.starts_on, Cover.ends_on, Cover.id)
    )
    return [
        CoverShown(
            id=cover.id,
            absent_name=absent_name,
            cover_name=cover_name,
            starts_on=cover.starts_on,
            ends_on=cover.ends_on,
            reason=cover.reason,
            in_force=cover.starts_on <= today,
        )
        for cover, absent_name, cover_name in rows
    ]


def active_treaters(manager: User) -> list[User]:
    """The clinic's active treaters of either side, by name, for the cover form."""
    _may_manage(manager)
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.clinic_id == manager.clinic_id,
                User.role.in_(TREATER_ROLES),
                User.disabled_at.is_(None),
            )
            .order_by(User.display_name, User.id)
        )
    )
