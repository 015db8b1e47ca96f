"""The task queue in one process: once each, retries with backoff, a visible failure, a task
that waits without spending an attempt, and the worker catching up as soon as it starts."""

from __future__ import annotations

import time as wall
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from partnercontact.db import db
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import UnknownTaskKind, cancel_pending, dispatch_due, schedule
from partnercontact.worker import build_scheduler
from tests.messaging.sending import held_for_sms


def _due_now(held, clock, count: int = 1) -> list[ScheduledTask]:
    tasks = [
        schedule(
            kinds.FIRST_CONTACT_DUE,
            clock.now(),
            f"test:{uuid.uuid4().hex}",
            clinic_id=held.case.clinic_id,
            partner_case_id=held.case.id,
        )
        for _ in range(count)
    ]
    db.session.commit()
    return tasks


def _reminder_count() -> int:
    return len(db.session.scalars(select(StaffReminder.id)).all())


def test_scheduling_the_same_key_twice_keeps_one_task(app, factory, clock):
    held = held_for_sms(factory, clock)
    first = schedule(kinds.FIRST_CONTACT_DUE, clock.now(), "same", partner_case_id=held.case.id)
    again = schedule(kinds.FIRST_CONTACT_DUE, clock.now(), "same", partner_case_id=held.case.id)
    db.session.commit()
    assert first.id == again.id
    assert (
        len(
            db.session.scalars(
                select(ScheduledTask).where(ScheduledTask.idempotency_key == "same")
            ).all()
        )
        == 1
    )


def test_an_unknown_kind_cannot_be_scheduled(app):
    with pytest.raises(UnknownTaskKind):
        schedule("no_such_kind", app.extensions["partnercontact"].clock.now(), "k")


def test_a_due_task_runs_once_however_often_the_dispatcher_runs(app, factory, clock):
    held = held_for_sms(factory, clock)
    before = _reminder_count()
    tasks = _due_now(held, clock, count=3)
    for _ in range(3):
        dispatch_due()
    db.session.expire_all()
    assert _reminder_count() == before + 3
    for task in tasks:
        row = db.session.get(ScheduledTask, task.id)
        assert (row.state, row.attempts, row.outcome) == ("done", 1, "reminded")


def test_a_task_not_yet_due_waits(app, factory, clock):
    held = held_for_sms(factory, clock)
    before = _reminder_count()
    schedule(
        kinds.FIRST_CONTACT_DUE,
        clock.now() + timedelta(minutes=1),
        "later",
        partner_case_id=held.case.id,
    )
    db.session.commit()
    dispatch_due()
    assert _reminder_count() == before
    clock.advance(minutes=1)
    dispatch_due()
    assert _reminder_count() == before + 1


def _broken_task(clock) -> uuid.UUID:
    """A task of a kind this version has no handler for (left by a newer version, say)."""
    task_id = uuid.uuid4()
    db.session.execute(
        insert(ScheduledTask).values(
            id=task_id,
            kind="from_a_newer_version",
            due_at=clock.now(),
            state="pending",
            attempts=0,
            idempotency_key=f"broken:{task_id}",
            created_at=clock.now(),
        )
    )
    db.session.commit()
    return task_id


def test_a_failing_task_is_retried_with_backoff_then_marked_failed_with_its_error(
    app, factory, clock
):
    held = held_for_sms(factory, clock)
    broken = _broken_task(clock)
    healthy = _due_now(held, clock)[0]
    start = clock.now()

    report = dispatch_due()
    assert report.retrying == [broken]
    assert healthy.id in report.done  # one failure does not undo the batch
    waits = []
    for _ in range(4):
        db.session.expire_all()
        row = db.session.get(ScheduledTask, broken)
        waits.append(row.due_at - clock.now())
        clock.set(row.due_at)
        dispatch_due()

    assert waits == [timedelta(seconds=s) for s in (60, 120, 240, 480)]
    db.session.expire_all()
    row = db.session.get(ScheduledTask, broken)
    assert (row.state, row.attempts) == ("failed", 5)
    assert row.last_error == "UnknownTaskKind"
    assert row.finished_at > start
    clock.advance(days=1)
    dispatch_due()
    db.session.expire_all()
    assert db.session.get(ScheduledTask, broken).attempts == 5  # failed stays failed


def test_cancelled_tasks_do_not_run(app, factory, clock):
    held = held_for_sms(factory, clock)
    before = _reminder_count()
    subject = uuid.uuid4()
    schedule(
        kinds.FIRST_CONTACT_DUE,
        clock.now(),
        "cancel-me",
        partner_case_id=held.case.id,
        subject_id=subject,
    )
    assert cancel_pending(subject, (kinds.FIRST_CONTACT_DUE,)) == 1
    db.session.commit()
    dispatch_due()
    assert _reminder_count() == before


@pytest.fixture
def config_overrides() -> dict:
    # Long enough that only the start-up run can have done the work within the test.
    return {"worker": {"tick_seconds": 3600}}


def test_the_worker_catches_up_as_soon_as_it_starts(app, factory, clock):
    held = held_for_sms(factory, clock)
    task_id = _due_now(held, clock)[0].id
    db.session.remove()
    scheduler = build_scheduler(app, blocking=False)
    scheduler.start()
    try:
        deadline = wall.monotonic() + 20
        state = "pending"
        while state == "pending" and wall.monotonic() < deadline:
            wall.sleep(0.1)
            with app.app_context():
                state = db.session.get(ScheduledTask, task_id).state
                db.session.remove()
    finally:
        scheduler.shutdown(wait=True)
    assert state == "done"
