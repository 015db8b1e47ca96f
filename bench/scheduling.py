"""Scheduled tasks dispatched per second on PostgreSQL, by one worker process and by two,
against a bare claim-and-mark loop measured in the same run.

- dispatcher: ``dispatch_due`` as ``partnercontact jobs run-due`` runs it (claim a batch in
  one ``UPDATE`` of the rows a ``FOR UPDATE SKIP LOCKED`` sub-select picks, run the batch's
  tasks of each kind together in a savepoint, write the new states in set-based updates,
  commit), on ``first_contact_due`` tasks of cases built through the real services, each
  looking again at its case (her answer, the case still open, no contact that reached her)
  and raising a reminder to the case's treater;
- baseline: the same claim on the same table, rows and batch size, then one bare
  ``UPDATE scheduled_task SET state = 'done'`` per batch, committed; no application code.

Each scenario runs in fresh OS processes that connect and warm up first, then start together;
the rate is all tasks over the time from the first start to the last finish. Between scenarios
every task is set back to pending, its reminders deleted and the table vacuumed. The ratios
are what to compare between runs; the absolute numbers depend on the machine.

PostgreSQL: a database of its own on the server named by ``PCBENCH_PG_ADMIN_URL`` (bench/run
sets it), else on a throwaway cluster started for the run as scripts/test starts one (the
server binaries of Debian's ``postgresql`` package, the same durability settings traded for
speed; as root it runs as the ``postgres`` user) and removed afterwards. Invented data only.

    .venv/bin/python -m bench.scheduling [--tasks 10000] [--cases 100] [--batch-size 100]
                                         [--rounds 3]

Each round runs the four scenarios in turn; every rate is reported as the median, lowest and
highest of its rounds.

(as a module from the project root: it builds its cases with the test suite's factories)
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

from bench.common import (
    ROOT,
    BenchError,
    Comparison,
    Series,
    clean_environment,
    migrated_database,
    print_table,
)

BENCHMARK = "scheduling"
SCENARIOS = (("baseline", 1), ("dispatcher", 1), ("baseline", 2), ("dispatcher", 2))
CLAIM = text(
    "SELECT id FROM scheduled_task WHERE state = 'pending' AND due_at <= now() "
    "ORDER BY due_at LIMIT :n FOR UPDATE SKIP LOCKED"
)
MARK = text("UPDATE scheduled_task SET state = 'done' WHERE id = ANY(:ids)")


# --- the processes being measured ----------------------------------------------------------------


def _wait_for_go(stage: dict[str, float]) -> None:
    print("ready", flush=True)
    sys.stdin.readline()
    stage["started"] = time.time()


def _dispatcher(url: str, keys: str, batch_size: int) -> dict[str, float]:
    """What ``partnercontact jobs run-due`` does, after start-up."""
    from partnercontact.app import create_app
    from partnercontact.config import load_config
    from partnercontact.db import db
    from partnercontact.tasks.queue import dispatch_due

    config = load_config(
        environ={},
        overrides={
            "database": {"url": url},
            "keys": {"file": keys},
            "worker": {"batch_size": batch_size},
        },
        instance_path=Path(keys).parent,
    )
    app = create_app(config)
    stage: dict[str, float] = {}
    with app.app_context():
        db.session.execute(select(1))
        db.session.rollback()
        _wait_for_go(stage)
        ran = 0
        while True:
            report = dispatch_due()
            taken = len(report.done) + len(report.waiting) + len(report.retrying)
            taken += len(report.failed)
            ran += taken
            if taken == 0:
                break
    return {**stage, "finished": time.time(), "ran": ran}


def _baseline(url: str, batch_size: int) -> dict[str, float]:
    engine = create_engine(url)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.rollback()
        stage: dict[str, float] = {}
        _wait_for_go(stage)
        ran = 0
        while True:
            with conn.begin():
                ids = conn.execute(CLAIM, {"n": batch_size}).scalars().all()
                if ids:
                    conn.execute(MARK, {"ids": list(ids)})
            ran += len(ids)
            if not ids:
                break
    engine.dispose()
    return {**stage, "finished": time.time(), "ran": ran}


# --- the run -------------------------------------------------------------------------------------


def _seed(url: str, keys: Path, tasks: int, cases: int) -> None:
    """``cases`` cases handed over and picked up, and ``tasks`` first-contact tasks due on
    them (the one each hand-over scheduled, the rest added in bulk), due over the last hour."""
    from partnercontact.app import create_app
    from partnercontact.clock import FixedClock
    from partnercontact.config import load_config
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing
    from partnercontact.db import db
    from partnercontact.partner_side.scheduling import kinds
    from partnercontact.partner_side.service import pick_up
    from partnercontact.tasks.models import ScheduledTask
    from tests.factories import Factory
    from tests.partners.conftest import handed_over_case

    config = load_config(
        environ={},
        overrides={
            "database": {"url": url},
            "keys": {"file": str(keys)},
            "auth": {"hashing_cost": "fast"},
        },
        instance_path=keys.parent,
    )
    clock = FixedClock(datetime.now(UTC) - timedelta(hours=2))
    app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(keys)))
    with app.app_context():
        factory = Factory(clock)
        client_treater = factory.client_treater()
        holders = [factory.partner_treater() for _ in range(5)]
        built = []
        for number in range(cases):
            case = handed_over_case(
                factory, clock, client_treater=client_treater, phone=f"070-{number:03d} 11 22"
            )
            pick_up(holders[number % len(holders)].user, case.id)
            db.session.commit()
            built.append((case.id, case.clinic_id))
        have = db.session.scalar(select(func.count()).select_from(ScheduledTask)) or 0
        rows = [
            {
                "id": uuid.uuid4(),
                "kind": kinds.FIRST_CONTACT_DUE,
                "due_at": clock.now(),
                "state": "pending",
                "attempts": 0,
                "idempotency_key": f"bench:{number}",
                "clinic_id": built[number % cases][1],
                "partner_case_id": built[number % cases][0],
                "created_at": clock.now(),
            }
            for number in range(tasks - have)
        ]
        if rows:
            db.session.execute(insert(ScheduledTask), rows)
        db.session.commit()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text("UPDATE scheduled_task SET due_at = now() - random() * interval '1 hour'")
        )
    engine.dispose()


def _reset(url: str) -> None:
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("DELETE FROM staff_reminder"))
        conn.execute(
            text(
                "UPDATE scheduled_task SET state = 'pending', attempts = 0, outcome = NULL, "
                "last_error = NULL, finished_at = NULL"
            )
        )
        conn.execute(text("VACUUM ANALYZE scheduled_task"))
        conn.execute(text("VACUUM ANALYZE staff_reminder"))
    engine.dispose()


def _measure(role: str, processes: int, url: str, keys: Path, batch_size: int) -> float:
    command = [sys.executable, "-m", "bench.scheduling", "--role", role, "--url", url]
    command += ["--keys", str(keys), "--batch-size", str(batch_size)]
    env = clean_environment()
    started = [
        subprocess.Popen(
            command, cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        for _ in range(processes)
    ]
    try:
        for process in started:
            assert process.stdout is not None and process.stdin is not None
            if process.stdout.readline().strip() != "ready":
                raise BenchError(f"a {role} process did not start")
        for process in started:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in started:
            out, _ = process.communicate(timeout=600)
            if process.returncode != 0:
                raise BenchError(f"a {role} process failed ({process.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    ran = sum(result["ran"] for result in results)
    elapsed = max(r["finished"] for r in results) - min(r["started"] for r in results)
    shares = ", ".join(str(int(result["ran"])) for result in results)
    print(
        f"  {role:10} x{processes}: {ran} tasks in {elapsed:6.2f} s (each took {shares})",
        file=sys.stderr,
    )
    return ran / elapsed


def _check(url: str, tasks: int, reminders: bool) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        done = conn.scalar(text("SELECT count(*) FROM scheduled_task WHERE state = 'done'"))
        raised = conn.scalar(text("SELECT count(*) FROM staff_reminder"))
    engine.dispose()
    if done != tasks or (reminders and raised != tasks):
        raise BenchError(f"expected {tasks} tasks done, got {done} ({raised} reminders)")


def measure(
    *,
    rounds: int = 3,
    tasks: int = 10_000,
    cases: int = 100,
    batch_size: int = 100,
    admin_url: str | None = None,
) -> list[Comparison]:
    """Tasks per second of each scenario, one value per round; each round runs the four
    scenarios in turn on the same seeded tasks."""

    rates: dict[tuple[str, int], list[float]] = {scenario: [] for scenario in SCENARIOS}
    with migrated_database(admin_url, "pc_bench_scheduling") as (url, keys, _instance):
        print(f"seeding {tasks} tasks on {cases} cases...", file=sys.stderr, flush=True)
        _seed(url, keys, tasks, cases)
        for _ in range(rounds):
            for role, processes in SCENARIOS:
                _reset(url)
                rate = _measure(role, processes, url, keys, batch_size)
                _check(url, tasks, reminders=role == "dispatcher")
                rates[(role, processes)].append(rate)
    return [
        Comparison(
            BENCHMARK,
            Series(
                f"dispatch_due, {n} worker process{'es' if n > 1 else ''}",
                "tasks/s",
                tuple(rates[("dispatcher", n)]),
            ),
            Series(
                f"bare SKIP LOCKED claim-and-mark, {n} process{'es' if n > 1 else ''}",
                "tasks/s",
                tuple(rates[("baseline", n)]),
            ),
            notes={"batch size": str(batch_size), "tasks": str(tasks)},
        )
        for n in (1, 2)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3)
    # Internal: one measured process.
    parser.add_argument("--role", choices=("dispatcher", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--keys", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.role == "dispatcher":
        print(json.dumps(_dispatcher(args.url, args.keys, args.batch_size)))
        return
    if args.role == "baseline":
        print(json.dumps(_baseline(args.url, args.batch_size)))
        return

    results = measure(
        rounds=args.rounds, tasks=args.tasks, cases=args.cases, batch_size=args.batch_size
    )
    print(f"batch size {args.batch_size}")
    print_table(results)
    one, two = (comparison.measured.median for comparison in results)
    bare_one, bare_two = (comparison.baseline.median for comparison in results)
    print(f"two processes over one: dispatch_due {two / one:.2f}, bare {bare_two / bare_one:.2f}")


if __name__ == "__main__":
    main()
