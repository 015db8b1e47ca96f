"""The task queue's table: every piece of scheduled work is a row of our own.

A ``scheduled_task`` row has a kind, a due time, a state, its attempts, a unique
idempotency key and the last error. A row is run inside the transaction that claims it
(``FOR UPDATE SKIP LOCKED``), so what a task writes and the row's ``done`` state are
committed together or not at all: a worker killed mid-batch leaves its rows pending for
the next one. APScheduler only ticks; it holds no state.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime

# "pending": waits for its due time; "done": ran (``outcome`` says what it did); "failed":
# kept failing, ``last_error`` says how; "cancelled": no longer wanted (a session moved).
TASK_STATES = ("pending", "done", "failed", "cancelled")


class ScheduledTask(Model):
    """One piece of scheduled work. It names records by id and holds no personal content."""

    __tablename__ = "scheduled_task"
    __table_args__ = (
        CheckConstraint("state IN ('pending', 'done', 'failed', 'cancelled')", name="state"),
        Index("ix_scheduled_task_due", "state", "due_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    # Unique: scheduling the same work twice (a form sent twice, a duty re-run) finds the row
    # already there instead of adding a second.
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    clinic_id: Mapped[int | None] = mapped_column(ForeignKey("clinic.id"), index=True)
    partner_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_case.id"), index=True
    )
    # The record the task is about (a session, a letter, a risk assessment), by id only.
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, index=True)
    # What a finished run did, as a short key ("reminded", "sms_queued", "not_needed"...).
    outcome: Mapped[str | None] = mapped_column(String(32))
    # The exception's class and a message scrubbed of content (logsafe), for operators.
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
