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
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.models import User
from partnercontact.db import db
from partnercontact.errors import Forbidden
from partnercontact.i18n import _l
from partnercontact.policy import Permission, can
from partnercontact.runtime import current_runtime
from partnercontact.tasks.models import TASK_STATES, ScheduledTask

# The failed tasks listed, newest first; the counts cover them all.
FAILED_SHOWN = 200
# A task still waiting this long after it fell due means no worker runs, or the worker gets
# too little of the machine (it runs when the web leaves the CPU free): a few ticks, not one.
BEHIND_AFTER = timedelta(minutes=10)


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
    # When the task that has waited longest past its due time fell due, if longer ago than
    # BEHIND_AFTER; else None.
    behind_since: datetime | None


def task_overview(actor: User) -> TaskOverview:
    """Counts per kind and state, the failed tasks, and whether the worker is behind; audited
    as viewed."""
    if not can(actor, Permission.TASKS_VIEW):
        raise Forbidden(_l("You do not have access to this page."))
    scope = or_(ScheduledTask.clinic_id == actor.clinic_id, ScheduledTask.clinic_id.is_(None))
    counts: dict[str, dict[str, int]] = {}
    waiting_since: list[datetime] = []
    rows = db.session.execute(
        select(
            ScheduledTask.kind, ScheduledTask.state, func.count(), func.min(ScheduledTask.due_at)
        )
        .where(scope)
        .group_by(ScheduledTask.kind, ScheduledTask.state)
    )
    for kind, state, number, first_due in rows:
        counts.setdefault(kind, dict.fromkeys(TASK_STATES, 0))[state] = number
        if state == "pending":
            waiting_since.append(first_due)
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
    oldest_due = min(waiting_since, default=None)
    now = current_runtime().clock.now()
    behind = oldest_due is not None and oldest_due <= now - BEHIND_AFTER
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
        behind_since=oldest_due if behind else None,
    )
