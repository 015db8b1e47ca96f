"""The dispatcher's batches: tasks of one kind run together, a broken task among them fails
alone, and a second dispatcher passes over the rows a first one has claimed instead of waiting
for them or running them again."""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import insert, select, text

from partnercontact.db import db
from partnercontact.partner_side.contact import record_attempt
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import StaffReminder
from partnercontact.tasks import queue
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import dispatch_due
from tests.factories import Factory
from tests.messaging.sending import held_for_sms


def _first_contact_tasks(held, clock, count: int, *, step_seconds: int = 1) -> list[uuid.UUID]:
    """``count`` first-contact tasks on the case, due one after another up to now."""
    ids = [uuid.uuid4() for _ in range(count)]
    db.session.execute(
        insert(ScheduledTask),
        [
            {
                "id": task_id,
                "kind": kinds.FIRST_CONTACT_DUE,
                "due_at": clock.now() - timedelta(seconds=step_seconds * (count - number)),
                "state": "pending",
                "attempts": 0,
                "idempotency_key": f"test:{task_id.hex}",
                "clinic_id": held.case.clinic_id,
                "partner_case_id": held.case.id,
                "created_at": clock.now(),
            }
            for number, task_id in enumerate(ids)
        ],
    )
    db.session.commit()
    return ids


def _rows(ids: list[uuid.UUID]) -> dict[uuid.UUID, ScheduledTask]:
    db.session.expire_all()
    return {
        task.id: task
        for task in db.session.scalars(select(ScheduledTask).where(ScheduledTask.id.in_(ids)))
    }


def _reminders_by_task(ids: list[uuid.UUID]) -> Counter[uuid.UUID]:
    return Counter(
        db.session.scalars(select(StaffReminder.task_id).where(StaffReminder.task_id.in_(ids)))
    )


def test_a_batch_of_first_contact_tasks_reminds_once_each_and_not_after_she_was_reached(
    app: Flask, factory: Factory, clock
) -> None:
    held = held_for_sms(factory, clock)
    ids = _first_contact_tasks(held, clock, 5)
    dispatch_due()
    rows = _rows(ids)
    assert {(row.state, row.attempts, row.outcome) for row in rows.values()} == {
        ("done", 1, "reminded")
    }
    assert _reminders_by_task(ids) == Counter(dict.fromkeys(ids, 1))
    reminder = db.session.scalars(
        select(StaffReminder).where(StaffReminder.task_id == ids[0])
    ).one()
    assert reminder.user_id == held.holder.user.id

    # She called the clinic herself.
    record_attempt(
        held.holder.user,
        held.case.id,
        channel="phone",
        outcome="reached",
        attempted_at=clock.now(),
        called_in=True,
        safe_to_talk=True,
    )
    db.session.commit()
    later = _first_contact_tasks(held, clock, 3)
    dispatch_due()
    assert {row.outcome for row in _rows(later).values()} == {"not_needed"}
    assert _reminders_by_task(later) == Counter()


def test_a_broken_task_among_a_batch_fails_alone(app: Flask, factory: Factory, clock) -> None:
    held = held_for_sms(factory, clock)
    healthy = _first_contact_tasks(held, clock, 4)
    # A row that names no case: the batch that holds it cannot run as one.
    broken = uuid.uuid4()
    db.session.execute(
        insert(ScheduledTask).values(
            id=broken,
            kind=kinds.FIRST_CONTACT_DUE,
            due_at=clock.now() - timedelta(seconds=2, milliseconds=500),
            state="pending",
            attempts=0,
            idempotency_key=f"test:{broken.hex}",
            created_at=clock.now(),
        )
    )
    db.session.commit()

    report = dispatch_due()

    assert report.retrying == [broken]
    assert sorted(report.done) == sorted(healthy)
    rows = _rows([*healthy, broken])
    assert (rows[broken].state, rows[broken].attempts) == ("pending", 1)
    assert rows[broken].last_error  # the exception's type, for the administrators' page
    assert rows[broken].due_at == clock.now() + timedelta(seconds=60)
    assert all((rows[i].state, rows[i].attempts) == ("done", 1) for i in healthy)
    assert _reminders_by_task([*healthy, broken]) == Counter(dict.fromkeys(healthy, 1))


@pytest.fixture
def config_overrides() -> dict:
    return {"worker": {"batch_size": 4}}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_second_dispatcher_passes_over_the_rows_another_has_claimed(
    app: Flask, factory: Factory, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    held = held_for_sms(factory, clock)
    ids = _first_contact_tasks(held, clock, 10)
    db.session.remove()

    real = queue.BATCH_HANDLERS[kinds.FIRST_CONTACT_DUE]
    claimed = threading.Event()
    go_on = threading.Event()

    def held_in_its_batch(tasks, now):
        results = real(tasks, now)
        if threading.current_thread() is worker:
            # Its four rows are claimed and worked on; its transaction stays open.
            claimed.set()
            assert go_on.wait(timeout=60)
        return results

    monkeypatch.setitem(queue.BATCH_HANDLERS, kinds.FIRST_CONTACT_DUE, held_in_its_batch)
    reports: list[queue.DispatchReport] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                reports.append(dispatch_due(limit=4))
        except BaseException as exc:  # noqa: BLE001  (reported to the test's thread)
            errors.append(exc)
        finally:
            claimed.set()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert claimed.wait(timeout=60)
        assert errors == []
        with app.app_context():
            # Waiting for the first worker's rows becomes an error instead of a slow test (for
            # the first claim, which runs in this transaction).
            db.session.execute(text("SET LOCAL lock_timeout = '3s'"))
            second = dispatch_due()
            db.session.remove()
    finally:
        go_on.set()
        worker.join(timeout=60)
    assert not worker.is_alive() and errors == []

    (first,) = reports
    assert sorted(first.done) == sorted(ids[:4])  # the oldest four
    assert sorted(second.done) == sorted(ids[4:])  # the rest, without waiting
    rows = _rows(ids)
    assert {(row.state, row.attempts) for row in rows.values()} == {("done", 1)}
    assert _reminders_by_task(ids) == Counter(dict.fromkeys(ids, 1))
