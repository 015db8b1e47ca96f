"""A manager moves a partner case to another partner-contact treater, and sees which cases
wait for one because their treater cannot act (a disabled account, or away longer than the
clinic's ``treater_absent_days``).

What the case carries moves with it: its relayed events, urgent tasks, sessions and her
portal thread belong to the case, so the new holder sees them at once; open reminders about
the case move from the old holder to the new. For a protected partner the new holder is
named for her and the old holder no longer is.

Contracts:

- only a manager of the case's clinic moves it (:data:`Permission.CASES_REASSIGN`); anyone
  else, and any other clinic's case, gets the answer for a case that does not exist;
- the two-treater rule holds: the client's own treater never gets the case, unless an
  administrator recorded an exception for that person and episode;
- the reason is one of a closed list; the move is recorded (:class:`Reassignment`) and
  audited, with nothing of the case in either;
- the manager learns the case's reference and who holds it, never anything recorded on it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, cast, delete, select, update

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db, take_write_lock
from partnercontact.errors import Conflict, DomainError
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase, ProtectedAccess
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.partner_side.service import (
    PartnerCaseNotFound,
    audit,
    has_treater_exception,
    name_for_partner,
    reference_of,
)
from partnercontact.policy import Permission, Role, can
from partnercontact.relay.reads import client_treater_of
from partnercontact.runtime import current_runtime
from partnercontact.staffing.models import PARTNER, REASSIGNMENT_REASONS, Reassignment
from partnercontact.staffing.queries import cannot_act, moved_to


class ReassignmentInvalid(DomainError):
    """The move asked for is not acceptable; ``field`` names the input at fault."""


def _not_found() -> PartnerCaseNotFound:
    return PartnerCaseNotFound(_l("There is no such partner case in your clinic."), field="case")


def _managed_case(manager: User, case_id: uuid.UUID) -> PartnerCase:
    """The case, locked for the move, when ``manager`` may move it."""
    if not can(manager, Permission.CASES_REASSIGN):
        raise _not_found()
    mine = (PartnerCase.id == case_id, PartnerCase.clinic_id == manager.clinic_id)
    take_write_lock(PartnerCase, *mine)
    partner_case = db.session.scalar(
        select(PartnerCase).where(*mine).with_for_update().execution_options(populate_existing=True)
    )
    if partner_case is None:
        raise _not_found()
    return partner_case


def possible_holders(manager: User, partner_case: PartnerCase) -> list[User]:
    """The partner-contact treaters of the clinic who can take the case: active, not its
    holder now, and not the client's own treater (unless excepted)."""
    client_treater = client_treater_of(partner_case.episode_id)
    treaters = db.session.scalars(
        select(User)
        .where(
            User.clinic_id == manager.clinic_id,
            User.role == Role.PARTNER_TREATER.value,
            User.disabled_at.is_(None),
        )
        .order_by(User.display_name)
    )
    return [
        treater
        for treater in treaters
        if treater.id != partner_case.treater_id
        and (
            treater.id != client_treater or has_treater_exception(treater, partner_case.episode_id)
        )
    ]


@dataclass(frozen=True)
class CaseToMove:
    case_id: uuid.UUID
    reference: str
    holder_name: str | None
    # Who may take it (possible_holders).
    treaters: list[User]


def case_to_move(manager: User, case_id: uuid.UUID) -> CaseToMove:
    """What the manager's page shows of a case to move: its reference, its holder, and who
    may take it."""
    partner_case = _managed_case(manager, case_id)
    holder = db.session.get(User, partner_case.treater_id) if partner_case.treater_id else None
    return CaseToMove(
        partner_case.id,
        reference_of(partner_case),
        holder.display_name if holder else None,
        possible_holders(manager, partner_case),
    )


def reassign_case(
    manager: User, case_id: uuid.UUID, *, to_user_id: int | None, reason: str | None
) -> PartnerCase:
    """Move the case to the treater ``to_user_id``."""
    partner_case = _managed_case(manager, case_id)
    target = next(
        (user for user in possible_holders(manager, partner_case) if user.id == to_user_id),
        None,
    )
    if target is None:
        if to_user_id is not None and to_user_id == client_treater_of(partner_case.episode_id):
            raise Conflict(
                _l("This treater treats the client: the partner needs another treater."),
                field="to_user_id",
            )
        raise ReassignmentInvalid(
            _l("Choose one of the clinic's partner-contact treaters."), field="to_user_id"
        )
    if reason not in REASSIGNMENT_REASONS:
        raise ReassignmentInvalid(_l("Choose why the case moves."), field="reason")
    now = current_runtime().clock.now()
    previous = partner_case.treater_id
    partner_case.treater_id = target.id
    partner_case.assigned_at = now
    if partner_case.protected_identity:
        name_for_partner(partner_case, target, granted_by=manager)
        if previous is not None:
            db.session.execute(
                delete(ProtectedAccess).where(
                    ProtectedAccess.partner_case_id == partner_case.id,
                    ProtectedAccess.user_id == previous,
                )
            )
    if previous is not None:
        db.session.execute(
            update(StaffReminder)
            .where(
                StaffReminder.partner_case_id == partner_case.id,
                StaffReminder.user_id == previous,
                StaffReminder.done_at.is_(None),
            )
            .values(user_id=target.id)
            .execution_options(synchronize_session=False)
        )
    db.session.add(
        Reassignment(
            clinic_id=partner_case.clinic_id,
            side=PARTNER,
            partner_case_id=partner_case.id,
            from_user_id=previous,
            to_user_id=target.id,
            reason=reason,
            decided_by_id=manager.id,
            decided_at=now,
        )
    )
    db.session.flush()
    audit(AuditAction.PARTNER_CASE_REASSIGNED, manager, partner_case)
    return partner_case


@dataclass(frozen=True)
class WaitingCase:
    """A case whose holder cannot act: its reference, who holds it and why they cannot."""

    case_id: uuid.UUID
    reference: str
    holder_name: str
    disabled: bool
    last_login_at: datetime | None


def cases_without_an_active_holder(manager: User) -> list[WaitingCase]:
    """The clinic's open cases held by a disabled account or by a treater who has not logged
    in for the clinic's ``treater_absent_days``, oldest login first; for the managers' list."""
    if not can(manager, Permission.CASES_REASSIGN):
        return []
    rows = db.session.execute(
        select(PartnerCase.id, User.display_name, User.disabled_at, User.last_login_at)
        .join(User, User.id == PartnerCase.treater_id)
        .where(
            PartnerCase.clinic_id == manager.clinic_id,
            PartnerCase.closed_on.is_(None),
            cannot_act(manager.clinic),
        )
        .order_by(User.display_name, PartnerCase.id)
    )
    return [
        WaitingCase(case_id, case_id.hex[:8], name, disabled is not None, last_login)
        for case_id, name, disabled, last_login in rows
    ]


def cases_moved_to(actor: User, case_ids: list[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """Of ``case_ids``, those a manager moved to ``actor`` lately, with when."""
    return moved_to(actor, Reassignment.partner_case_id, case_ids)


def case_by_reference(manager: User, reference: str) -> uuid.UUID | None:
    """The clinic's partner case whose id starts with ``reference`` (the eight characters
    the pages show), when exactly one does."""
    if not can(manager, Permission.CASES_REASSIGN):
        return None
    found = db.session.scalars(
        select(PartnerCase.id)
        .where(
            PartnerCase.clinic_id == manager.clinic_id,
            cast(PartnerCase.id, String).startswith(reference, autoescape=True),
        )
        .limit(2)
    ).all()
    return found[0] if len(found) == 1 else None
