"""How long the worker holds the audit chain's lock, on PostgreSQL, against a bare append of the
same number of chained rows measured in the same run:

- dispatch_due: one batch of text reminders (``session_reminder_sms`` tasks, each queueing a
  text through the safety rules and auditing it) as the worker runs it, one transaction;
- send_due_sms: the worker's send of those texts through the outbox transport, a short
  transaction per text, each audited;
- baselines: take the same advisory lock, read the tail of a table of the chain's shape,
  insert the rows with an HMAC each (as many as the batch audits, or one), commit.

A hold is timed in the process that takes the lock: from the moment
``pg_advisory_xact_lock`` returns to the end of the transaction's commit (or rollback), which
is how long every audited web request would wait behind it. Each round reports the longest
hold; the batch's own duration is printed beside it. Every web page that records an access
waits for this lock, so the measured hold, not the batch, is what a page can be kept waiting.

PostgreSQL: a database of its own on the server named by ``PCBENCH_PG_ADMIN_URL``, else on a
throwaway cluster (see bench/common.py). Invented data only.

    .venv/bin/python -m bench.worker_lock [--reminders 100] [--rounds 5]

(as a module from the project root: it builds its case with the test suite's factories)
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import os
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import Engine

from bench.common import (
    BenchError,
    Comparison,
    Series,
    migrated_database,
    print_table,
)

BENCHMARK = "worker and the audit lock"
LOCK_STATEMENT = "pg_advisory_xact_lock"


class HoldTimer:
    """Times each hold of the chain's lock taken through ``engine``, in this process."""

    def __init__(self) -> None:
        self.holds: list[float] = []
        self._since: float | None = None

    @contextmanager
    def watching(self, engine: Engine) -> Iterator[HoldTimer]:
        from sqlalchemy.orm import Session

        def after_execute(*args: Any) -> None:
            statement = args[2]
            if LOCK_STATEMENT in statement and self._since is None:
                self._since = time.perf_counter()

        def ended(*args: Any) -> None:
            if self._since is not None:
                self.holds.append(time.perf_counter() - self._since)
                self._since = None

        hooks: list[tuple[Any, str, Any]] = [
            (engine, "after_cursor_execute", after_execute),
            # After the database's commit or rollback: the lock is released with it.
            (Session, "after_commit", ended),
            (Session, "after_rollback", ended),
        ]
        for target, name, hook in hooks:
            event.listen(target, name, hook)
        try:
            yield self
        finally:
            for target, name, hook in hooks:
                event.remove(target, name, hook)

    def take(self) -> list[float]:
        holds, self.holds = self.holds, []
        return holds


def _app(url: str, keys: Path, clock: Any, batch_size: int) -> Any:
    from partnercontact.app import create_app
    from partnercontact.config import load_config
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing

    config = load_config(
        environ={},
        overrides={
            "database": {"url": url},
            "keys": {"file": str(keys)},
            "auth": {"hashing_cost": "fast"},
            # One batch takes the round's reminders.
            "worker": {"batch_size": batch_size},
        },
        instance_path=keys.parent,
    )
    return create_app(config, clock=clock, keyring=KeyRing(load_key_file(keys)))


def _seed(clock: Any) -> tuple[uuid.UUID, uuid.UUID, int]:
    """A case whose partner accepted reminders by text and has a session booked; returns the
    case, the session and the case's clinic."""
    from partnercontact.db import db
    from partnercontact.partner_side.messaging.dispatch import send_due_sms
    from partnercontact.partner_side.scheduling import kinds
    from partnercontact.tasks.queue import dispatch_due
    from tests.factories import Factory
    from tests.scheduling.building import accepted, book, sessions, tasks_of

    clock.set(datetime(2026, 3, 20, 9, tzinfo=UTC))
    held = accepted(Factory(clock), clock)
    booked = book(held, sessions(held)[0], date(2026, 3, 31), clock_time(13, 0))
    (first,) = tasks_of(kinds.SESSION_REMINDER_SMS)
    clock.set(first.due_at)
    db.session.commit()
    # What the case's own making left due, out of the way (and the code paths warmed).
    dispatch_due()
    send_due_sms()
    return held.case.id, booked.id, held.case.clinic_id


def _due_reminders(count: int, clock: Any, case_id: uuid.UUID, session_id: uuid.UUID, clinic: int):
    from partnercontact.db import db
    from partnercontact.partner_side.scheduling import kinds
    from partnercontact.tasks.models import ScheduledTask

    rows = [
        {
            "id": uuid.uuid4(),
            "kind": kinds.SESSION_REMINDER_SMS,
            "due_at": clock.now(),
            "state": "pending",
            "attempts": 0,
            "idempotency_key": f"bench:{uuid.uuid4().hex}",
            "clinic_id": clinic,
            "partner_case_id": case_id,
            "subject_id": session_id,
            "created_at": clock.now(),
        }
        for _ in range(count)
    ]
    db.session.execute(insert(ScheduledTask), rows)
    db.session.commit()


def _audit_count() -> int:
    from partnercontact.audit.models import AuditEvent
    from partnercontact.db import db

    return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _bare_append(engine: Engine, rows: int) -> float:
    """The same lock, the tail of a chain-shaped table, ``rows`` chained inserts, commit."""
    key = os.urandom(32)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.rollback()
        with conn.begin():
            conn.execute(text(f"SELECT {LOCK_STATEMENT}(:k)"), {"k": 0x62656E6368})
            since = time.perf_counter()
            tail = conn.execute(
                text("SELECT seq, mac FROM bench_chain ORDER BY seq DESC LIMIT 1")
            ).first()
            seq, mac = (tail.seq, bytes(tail.mac)) if tail is not None else (0, b"\0" * 32)
            values = []
            for _ in range(rows):
                seq += 1
                at = datetime.now(UTC)
                mac = hmac.new(
                    key, f"{seq}|{at.isoformat()}|".encode() + mac, hashlib.sha256
                ).digest()
                values.append({"seq": seq, "at": at, "mac": mac})
            conn.execute(
                text("INSERT INTO bench_chain (seq, at, mac) VALUES (:seq, :at, :mac)"), values
            )
        return time.perf_counter() - since


def measure(
    *, rounds: int = 5, reminders: int = 100, admin_url: str | None = None
) -> list[Comparison]:
    from partnercontact.clock import FixedClock
    from partnercontact.db import db
    from partnercontact.partner_side.messaging.dispatch import send_due_sms
    from partnercontact.tasks.queue import dispatch_due

    batch_holds: list[float] = []
    send_holds: list[float] = []
    bare_batch: list[float] = []
    bare_one: list[float] = []
    batch_seconds: list[float] = []
    with migrated_database(admin_url, "pc_bench_worker_lock") as (url, keys, _instance):
        bare = create_engine(url)
        with bare.begin() as conn:
            conn.execute(
                text("CREATE TABLE bench_chain (seq bigint PRIMARY KEY, at timestamptz, mac bytea)")
            )
        clock = FixedClock(datetime(2026, 3, 20, 9, tzinfo=UTC))
        app = _app(url, keys, clock, reminders)
        timer = HoldTimer()
        with app.app_context():
            print("seeding a case with a booked session...", file=sys.stderr, flush=True)
            case_id, session_id, clinic = _seed(clock)
            with timer.watching(db.engine):
                for number in range(rounds):
                    _due_reminders(reminders, clock, case_id, session_id, clinic)
                    before = _audit_count()
                    timer.take()
                    started = time.perf_counter()
                    report = dispatch_due()
                    batch_seconds.append(time.perf_counter() - started)
                    holds = timer.take()
                    queued = _audit_count() - before
                    if len(report.done) != reminders or queued != reminders:
                        raise BenchError(
                            f"expected {reminders} reminders done and audited, "
                            f"got {len(report.done)} and {queued}"
                        )
                    batch_holds.append(max(holds))

                    before = _audit_count()
                    sent = 0
                    while True:
                        done = len(send_due_sms(limit=reminders).sent)
                        sent += done
                        if done == 0:
                            break
                    holds = timer.take()
                    if sent != reminders or _audit_count() - before < reminders:
                        raise BenchError(f"expected {reminders} texts sent, got {sent}")
                    send_holds.append(max(holds))

                    bare_batch.append(_bare_append(bare, reminders))
                    bare_one.append(max(_bare_append(bare, 1) for _ in range(reminders)))
                    print(
                        f"  round {number + 1}: batch of {reminders} in "
                        f"{batch_seconds[-1] * 1000:.0f} ms, longest hold "
                        f"{batch_holds[-1] * 1000:.1f} ms; sends' longest hold "
                        f"{send_holds[-1] * 1000:.1f} ms",
                        file=sys.stderr,
                        flush=True,
                    )
            db.session.remove()
            db.engine.dispose()
        bare.dispose()

    def ms(values: list[float]) -> tuple[float, ...]:
        return tuple(value * 1000 for value in values)

    notes = {
        "reminders": str(reminders),
        "batch duration, median ms": f"{statistics.median(batch_seconds) * 1000:.0f}",
    }
    return [
        Comparison(
            BENCHMARK,
            Series(
                f"dispatch_due, {reminders} text reminders: longest hold", "ms", ms(batch_holds)
            ),
            Series(f"bare lock, {reminders} chained inserts, commit", "ms", ms(bare_batch)),
            notes=notes,
        ),
        Comparison(
            BENCHMARK,
            Series(f"send_due_sms, {reminders} texts: longest hold", "ms", ms(send_holds)),
            Series("bare lock, 1 chained insert, commit (longest)", "ms", ms(bare_one)),
            notes={"texts": str(reminders)},
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    results = measure(rounds=args.rounds, reminders=args.reminders)
    print(f"{args.reminders} text reminders a batch, {args.rounds} rounds")
    print_table(results)
    print(f"batch duration, median: {results[0].notes['batch duration, median ms']} ms")


if __name__ == "__main__":
    main()
