"""The task queue as the administrators see it: how many tasks of each kind are in each state,
and the tasks that failed, with their error.

Nothing personal is read: a task names its kind, times, attempts, outcome key and an error
that is only an exception's type and field (:func:`partnercontact.tasks.queue.error_of`).
Which case or record a task is about is not shown either: administrators never open a case.
An administrator sees the tasks of their own clinic and the installation's own work (the
retention purge), not other clinics' numbers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Forbidden
from partnercontact.i18n import _l
from partnercontact.policy import Permission, can
from partnercontact.tasks.models import TASK_STATES, ScheduledTask

# The failed tasks listed, newest first; the counts cover them all.
FAILED_SHOWN = 200


@dataclass(frozen=True)
class KindCounts:
    kind: str
    # state -> number of tasks, every state present
    by_state: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.by_state.values())


@dataclass(frozen=True)
class FailedTask:
    id: uuid.UUID
    kind: str
    due_at: datetime
    attempts: int
    last_error: str | None
    outcome: str | None
    finished_at: datetime | None


@dataclass(frozen=True)
class TaskOverview:
    kinds: list[KindCounts]
    totals: dict[str, int]
    failed: list[FailedTask]
    failed_total: int


def task_overview(actor: User) -> TaskOverview:
    """Counts per kind and state, and the failed tasks; audited as viewed."""
    if not can(actor, Permission.TASKS_VIEW):
        raise Forbidden(_l("You do not have access to this page."))
    scope = or_(ScheduledTask.clinic_id == actor.clinic_id, ScheduledTask.clinic_id.is_(None))
    counts: dict[str, dict[str, int]] = {}
    rows = db.session.execute(
        select(ScheduledTask.kind, ScheduledTask.state, func.count())
        .where(scope)
        .group_by(ScheduledTask.kind, ScheduledTask.state)
    )
    for kind, state, number in rows:
        counts.setdefault(kind, dict.fromkeys(TASK_STATES, 0))[state] = number
    totals = {state: sum(by_state[state] for by_state in counts.values()) for state in TASK_STATES}
    failed = [
        FailedTask(
            id=task.id,
            kind=task.kind,
            due_at=task.due_at,
            attempts=task.attempts,
            last_error=task.last_error,
            outcome=task.outcome,
            finished_at=task.finished_at,
        )
        for task in db.session.scalars(
            select(ScheduledTask)
            .where(scope, ScheduledTask.state == "failed")
            .order_by(ScheduledTask.finished_at.desc(), ScheduledTask.due_at.desc())
            .limit(FAILED_SHOWN)
        )
    ]
    record_event(
        AuditAction.TASKS_VIEWED,
        actor_id=actor.id,
        clinic_id=actor.clinic_id,
        resource_type="scheduled_task",
    )
    return TaskOverview(
        kinds=[KindCounts(kind, counts[kind]) for kind in sorted(counts)],
        totals=totals,
        failed=failed,
        failed_total=totals["failed"],
    )
