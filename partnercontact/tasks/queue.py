"""The task queue: scheduling work as rows, and the dispatcher the worker ticks.

How a task runs exactly once, with any number of workers:

1. one statement claims up to ``worker.batch_size`` due rows (an ``UPDATE`` of the rows a
   ``FOR UPDATE SKIP LOCKED`` sub-select picks, ``RETURNING`` them, on PostgreSQL): rows
   another worker holds are passed over, never waited for, and the claim counts the run's
   attempt;
2. the claimed tasks run by kind, each kind's tasks together in one savepoint of that
   transaction (a kind may load what all its tasks need at once, :func:`handles_batch`); if
   any of them raises, that savepoint is rolled back and each of its tasks runs again alone in
   a savepoint of its own, so a failing task is found and only it fails;
3. the rows' new states are written in a few set-based updates, one per distinct new
   state, and everything is committed together;
4. a worker killed mid-batch never commits, so its rows and everything its tasks wrote are
   rolled back and the rows are claimed again by the next run: nothing is lost, and nothing a
   killed batch did survives to be repeated.

The batch's audit events join the chain when the batch commits, in the order they were
recorded, in one insert (:func:`~partnercontact.audit.service.appends_at_commit`): the chain's
lock, which every audited web request needs, is held for that insert and the commit, never
while the tasks run. A savepoint that is rolled back takes its events with it.

SQLite allows one writer at a time; a second process's batch fails to write and is rolled back
whole, so nothing runs twice there either. Production runs on PostgreSQL.

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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

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
# Runs many tasks of one kind together and returns each one's result by task id, doing for
# each exactly what the kind's handler would do for it alone (typically: what every task needs
# loaded in a few queries, then the same decisions).
BatchHandler = Callable[[Sequence[ScheduledTask], datetime], Mapping[uuid.UUID, "str | Later"]]
HANDLERS: dict[str, Handler] = {}
BATCH_HANDLERS: dict[str, BatchHandler] = {}
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


def handles_batch(kind: str) -> Callable[[BatchHandler], BatchHandler]:
    """Register the function that runs many tasks of ``kind`` at once, beside its handler.

    The batch form runs in one savepoint for all its tasks and must not catch what it does
    not expect: whatever it raises rolls the savepoint back, and each task runs again alone
    through the kind's handler, which decides which of them fails.
    """

    def register(batch_handler: BatchHandler) -> BatchHandler:
        if kind in BATCH_HANDLERS:
            raise ValueError(f"two batch handlers for task kind {kind!r}")
        BATCH_HANDLERS[kind] = batch_handler
        return batch_handler

    return register


def each(tasks: Sequence[ScheduledTask], now: datetime) -> dict[uuid.UUID, str | Later]:
    """Run ``tasks`` one after the other through their kinds' handlers, in no savepoint of
    their own: for a batch handler that has loaded what they need and leaves the rest to the
    handler of one."""
    results: dict[uuid.UUID, str | Later] = {}
    for task in tasks:
        handler = HANDLERS.get(task.kind)
        if handler is None:
            raise UnknownTaskKind(task.kind)
        results[task.id] = handler(task, now)
    return results


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


# A row's new state, as the values of its set-based UPDATE; rows with equal values share one.
_Change = tuple[tuple[str, Any], ...]


@dataclass
class _Outcomes:
    """What became of each claimed task, gathered for the batch's set-based UPDATEs."""

    changes: dict[_Change, list[uuid.UUID]] = field(default_factory=dict)
    report: DispatchReport = field(default_factory=DispatchReport)

    def change(self, task: ScheduledTask, **values: Any) -> None:
        self.changes.setdefault(tuple(sorted(values.items())), []).append(task.id)

    def succeeded(self, task: ScheduledTask, result: str | Later, now: datetime) -> None:
        if isinstance(result, Later):
            # Never "now" again: the next batch of this very run would take it straight back.
            # The claim counted an attempt; waiting is not one.
            at = max(result.at, now + timedelta(seconds=1))
            self.change(task, due_at=at, attempts=task.attempts - 1)
            self.report.waiting.append(task.id)
            return
        self.change(task, state="done", outcome=result, finished_at=now)
        self.report.done.append(task.id)

    def failed(
        self, task: ScheduledTask, exc: Exception, now: datetime, config: WorkerConfig
    ) -> None:
        error = error_of(exc)
        log.warning("task %s (%s) failed: %s", task.id, task.kind, error)
        # ``attempts`` already counts this run (the claim added it).
        if task.attempts >= config.max_attempts:
            self.change(task, state="failed", last_error=error, finished_at=now)
            self.report.failed.append(task.id)
        else:
            wait = config.retry_base_seconds * 2 ** (task.attempts - 1)
            self.change(task, due_at=now + timedelta(seconds=wait), last_error=error)
            self.report.retrying.append(task.id)


def _run_alone(
    task: ScheduledTask, now: datetime, config: WorkerConfig, outcomes: _Outcomes
) -> None:
    """One task in a savepoint of its own: a failure undoes its work and nothing else."""
    handler = HANDLERS.get(task.kind)
    try:
        with db.session.begin_nested():
            if handler is None:
                raise UnknownTaskKind(task.kind)
            result = handler(task, now)
    except Exception as exc:  # a failing task must not stop the batch
        outcomes.failed(task, exc, now, config)
        return
    outcomes.succeeded(task, result, now)


def _run_kind(
    tasks: list[ScheduledTask], now: datetime, config: WorkerConfig, outcomes: _Outcomes
) -> None:
    """The tasks of one kind: together in one savepoint, or, if anything in it fails, each
    alone."""
    kind = tasks[0].kind
    if kind not in HANDLERS:
        for task in tasks:
            _run_alone(task, now, config, outcomes)
        return
    run_together = BATCH_HANDLERS.get(kind, each)
    try:
        with db.session.begin_nested():
            results = run_together(tasks, now)
            missing = [task.id for task in tasks if task.id not in results]
            if missing:
                raise RuntimeError(f"the batch handler of {kind!r} left tasks without a result")
    except Exception as exc:  # found again, task by task, below
        log.info("a batch of %s tasks failed (%s): running them one by one", kind, error_of(exc))
        for task in tasks:
            _run_alone(task, now, config, outcomes)
        return
    for task in tasks:
        outcomes.succeeded(task, results[task.id], now)


def _claim(limit: int, now: datetime) -> list[ScheduledTask]:
    """Take up to ``limit`` due tasks for this transaction, oldest due first, counting an
    attempt for each; rows another worker holds are passed over."""
    # The rows are locked by a statement of their own: inside the UPDATE, as a subquery, the
    # planner may run the limited, lock-skipping SELECT again for each row it scans, and
    # claim more than ``limit`` rows, different ones each time.
    due = list(
        db.session.scalars(
            select(ScheduledTask.id)
            .where(ScheduledTask.state == "pending", ScheduledTask.due_at <= now)
            .order_by(ScheduledTask.due_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if not due:
        return []
    # Still pending and due, checked again as the rows are written: on SQLite the SELECT above
    # locks nothing (its driver begins the transaction at the first write), and another
    # process may have run these tasks, or put them off, since.
    tasks = db.session.scalars(
        update(ScheduledTask)
        .where(
            ScheduledTask.id.in_(due),
            ScheduledTask.state == "pending",
            ScheduledTask.due_at <= now,
        )
        .values(attempts=ScheduledTask.attempts + 1)
        .returning(ScheduledTask)
        .execution_options(populate_existing=True, synchronize_session=False)
    ).all()
    return sorted(tasks, key=lambda task: (task.due_at, task.id))


def _by_kind(tasks: list[ScheduledTask]) -> list[list[ScheduledTask]]:
    """The tasks grouped by kind, each group in due order, the groups in the order of their
    first task."""
    groups: dict[str, list[ScheduledTask]] = {}
    for task in tasks:
        groups.setdefault(task.kind, []).append(task)
    return list(groups.values())


def _write_states(changes: Mapping[_Change, list[uuid.UUID]]) -> None:
    for change, ids in changes.items():
        db.session.execute(
            update(ScheduledTask)
            .where(ScheduledTask.id.in_(ids))
            .values(dict(change))
            .execution_options(synchronize_session=False)
        )


def _run_batch(config: WorkerConfig, report: DispatchReport, limit: int) -> int:
    """One transaction: claim, run, write the new states, commit. ``report`` learns of the
    batch only once it is committed."""
    outcomes = _Outcomes()
    now = _now()
    with appends_at_commit():
        tasks = _claim(limit, now)
        for group in _by_kind(tasks):
            _run_kind(group, now, config, outcomes)
        _write_states(outcomes.changes)
        db.session.commit()
    batch = outcomes.report
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
