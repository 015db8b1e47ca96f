"""The task queue with real worker processes on one PostgreSQL database: two at once, and one
killed in the middle of a batch.

The workers are ``partnercontact jobs run-due`` processes, configured as an operator's would
be (environment variables: the database URL, the key file), against the test's database. The
tasks are real kinds about real cases built through the services; many tasks of one kind may
share a case, each under its own idempotency key. Effects are counted row by row: the
uniqueness of the text messages' keys must not be what makes the assertions pass.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, insert, select, text, update

from partnercontact.auth.models import User
from partnercontact.clinics.clock import local_date
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.partner_side.contact import (
    SafeContactPlanIn,
    decide_suitability,
    record_answer,
    record_attempt,
    save_safe_contact_plan,
)
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.models import SmsMessage
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.scheduling import kinds
from partnercontact.partner_side.scheduling.models import ContactSession, StaffReminder
from partnercontact.partner_side.scheduling.sessions import book_session
from partnercontact.partner_side.service import pick_up
from partnercontact.phones import phone_index
from partnercontact.tasks.models import ScheduledTask
from tests.factories import Factory
from tests.partners.conftest import handed_over_case

pytestmark = pytest.mark.parametrize("backend", ["postgresql"])

RAN = re.compile(r"^ran (\d+) tasks: (\d+) done, (\d+) waiting, (\d+) to retry, (\d+) failed", re.M)
PROCESS_TIMEOUT = 120


# --- building ------------------------------------------------------------------------------------


def _start_near_real_time(clock: FixedClock) -> None:
    """The workers run on the system clock: the test's clock is set a day behind it, so what
    the test schedules "now" is due for them and the sessions it books are still ahead."""
    clock.set(datetime.now(UTC) - timedelta(days=1))


def _phone(number: int) -> str:
    return f"070-{100 + number:03d} 43 21"


def _pending_cases(
    factory: Factory, clock: FixedClock, count: int, first_number: int = 0
) -> list[PartnerCase]:
    """``count`` cases handed over and picked up by a partner treater (shared between cases),
    her answer still pending: a first-contact reminder goes to that treater."""
    client_treater = factory.client_treater()
    holders = [factory.partner_treater() for _ in range(4)]
    cases = []
    for number in range(count):
        case = handed_over_case(
            factory, clock, client_treater=client_treater, phone=_phone(first_number + number)
        )
        pick_up(holders[number % len(holders)].user, case.id)
        db.session.commit()
        cases.append(case)
    return cases


def _add_first_contact_tasks(cases: list[PartnerCase], count: int, due: datetime) -> None:
    """``count`` more first-contact tasks spread over ``cases``, each under its own key."""
    rows = [
        {
            "id": uuid.uuid4(),
            "kind": kinds.FIRST_CONTACT_DUE,
            "due_at": due,
            "state": "pending",
            "attempts": 0,
            "idempotency_key": f"{kinds.FIRST_CONTACT_DUE}:{cases[n % len(cases)].id}:{n}",
            "clinic_id": cases[n % len(cases)].clinic_id,
            "partner_case_id": cases[n % len(cases)].id,
            "created_at": due,
        }
        for n in range(count)
    ]
    if rows:
        db.session.execute(insert(ScheduledTask), rows)
    db.session.commit()


# Every moment of every day: the workers run on the system clock, at whatever hour the test
# runs, and her plan must not hold back a reminder due at once.
ALWAYS_SAFE = SafeContactPlanIn(
    channels=["phone", "sms"],
    safe_days=[str(day) for day in range(1, 8)],
    safe_from=clock_time(0, 0),
    safe_until=clock_time(23, 59, 59, 999_999),
)


def _first_steps_taken(holder: User, case: PartnerCase, clock: FixedClock) -> None:
    """Found suitable, her plan (always safe for calls and texts), and reached when she called
    the clinic: sessions may be booked with her."""
    decide_suitability(holder, case.id, decision="contact")
    save_safe_contact_plan(holder, case.id, ALWAYS_SAFE)
    record_attempt(
        holder,
        case.id,
        channel="phone",
        outcome="reached",
        attempted_at=clock.now() - timedelta(minutes=30),
        called_in=True,
        safe_to_talk=True,
    )


def _accepted_with_booked_sessions(
    factory: Factory, clock: FixedClock, count: int, first_number: int
) -> list[PartnerCase]:
    """``count`` cases whose partner, after the first safety steps, accepted contact with
    reminders by text, each of the plan's sessions booked a few days ahead: booking schedules
    each session's text reminder, due at once (the clinic reminds so many days before that the
    moment has passed)."""
    clinic = factory.default_clinic
    clinic.reminder_days_before = 30
    db.session.commit()
    client_treater = factory.client_treater()
    holder = factory.partner_treater()
    today = local_date(clock.now(), clinic)
    cases = []
    for number in range(count):
        case = handed_over_case(
            factory,
            clock,
            client_treater=client_treater,
            phone=_phone(first_number + number),
            address=None,
        )
        pick_up(holder.user, case.id)
        _first_steps_taken(holder.user, case, clock)
        record_answer(
            holder.user,
            case.id,
            answer="accepted",
            answered_on=today,
            scopes=["contact_phone", "contact_sms", "sms_reminders"],
        )
        db.session.commit()
        sessions = db.session.scalars(
            select(ContactSession).where(ContactSession.partner_case_id == case.id)
        ).all()
        for offset, session in enumerate(sessions):
            book_session(
                holder.user,
                case.id,
                session.id,
                day=today + timedelta(days=3 + offset),
                at=clock_time(10, 0),
                minutes=60,
                channel="meeting",
            )
        db.session.commit()
        cases.append(case)
    return cases


# --- the worker processes ------------------------------------------------------------------------


class Workers:
    """Worker processes started by a test, their output in files; any still running at the
    end of the test is killed."""

    def __init__(self, folder: Path, database_url: str, key_file: Path) -> None:
        self.folder = folder
        self.database_url = database_url
        self.key_file = key_file
        self.started: list[subprocess.Popen[str]] = []
        self.names: dict[int, str] = {}

    def start(self, name: str) -> subprocess.Popen[str]:
        """``partnercontact jobs run-due`` as an operator's configuration runs it: the same
        database and key file as the app, and ``name`` as the application_name that shows
        its connection in pg_stat_activity."""
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")},
            "PARTNERCONTACT_DATABASE__URL": f"{self.database_url}?application_name={name}",
            "PARTNERCONTACT_KEYS__FILE": str(self.key_file),
            "PARTNERCONTACT_INSTANCE_PATH": str(self.folder / name),
            "PYTHONUNBUFFERED": "1",
        }
        with (
            (self.folder / f"{name}.out").open("w") as out,
            (self.folder / f"{name}.err").open("w") as err,
        ):
            process = subprocess.Popen(
                [sys.executable, "-m", "partnercontact.cli", "jobs", "run-due"],
                env=env,
                stdout=out,
                stderr=err,
                text=True,
            )
        self.started.append(process)
        self.names[process.pid] = name
        return process

    def output(self, process: subprocess.Popen[str]) -> str:
        name = self.names[process.pid]
        return "".join((self.folder / f"{name}.{part}").read_text() for part in ("out", "err"))

    def finished(self, process: subprocess.Popen[str]) -> dict[str, int]:
        """What a process that ran to its end reports it did."""
        process.wait(timeout=PROCESS_TIMEOUT)
        output = self.output(process)
        assert process.returncode == 0, output
        match = RAN.search(output)
        assert match, output
        ran, done, waiting, retrying, failed = map(int, match.groups())
        return {
            "ran": ran,
            "done": done,
            "waiting": waiting,
            "retrying": retrying,
            "failed": failed,
        }

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)


@pytest.fixture
def workers(database_url: str, key_file: Path, tmp_path: Path) -> Iterator[Workers]:
    running = Workers(tmp_path, database_url, key_file)
    yield running
    running.stop_all()


def _tasks(ids: set[uuid.UUID]) -> list[ScheduledTask]:
    db.session.rollback()
    db.session.expire_all()
    return list(db.session.scalars(select(ScheduledTask).where(ScheduledTask.id.in_(ids))))


def _reminders_per_task_and_user() -> Counter[tuple[uuid.UUID, int]]:
    rows = db.session.execute(
        select(StaffReminder.task_id, StaffReminder.user_id, func.count()).group_by(
            StaffReminder.task_id, StaffReminder.user_id
        )
    ).all()
    return Counter({(task_id, user_id): count for task_id, user_id, count in rows})


def _assert_one_reminder_each(fc_tasks: list[ScheduledTask]) -> None:
    """Exactly one reminder per task, for the treater holding the task's case."""
    treater_of = dict(db.session.execute(select(PartnerCase.id, PartnerCase.treater_id)).all())
    expected = Counter({(task.id, treater_of[task.partner_case_id]): 1 for task in fc_tasks})
    assert _reminders_per_task_and_user() == expected


# --- two workers at once -------------------------------------------------------------------------


def test_two_worker_processes_run_ten_thousand_tasks_once_each(
    app, factory: Factory, clock: FixedClock, workers: Workers
) -> None:
    _start_near_real_time(clock)
    cases = _pending_cases(factory, clock, 200)
    due = clock.now()
    # The first-contact task each hand-over scheduled, brought forward, and more beside it.
    db.session.execute(update(ScheduledTask).values(due_at=due))
    have = db.session.scalar(select(func.count()).select_from(ScheduledTask))
    assert have == len(cases)
    _add_first_contact_tasks(cases, 10_000 - have, due)
    ids = set(db.session.scalars(select(ScheduledTask.id)))
    assert len(ids) == 10_000

    started = time.monotonic()
    both = [workers.start("pc-worker-1"), workers.start("pc-worker-2")]
    reports = [workers.finished(process) for process in both]
    elapsed = time.monotonic() - started

    # Each process took a share, and together exactly every task.
    assert all(report["done"] > 0 for report in reports), reports
    assert sum(report["done"] for report in reports) == 10_000, reports
    assert all(report["done"] == report["ran"] for report in reports), reports
    tasks = _tasks(ids)
    assert Counter(task.state for task in tasks) == {"done": 10_000}
    assert Counter(task.attempts for task in tasks) == {1: 10_000}
    assert Counter(task.outcome for task in tasks) == {"reminded": 10_000}
    _assert_one_reminder_each(tasks)
    print(f"two workers: {reports[0]['done']} + {reports[1]['done']} tasks in {elapsed:.1f} s")


# --- a worker killed mid-batch -------------------------------------------------------------------


def _frozen_inside_a_batch(poll, name: str) -> int | None:  # type: ignore[no-untyped-def]
    """The backend of worker ``name`` (stopped with SIGSTOP) if it is waiting for its client
    in the middle of a batch: in a transaction that has claimed rows (a transaction id is
    assigned at the first row lock) and has sent something since the claim (a handler's
    savepoint or query). Waiting for a stopped client, that transaction can neither commit
    nor roll back until the client goes."""
    return poll.scalar(
        text(
            "SELECT pid FROM pg_stat_activity WHERE application_name = :name "
            "AND state = 'idle in transaction' AND backend_xid IS NOT NULL "
            "AND query NOT LIKE '%SKIP LOCKED%'"
        ),
        {"name": name},
    )


def _done_count(poll, ids: list[uuid.UUID]) -> int:  # type: ignore[no-untyped-def]
    return poll.scalar(
        text("SELECT count(*) FROM scheduled_task WHERE state = 'done' AND id = ANY(:ids)"),
        {"ids": ids},
    )


def test_a_worker_killed_mid_batch_leaves_nothing_half_done_or_done_twice(
    app, factory: Factory, clock: FixedClock, database_url: str, workers: Workers
) -> None:
    _start_near_real_time(clock)
    accepted = _accepted_with_booked_sessions(factory, clock, 40, first_number=0)
    pending = _pending_cases(factory, clock, 60, first_number=100)
    booked = db.session.scalars(
        select(ContactSession).where(ContactSession.state == "booked")
    ).all()
    sms_tasks = db.session.scalars(
        select(ScheduledTask).where(
            ScheduledTask.kind == kinds.SESSION_REMINDER_SMS, ScheduledTask.state == "pending"
        )
    ).all()
    assert len(sms_tasks) == len(booked) == 3 * len(accepted)
    assert all(task.due_at <= clock.now() for task in sms_tasks)
    # The pending cases' first-contact tasks from the hand-over, and more beside them.
    pending_ids = [case.id for case in pending]
    fc_from_handover = db.session.scalars(
        select(ScheduledTask.id).where(
            ScheduledTask.kind == kinds.FIRST_CONTACT_DUE,
            ScheduledTask.partner_case_id.in_(pending_ids),
        )
    ).all()
    total = 3_000
    _add_first_contact_tasks(pending, total - len(sms_tasks) - len(fc_from_handover), clock.now())
    fc_ids = set(
        db.session.scalars(
            select(ScheduledTask.id).where(
                ScheduledTask.kind == kinds.FIRST_CONTACT_DUE,
                ScheduledTask.partner_case_id.in_(pending_ids),
            )
        )
    )
    sms_ids = {task.id for task in sms_tasks}
    ids = fc_ids | sms_ids
    assert len(ids) == total
    # Due one after another, every 25th a text reminder: each batch of 100 holds some.
    ordered = sorted(fc_ids, key=str)
    sms_order = sorted(sms_ids, key=str)
    start = clock.now() - timedelta(hours=1)
    due_times = []
    for position in range(total):
        task_id = sms_order.pop() if position % 25 == 0 and sms_order else ordered.pop()
        due_times.append({"id": task_id, "due_at": start + timedelta(milliseconds=position)})
    db.session.execute(update(ScheduledTask), due_times)
    db.session.commit()
    others = {
        task.id: (task.state, task.attempts)
        for task in db.session.scalars(select(ScheduledTask).where(ScheduledTask.id.not_in(ids)))
    }
    assert all(state in ("pending", "cancelled") for state, _ in others.values())

    poll = create_engine(database_url, isolation_level="AUTOCOMMIT").connect()
    id_list = list(ids)
    try:
        victim = workers.start("pc-victim")
        deadline = time.monotonic() + 60
        backend = None
        while time.monotonic() < deadline and victim.poll() is None:
            if _done_count(poll, id_list) < 300:
                time.sleep(0.01)
                continue
            # Freeze it, then look: mid-batch, it is killed where it stands; between batches
            # (or just starting one), it goes on a little and is looked at again.
            victim.send_signal(signal.SIGSTOP)
            time.sleep(0.02)  # a statement under way finishes; then the backend waits for it
            backend = _frozen_inside_a_batch(poll, "pc-victim")
            if backend is not None:
                done_at_kill = _done_count(poll, id_list)
                victim.send_signal(signal.SIGKILL)
                break
            victim.send_signal(signal.SIGCONT)
            time.sleep(0.03)
        else:
            victim.kill()
            victim.wait(timeout=10)
            pytest.fail(f"never saw the worker inside a batch:\n{workers.output(victim)}")
        victim.wait(timeout=10)
        assert victim.returncode == -signal.SIGKILL
        # Its backend notices the closed connection, rolls back and goes.
        while poll.scalar(
            text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"), {"pid": backend}
        ):
            assert time.monotonic() < deadline + 10, "the killed worker's backend stayed"
            time.sleep(0.05)

        # What the killed worker left: committed batches whole, the killed one not at all.
        tasks = _tasks(ids)
        done = [task for task in tasks if task.state == "done"]
        left = [task for task in tasks if task.state == "pending"]
        assert len(done) == done_at_kill
        assert 300 <= len(done) < total
        assert len(done) + len(left) == total
        assert all(task.attempts == 1 for task in done)
        assert all(task.attempts == 0 and task.last_error is None for task in left)
        assert len(done) % 100 == 0  # whole batches only
        # One worker claims in due order: the killed batch was the next hundred, text
        # reminders among them, and nothing it wrote is left.
        in_flight = sorted(left, key=lambda task: task.due_at)[:100]
        assert sum(task.kind == kinds.SESSION_REMINDER_SMS for task in in_flight) == 4
        _assert_one_reminder_each([task for task in done if task.kind == kinds.FIRST_CONTACT_DUE])
        done_sms = {task.id.hex for task in done if task.kind == kinds.SESSION_REMINDER_SMS}
        assert set(db.session.scalars(select(SmsMessage.idempotency_key))) == done_sms
        assert db.session.scalar(select(func.count()).select_from(SmsMessage)) == len(done_sms)

        report = workers.finished(workers.start("pc-next"))
    finally:
        poll.close()
    assert report["done"] == len(left), report

    tasks = _tasks(ids)
    assert Counter(task.state for task in tasks) == {"done": total}
    assert Counter(task.attempts for task in tasks) == {1: total}
    assert Counter(task.outcome for task in tasks) == {
        "reminded": len(fc_ids),
        "sms_queued": len(sms_ids),
    }
    _assert_one_reminder_each([task for task in tasks if task.kind == kinds.FIRST_CONTACT_DUE])
    keys = Counter(db.session.scalars(select(SmsMessage.idempotency_key)))
    assert keys == Counter({task_id.hex: 1 for task_id in sms_ids})
    # Nothing else was touched.
    assert {
        task.id: (task.state, task.attempts)
        for task in db.session.scalars(select(ScheduledTask).where(ScheduledTask.id.not_in(ids)))
    } == others

    # The texts go out through the outbox: one per booked session, to her own number.
    clock.set(datetime.now(UTC) + timedelta(minutes=1))
    while send_due_sms().sent:
        pass
    db.session.expire_all()
    session_of = {task.id.hex: task.subject_id for task in sms_tasks}
    sent = db.session.scalars(select(SmsMessage)).all()
    assert all(message.state in ("sent", "delivered") for message in sent)
    assert all(message.purpose == "session_reminder" for message in sent)
    per_session = Counter(
        (message.partner_case_id, session_of[message.idempotency_key]) for message in sent
    )
    assert per_session == Counter({(session.partner_case_id, session.id): 1 for session in booked})
    number_of = {case.id: phone_index(_phone(n)) for n, case in enumerate(accepted)}
    assert all(message.to_index == number_of[message.partner_case_id] for message in sent)
