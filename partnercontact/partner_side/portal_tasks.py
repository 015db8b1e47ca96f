"""Tasks her acts in the portal open for her treater, and her treater's handling of them.

- :func:`open_task`: called by the service that records her act (a "call me", a plan she
  proposes, a new number, ...) in the same transaction, so the act and its task land together.
- :func:`open_tasks_of_case`: her treater's list on her case, urgent first, then oldest first.
- :func:`open_task_count`: how many wait on the cases a treater holds (the home page counts
  them by case, with what else waits: :mod:`.waiting`).
- :func:`handle_task`: her treater marks a task seen to; once only (a conditional UPDATE).
  Her report of new violence or threats is seen to by handling the urgent task it opened
  (:func:`partnercontact.partner_side.clinical.handle_urgent_task`), not here.
- :func:`requests_of_her`: what she sees of her own requests: when each was sent and when it
  was seen to, never who saw to it.

Audited without content; functions flush, never commit. Her words and windows are shown to her
treater only, and of a protected partner only to staff named for her, as her messages are.
"""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    CursorResult,
    Select,
    bindparam,
    or_,
    select,
    update,
)

from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Conflict, NotFound
from partnercontact.i18n import _l
from partnercontact.partner_side.models import URGENT_FOR_PARTNER_TREATER, PartnerCase, UrgentTask
from partnercontact.partner_side.portal_tasks_models import PortalTask
from partnercontact.partner_side.scheduling.models import ContactSession
from partnercontact.partner_side.service import (
    audit,
    count_on_held_cases,
    held_case_for,
    is_named_for,
)
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
# Her requests (portal_requests), as her own page lists them.
REQUEST_KINDS = (CALL_ME, NEW_VIOLENCE, SESSION_CONFIRMED, SESSION_MOVE, TOLD_WHEN_ENDED)
# How long a request seen to stays in her list.
REQUESTS_SHOWN_FOR = timedelta(days=30)


class PortalTaskNotFound(NotFound):
    """No such open task on a case the actor holds."""


class HandledWithUrgentTask(Conflict):
    """Her report of new violence or threats is seen to with the urgent task it opened."""


@dataclass(frozen=True)
class TaskEntry:
    """One open task as her treater's list shows it. ``details`` (her window or her words) is
    None where there are none or the viewer may not read them (``details_withheld``);
    ``session_starts_at`` is the time of the booked session a task names; ``urgent_task_id``
    the urgent task her report opened, handled in its place."""

    id: uuid.UUID
    kind: str
    label: str
    subject_id: uuid.UUID | None
    details: str | None
    urgent: bool
    opened_at: datetime
    details_withheld: bool = False
    session_starts_at: datetime | None = None
    urgent_task_id: uuid.UUID | None = None


@dataclass(frozen=True)
class RequestEntry:
    """One request as her own page shows it: what, when she sent it, when it was seen to."""

    kind: str
    sent_at: datetime
    seen_to_at: datetime | None


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


@functools.cache
def _open_tasks_of_case() -> Select[PortalTask, datetime | None, uuid.UUID | None]:
    # Built once: the case page runs it on every view.
    case_id: BindParameter[uuid.UUID] = bindparam("case_id")
    return (
        select(PortalTask, ContactSession.starts_at, UrgentTask.id)
        .outerjoin(
            ContactSession,
            (ContactSession.id == PortalTask.subject_id)
            & (ContactSession.partner_case_id == case_id),
        )
        .outerjoin(
            UrgentTask,
            (UrgentTask.portal_task_id == PortalTask.id)
            & (UrgentTask.for_role == URGENT_FOR_PARTNER_TREATER),
        )
        .where(PortalTask.partner_case_id == case_id, PortalTask.handled_at.is_(None))
        .order_by(PortalTask.urgent.desc(), PortalTask.opened_at, PortalTask.id)
    )


def open_tasks_of_case(actor: User, case_id: uuid.UUID) -> list[TaskEntry]:
    """The open tasks of a case ``actor`` holds, urgent first, then oldest first."""
    partner_case = held_case_for(actor, case_id, audited=False)
    # Each task with the session it is about and the urgent task it opened, in one statement.
    rows = db.session.execute(_open_tasks_of_case(), {"case_id": partner_case.id}).all()
    tasks = [task for task, _, _ in rows]
    starts: dict[uuid.UUID, datetime | None] = {task.id: starts_at for task, starts_at, _ in rows}
    urgent: dict[uuid.UUID, uuid.UUID | None] = {task.id: urgent_id for task, _, urgent_id in rows}
    named = is_named_for(actor, partner_case)
    entries = [
        TaskEntry(
            id=task.id,
            kind=task.kind,
            label=str(TASK_KINDS[task.kind]),
            subject_id=task.subject_id,
            details=task.details if named else None,
            urgent=task.urgent,
            opened_at=task.opened_at,
            details_withheld=not named and task.details_ct is not None,
            session_starts_at=starts[task.id] if task.subject_id else None,
            urgent_task_id=urgent.get(task.id),
        )
        for task in tasks
    ]
    audit(AuditAction.PORTAL_TASKS_VIEWED, actor, partner_case)
    return entries


def still_open() -> ColumnElement[bool]:
    """A task nobody has seen to yet."""
    return PortalTask.handled_at.is_(None)


def open_task_count(actor: User) -> int:
    """How many tasks wait on the cases ``actor`` holds (nothing is unsealed)."""
    return count_on_held_cases(actor, PortalTask.partner_case_id, still_open())


def handle_task(actor: User, case_id: uuid.UUID, task_id: uuid.UUID) -> None:
    """Mark an open task of a case ``actor`` holds seen to. A task that is missing, of another
    case or handled already raises :class:`PortalTaskNotFound`; of two treaters marking it at
    once, one wins and the other is told it is gone."""
    partner_case = held_case_for(actor, case_id, audited=False)
    kind = db.session.scalar(
        select(PortalTask.kind).where(
            PortalTask.id == task_id, PortalTask.partner_case_id == partner_case.id
        )
    )
    if kind in URGENT_KINDS:
        raise HandledWithUrgentTask(
            _l("Record how the urgent task her report opened was handled."), field="task_id"
        )
    if see_to(partner_case.id, actor, PortalTask.id == task_id) != 1:
        raise PortalTaskNotFound(_l("There is no such open task."), field="task_id")
    audit(AuditAction.PORTAL_TASK_HANDLED, actor, partner_case)


def see_to(
    partner_case_id: uuid.UUID,
    actor: User,
    *conditions: ColumnElement[bool],
    at: datetime | None = None,
) -> int:
    """Mark the open tasks of the case that meet ``conditions`` seen to by ``actor`` (at
    ``at``, else now), in one conditional UPDATE: a task seen to at the same moment elsewhere
    keeps its first mark. How many it marked. Also for the services whose own decision sees a
    task to (an urgent task handled, a proposal decided)."""
    result = db.session.execute(
        update(PortalTask)
        .where(
            PortalTask.partner_case_id == partner_case_id,
            PortalTask.handled_at.is_(None),
            *conditions,
        )
        .values(handled_at=at or current_runtime().clock.now(), handled_by_id=actor.id)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return int(result.rowcount or 0)


def requests_of_her(partner_case: PartnerCase) -> list[RequestEntry]:
    """Her requests (:data:`REQUEST_KINDS`) still open, and those seen to within
    :data:`REQUESTS_SHOWN_FOR`, newest first. Nothing is unsealed; the caller audits."""
    since = current_runtime().clock.now() - REQUESTS_SHOWN_FOR
    rows = db.session.execute(
        select(PortalTask.kind, PortalTask.opened_at, PortalTask.handled_at)
        .where(
            PortalTask.partner_case_id == partner_case.id,
            PortalTask.kind.in_(REQUEST_KINDS),
            or_(PortalTask.handled_at.is_(None), PortalTask.handled_at > since),
        )
        .order_by(PortalTask.opened_at.desc(), PortalTask.id)
    )
    return [RequestEntry(kind, opened_at, handled_at) for kind, opened_at, handled_at in rows]
