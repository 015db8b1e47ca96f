"""The worker's batch and the audit chain: every audited task still leaves its entry, committed
with its work, but a batch does not hold the chain's lock while its tasks run, so an audited
page served meanwhile does not wait for the batch to finish."""

from __future__ import annotations

import threading
import uuid
from datetime import date, time, timedelta

import pytest
from flask import Flask
from sqlalchemy import select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import appends_at_commit, audit_mac_key, record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.audit.verify import verify_chain
from partnercontact.db import db
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.scheduling import kinds
from partnercontact.tasks import queue
from partnercontact.tasks.models import ScheduledTask
from partnercontact.tasks.queue import dispatch_due, schedule
from tests.scheduling.building import accepted, book, sessions, tasks_of, utc

REMINDERS = 6


def _reminders_due(factory, clock) -> list[ScheduledTask]:
    """``REMINDERS`` text reminders due now, each of which queues (and audits) one text."""
    clock.set(utc(2026, 3, 20, 9))
    held = accepted(factory, clock)
    booked = book(held, sessions(held)[0], date(2026, 3, 31), time(13, 0))
    (first,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    clock.set(first.due_at)
    for number in range(REMINDERS - 1):
        schedule(
            kinds.SESSION_REMINDER_SMS,
            first.due_at - timedelta(seconds=number + 1),
            f"test:{number}",
            clinic_id=held.case.clinic_id,
            partner_case_id=held.case.id,
            subject_id=booked.id,
        )
    db.session.commit()
    return tasks_of(kinds.SESSION_REMINDER_SMS)


def _queued_events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == AuditAction.SMS_QUEUED.value)
            .order_by(AuditEvent.seq)
        )
    )


def _texts() -> dict[uuid.UUID, str]:
    db.session.expire_all()
    return {m.id: m.idempotency_key for m in db.session.scalars(select(SmsMessage))}


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_audited_page_does_not_wait_for_a_batch_of_reminders(
    app: Flask, factory, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = _reminders_due(factory, clock)
    db.session.remove()

    real = queue.HANDLERS[kinds.SESSION_REMINDER_SMS]
    halfway = threading.Event()
    go_on = threading.Event()
    calls = 0

    def held_halfway(task, now):
        nonlocal calls
        outcome = real(task, now)
        calls += 1
        if calls == REMINDERS // 2:
            # Half the batch has queued (and audited) its texts; the rest waits.
            halfway.set()
            assert go_on.wait(timeout=60)
        return outcome

    monkeypatch.setitem(queue.HANDLERS, kinds.SESSION_REMINDER_SMS, held_halfway)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            with app.app_context():
                dispatch_due()
        except BaseException as exc:  # noqa: BLE001  (reported to the test's thread)
            errors.append(exc)
        finally:
            halfway.set()

    worker = threading.Thread(target=work)
    worker.start()
    try:
        assert halfway.wait(timeout=60)
        assert errors == []
        with app.app_context():
            # Waiting for the chain's lock becomes an error instead of a slow test.
            db.session.execute(text("SET lock_timeout = '3s'"))
            page = record_event(
                AuditAction.CLIENT_VIEWED, actor_id=None, resource_type="client_list"
            )
            db.session.commit()
            page_seq = page.seq
    finally:
        go_on.set()
        worker.join(timeout=60)
    assert not worker.is_alive() and errors == []

    # Every reminder ran once, queued its text and left its entry, after the page's.
    states = {task.state for task in tasks_of(kinds.SESSION_REMINDER_SMS)}
    assert states == {"done"}
    texts = _texts()
    assert sorted(texts.values()) == sorted(task.id.hex for task in due)
    events = _queued_events()
    assert sorted(uuid.UUID(event.resource_id) for event in events) == sorted(texts)
    assert all(event.seq > page_seq for event in events)
    assert verify_chain(db.session, audit_mac_key()).ok


def test_a_reminder_that_fails_leaves_no_entry_and_the_others_keep_theirs(
    app: Flask, factory, clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    due = _reminders_due(factory, clock)
    failing = due[1]
    real = queue.HANDLERS[kinds.SESSION_REMINDER_SMS]

    def fails_after_its_work(task, now):
        outcome = real(task, now)  # queues and audits its text...
        if task.id == failing.id:
            raise RuntimeError("then fails")  # ...which is undone with the task
        return outcome

    monkeypatch.setitem(queue.HANDLERS, kinds.SESSION_REMINDER_SMS, fails_after_its_work)
    report = dispatch_due()
    assert report.retrying == [failing.id]
    assert {task.id for task in due if task != failing} <= set(report.done)

    texts = _texts()
    assert sorted(texts.values()) == sorted(task.id.hex for task in due if task != failing)
    # In the order the reminders ran (oldest due first), one entry each.
    assert [uuid.UUID(event.resource_id) for event in _queued_events()] == [
        message_id
        for task in due
        if task != failing
        for message_id, key in texts.items()
        if key == task.id.hex
    ]
    assert verify_chain(db.session, audit_mac_key()).ok

    monkeypatch.setitem(queue.HANDLERS, kinds.SESSION_REMINDER_SMS, real)
    db.session.expire_all()
    clock.set(db.session.get(ScheduledTask, failing.id).due_at)
    dispatch_due()
    assert len(_queued_events()) == REMINDERS
    assert verify_chain(db.session, audit_mac_key()).ok


def test_events_join_the_chain_at_commit_in_the_order_recorded(app: Flask) -> None:
    def record(resource_id: str) -> AuditEvent:
        return record_event(
            AuditAction.CLIENT_VIEWED,
            actor_id=None,
            resource_type="client",
            resource_id=resource_id,
        )

    with appends_at_commit():
        first = record("first")
        with pytest.raises(RuntimeError), db.session.begin_nested():
            record("undone")
            raise RuntimeError
        with db.session.begin_nested():
            record("second")
        # A released savepoint is not the commit: nothing has joined the chain yet.
        assert first.seq is None
        db.session.commit()
    assert [
        e.resource_id for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq))
    ] == [
        "first",
        "second",
    ]

    # Outside the block the session appends at once again.
    third = record("third")
    assert third.seq == 3
    db.session.commit()
    assert verify_chain(db.session, audit_mac_key()).ok
