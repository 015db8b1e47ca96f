"""Tasks her acts in the portal open for her treater, and her treater's handling of them.

- :func:`open_task`: called by the service that records her act (a "call me", a plan she
  proposes, a new number, ...) in the same transaction, so the act and its task land together.
- :func:`open_tasks_of_case`: her treater's list on her case, urgent first, then oldest first.
- :func:`open_task_count`: for the home page of the treater who holds her case.
- :func:`handle_task`: her treater marks a task seen to; once only (a conditional UPDATE).

Audited without content; functions flush, never commit.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import CursorResult, func, select, update

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.service import audit, held_case_for, held_cases
from partnercontact.runtime import current_runtime

CALL_ME = "call_me"
NEW_VIOLENCE = "new_violence"
SESSION_CONFIRMED = "session_confirmed"
SESSION_MOVE = "session_move"
TOLD_WHEN_ENDED = "told_when_ended"
PLAN_NARROWED = "plan_narrowed"
PLAN_PROPOSED = "plan_proposed"
OWN_DETAILS = "own_details"

TASK_KINDS = {
    CALL_ME: _l("She asks to be called"),
    NEW_VIOLENCE: _l("She reports new violence or threats"),
    SESSION_CONFIRMED: _l("She confirmed a booked session"),
    SESSION_MOVE: _l("She asks to move a booked session"),
    TOLD_WHEN_ENDED: _l("She asks to be told when his treatment ends"),
    PLAN_NARROWED: _l("She narrowed her safe-contact plan"),
    PLAN_PROPOSED: _l("She proposes wider contact in her plan"),
    OWN_DETAILS: _l("She gave a safer number or address of her own"),
}
URGENT_KINDS = frozenset({NEW_VIOLENCE})


class PortalTaskNotFound(NotFound):
    """No such open task on a case the actor holds."""


@dataclass(frozen=True)
class TaskEntry:
    id: uuid.UUID
    kind: str
    label: str
    subject_id: uuid.UUID | None
    details: str | None
    urgent: bool
    opened_at: datetime


def open_task(
    partner_case: PartnerCase,
    kind: str,
    *,
    subject_id: uuid.UUID | None = None,
    details: str | None = None,
) -> PortalTask:
    """A task for her treater about her act of ``kind`` (one of :data:`TASK_KINDS`)."""
    if kind not in TASK_KINDS:
        raise ValueError(f"unknown portal task kind {kind!r}")
    task = PortalTask(
        id=uuid.uuid4(),
        partner_case_id=partner_case.id,
        data_key_id=partner_case.data_key_id,
        kind=kind,
        subject_id=subject_id,
        urgent=kind in URGENT_KINDS,
        opened_at=current_runtime().clock.now(),
    )
    if details:
        task.details = details
    db.session.add(task)
    db.session.flush()
    return task


def open_tasks_of_case(actor: User, case_id: uuid.UUID) -> list[TaskEntry]:
    """The open tasks of a case ``actor`` holds, urgent first, then oldest first."""
    partner_case = held_case_for(actor, case_id, audited=False)
    tasks = db.session.scalars(
        select(PortalTask)
        .where(PortalTask.partner_case_id == partner_case.id, PortalTask.handled_at.is_(None))
        .order_by(PortalTask.urgent.desc(), PortalTask.opened_at, PortalTask.id)
    )
    entries = [
        TaskEntry(
            id=task.id,
            kind=task.kind,
            label=str(TASK_KINDS[task.kind]),
            subject_id=task.subject_id,
            details=task.details,
            urgent=task.urgent,
            opened_at=task.opened_at,
        )
        for task in tasks
    ]
    audit(AuditAction.PORTAL_TASKS_VIEWED, actor, partner_case)
    return entries


def open_tasks_by_case(actor: User) -> dict[uuid.UUID, int]:
    """For each case ``actor`` holds with open portal tasks, how many (nothing is unsealed)."""
    held = held_cases(actor).with_only_columns(PartnerCase.id)
    rows = db.session.execute(
        select(PortalTask.partner_case_id, func.count(PortalTask.id))
        .where(PortalTask.partner_case_id.in_(held), PortalTask.handled_at.is_(None))
        .group_by(PortalTask.partner_case_id)
    )
    return {case_id: int(count) for case_id, count in rows}


def open_task_count(actor: User) -> int:
    return sum(open_tasks_by_case(actor).values())


def handle_task(actor: User, case_id: uuid.UUID, task_id: uuid.UUID) -> None:
    """Mark an open task of a case ``actor`` holds seen to. A task that is missing, of another
    case or handled already raises :class:`PortalTaskNotFound`; of two treaters marking it at
    once, one wins and the other is told it is gone."""
    partner_case = held_case_for(actor, case_id, audited=False)
    result = db.session.execute(
        update(PortalTask)
        .where(
            PortalTask.id == task_id,
            PortalTask.partner_case_id == partner_case.id,
            PortalTask.handled_at.is_(None),
        )
        .values(handled_at=current_runtime().clock.now(), handled_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    if result.rowcount != 1:
        raise PortalTaskNotFound(_l("There is no such open task."), field="task_id")
    audit(AuditAction.PORTAL_TASK_HANDLED, actor, partner_case)
