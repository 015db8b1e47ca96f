"""The task queue: scheduling work as rows, and the dispatcher the worker ticks.

How a task runs exactly once, with any number of workers:

1. one transaction claims up to ``worker.batch_size`` due rows with ``FOR UPDATE SKIP LOCKED``
   (PostgreSQL): rows another worker holds are passed over, never waited for;
2. each task runs in a savepoint of that transaction; its writes, its audit events and its
   row's new state are committed together when the batch commits;
3. a worker killed mid-batch never commits, so its rows and everything its tasks wrote are
   rolled back and the rows are claimed again by the next run: nothing is lost, and nothing a
   killed batch did survives to be repeated.

The batch's audit events join the chain when the batch commits, in the order they were
recorded, in one insert (:func:`~partnercontact.audit.service.appends_at_commit`): the chain's
lock, which every audited web request needs, is held for that insert and the commit, never
while the tasks run. A task whose savepoint is rolled back takes its events with it.

SQLite allows one writer at a time; a second process's batch that read the same rows fails to
write and is rolled back whole (SQLite refuses a write from a stale snapshot), so nothing runs
twice there either. Production runs on PostgreSQL.

A task whose handler raises keeps its row: ``attempts`` goes up, ``last_error`` names the
exception (its type and the field at fault, never its message: that can quote personal data),
and it is due again after ``retry_base_seconds``, doubling each time. After ``max_attempts`` it
is ``failed`` and stays on the administrators' task page.

Handlers run without a user and with the clock's "now"; they return a short outcome key, or
:class:`Later` to wait (a reminder waiting for her safe hours) without counting an attempt.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from partnercontact.audit.service import appends_at_commit
from partnercontact.config import WorkerConfig
from partnercontact.db import db
from partnercontact.errors import DomainError
from partnercontact.runtime import current_runtime
from partnercontact.tasks.models import ScheduledTask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Later:
    """A handler's answer "not yet": the task is due again at ``at``, no attempt counted."""

    at: datetime


Handler = Callable[[ScheduledTask, datetime], "str | Later"]
HANDLERS: dict[str, Handler] = {}
# The kinds of task the domain has declared, with their labels for the administrators' task
# page. The queue knows no kind of its own: each domain module declares its kinds and
# registers their handlers when it is imported, and the application imports them all.
KIND_LABELS: dict[str, object] = {}
# What a finished task did, by the short key a handler returns.
OUTCOME_LABELS: dict[str, object] = {}


def declare_kinds(labels: Mapping[str, object], outcomes: Mapping[str, object] = {}) -> None:  # noqa: B006
    """Declare task kinds (and the outcomes their handlers report), with their labels."""
    KIND_LABELS.update(labels)
    OUTCOME_LABELS.update(outcomes)


def handles(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs tasks of ``kind``."""

    def register(handler: Handler) -> Handler:
        if kind in HANDLERS:
            raise ValueError(f"two handlers for task kind {kind!r}")
        HANDLERS[kind] = handler
        return handler

    return register


class UnknownTaskKind(Exception):
    pass


@dataclass
class DispatchReport:
    done: list[uuid.UUID] = field(default_factory=list)
    waiting: list[uuid.UUID] = field(default_factory=list)
    retrying: list[uuid.UUID] = field(default_factory=list)
    failed: list[uuid.UUID] = field(default_factory=list)
    # Batches that another writer made roll back (SQLite's single-writer path).
    contended: int = 0


def _config() -> WorkerConfig:
    return current_runtime().config.worker


def _now() -> datetime:
    return current_runtime().clock.now()


def schedule(
    kind: str,
    due_at: datetime,
    key: str,
    *,
    clinic_id: int | None = None,
    partner_case_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
) -> ScheduledTask:
    """Add a task, or return the one already scheduled under ``key``.

    Flushes in the caller's transaction, so the task exists exactly when the work that asked
    for it is committed.
    """
    if kind not in KIND_LABELS:
        raise UnknownTaskKind(kind)
    existing = db.session.scalar(select(ScheduledTask).where(ScheduledTask.idempotency_key == key))
    if existing is not None:
        return existing
    task = ScheduledTask(
        id=uuid.uuid4(),
        kind=kind,
        due_at=due_at,
        state="pending",
        attempts=0,
        idempotency_key=key,
        clinic_id=clinic_id,
        partner_case_id=partner_case_id,
        subject_id=subject_id,
        created_at=_now(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(task)
    except IntegrityError:
        # Another transaction scheduled the same key between our look and our insert.
        found = db.session.scalar(select(ScheduledTask).where(ScheduledTask.idempotency_key == key))
        if found is None:
            raise
        return found
    return task


def cancel_pending(subject_id: uuid.UUID, kinds: tuple[str, ...]) -> int:
    """Cancel the pending tasks of ``kinds`` about ``subject_id`` (a session moved or was
    cancelled); returns how many."""
    result = db.session.execute(
        update(ScheduledTask)
        .where(
            ScheduledTask.subject_id == subject_id,
            ScheduledTask.kind.in_(kinds),
            ScheduledTask.state == "pending",
        )
        .values(state="cancelled", finished_at=_now())
        .execution_options(synchronize_session="fetch")
    )
    assert isinstance(result, CursorResult)
    return result.rowcount or 0


def error_of(exc: BaseException) -> str:
    """What is kept of a task's exception: its type and, for a domain error, the field."""
    text = type(exc).__name__
    if isinstance(exc, DomainError) and exc.field:
        text += f" ({exc.field})"
    return text[:300]


def _run_one(
    task: ScheduledTask, now: datetime, config: WorkerConfig, report: DispatchReport
) -> None:
    handler = HANDLERS.get(task.kind)
    try:
        with db.session.begin_nested():
            if handler is None:
                raise UnknownTaskKind(task.kind)
            result = handler(task, now)
    except Exception as exc:  # a failing task must not stop the batch
        log.warning("task %s (%s) failed: %s", task.id, task.kind, error_of(exc))
        task.attempts += 1
        task.last_error = error_of(exc)
        if task.attempts >= config.max_attempts:
            task.state = "failed"
            task.finished_at = now
            report.failed.append(task.id)
        else:
            wait = config.retry_base_seconds * 2 ** (task.attempts - 1)
            task.due_at = now + timedelta(seconds=wait)
            report.retrying.append(task.id)
        return
    if isinstance(result, Later):
        # Never "now" again: the next batch of this very run would take it straight back.
        task.due_at = max(result.at, now + timedelta(seconds=1))
        report.waiting.append(task.id)
        return
    task.attempts += 1
    task.state = "done"
    task.outcome = result
    task.finished_at = now
    report.done.append(task.id)


def _run_batch(config: WorkerConfig, report: DispatchReport, limit: int) -> int:
    """One transaction: claim, run, commit. ``report`` learns of the batch only once it is
    committed."""
    batch = DispatchReport()
    now = _now()
    with appends_at_commit():
        tasks = db.session.scalars(
            select(ScheduledTask)
            .where(ScheduledTask.state == "pending", ScheduledTask.due_at <= now)
            .order_by(ScheduledTask.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        ).all()
        for task in tasks:
            _run_one(task, now, config, batch)
        db.session.commit()
    for name in ("done", "waiting", "retrying", "failed"):
        getattr(report, name).extend(getattr(batch, name))
    return len(tasks)


def dispatch_due(limit: int | None = None) -> DispatchReport:
    """Run the tasks that are due, a batch per transaction, until none is left (or ``limit``
    tasks were taken). The worker's duty; commits its own work."""
    # The handlers register themselves when their module is imported; it imports this one.

    config = _config()
    report = DispatchReport()
    taken = 0
    while limit is None or taken < limit:
        size = config.batch_size if limit is None else min(config.batch_size, limit - taken)
        try:
            claimed = _run_batch(config, report, size)
        except OperationalError:
            db.session.rollback()
            if db.engine.dialect.name != "sqlite":
                raise
            # SQLite: another process wrote first; this batch is undone whole. Its rows wait
            # for the next tick.
            report.contended += 1
            break
        taken += claimed
        if claimed < size:
            break
    return report
