"""Scheduled tasks dispatched per second on PostgreSQL, by one worker process and by two,
against a bare claim-and-mark loop measured in the same run.

- dispatcher: ``dispatch_due`` as ``partnercontact jobs run-due`` runs it (claim a batch with
  ``FOR UPDATE SKIP LOCKED``, run each task's handler in a savepoint, mark it done, commit),
  on ``first_contact_due`` tasks of cases built through the real services, each raising a
  reminder to the case's treater;
- baseline: the same claim on the same table, rows and batch size, then one bare
  ``UPDATE scheduled_task SET state = 'done'`` per batch, committed; no application code.

Each scenario runs in fresh OS processes that connect and warm up first, then start together;
the rate is all tasks over the time from the first start to the last finish. Between scenarios
every task is set back to pending, its reminders deleted and the table vacuumed. The ratios
are what to compare between runs; the absolute numbers depend on the machine.

PostgreSQL is a throwaway cluster started for the run, as scripts/test starts one (the
server binaries of Debian's ``postgresql`` package, the same durability settings traded for
speed; as root it runs as the ``postgres`` user), removed afterwards. Invented data only.

    .venv/bin/python -m bench.scheduling [--tasks 10000] [--cases 100] [--batch-size 100]
                                         [--rounds 1]

With more than one round, each rate is the best of its rounds (on a shared machine the others'
work only ever slows a round down).

(as a module from the project root: it builds its cases with the test suite's factories)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, insert, select, text

ROOT = Path(__file__).resolve().parent.parent
ROLE = "pc_bench"
CLAIM = text(
    "SELECT id FROM scheduled_task WHERE state = 'pending' AND due_at <= now() "
    "ORDER BY due_at LIMIT :n FOR UPDATE SKIP LOCKED"
)
MARK = text("UPDATE scheduled_task SET state = 'done' WHERE id = ANY(:ids)")


# --- a throwaway PostgreSQL cluster --------------------------------------------------------------


def _server_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise SystemExit(
            "no PostgreSQL server under /usr/lib/postgresql (apt-get install postgresql)"
        )
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[str]:
    """A PostgreSQL cluster in a temporary folder for the duration; yields the URL of an empty
    database owned by (and logged into as) a plain role, as the application runs."""
    server = _server_bin()
    as_root = os.geteuid() == 0
    folder = Path(tempfile.mkdtemp(prefix="pc-bench-pg."))

    def run(*command: str | Path) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if as_root else []
        subprocess.run(
            [*prefix, *map(str, command)], check=True, cwd="/", capture_output=True, text=True
        )

    if as_root:
        shutil.chown(folder, "postgres")
    data = folder / "data"
    port = _free_port()
    started = False
    try:
        run(server / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--locale=C.UTF-8", "--no-sync")  # fmt: skip
        with (data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '127.0.0.1'\nport = {port}\n"
                f"unix_socket_directories = '{folder}'\n"
                "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
            )
        run(server / "pg_ctl", "-D", data, "-l", folder / "server.log", "-w", "-t", "60", "start")
        started = True
        admin = create_engine(
            f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as conn:
            conn.execute(text(f"CREATE ROLE {ROLE} LOGIN"))
            conn.execute(text(f"CREATE DATABASE pc_bench OWNER {ROLE}"))
        admin.dispose()
        yield f"postgresql+psycopg://{ROLE}@127.0.0.1:{port}/pc_bench"
    finally:
        if started:
            with contextlib.suppress(subprocess.CalledProcessError):
                run(server / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(folder, ignore_errors=True)


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
    from partnercontact.scheduling.tasks import dispatch_due

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
    from partnercontact.partners.service import pick_up
    from partnercontact.scheduling import kinds
    from partnercontact.scheduling.models import ScheduledTask
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")}
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
                raise SystemExit(f"a {role} process did not start")
        for process in started:
            assert process.stdin is not None
            process.stdin.write("go\n")
            process.stdin.flush()
        results = []
        for process in started:
            out, _ = process.communicate(timeout=600)
            if process.returncode != 0:
                raise SystemExit(f"a {role} process failed ({process.returncode})")
            results.append(json.loads(out.strip().splitlines()[-1]))
    finally:
        for process in started:
            if process.poll() is None:
                process.kill()
                process.wait()
    ran = sum(result["ran"] for result in results)
    elapsed = max(r["finished"] for r in results) - min(r["started"] for r in results)
    shares = ", ".join(str(int(result["ran"])) for result in results)
    print(f"  {role:10} x{processes}: {ran} tasks in {elapsed:6.2f} s (each took {shares})")
    return ran / elapsed


def _check(url: str, tasks: int, reminders: bool) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        done = conn.scalar(text("SELECT count(*) FROM scheduled_task WHERE state = 'done'"))
        raised = conn.scalar(text("SELECT count(*) FROM staff_reminder"))
    engine.dispose()
    if done != tasks or (reminders and raised != tasks):
        raise SystemExit(f"expected {tasks} tasks done, got {done} ({raised} reminders)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=1, help="report the best of this many")
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

    from partnercontact.crypto.keyfile import generate_key_file
    from partnercontact.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder, throwaway_postgres() as url:
        keys = Path(folder) / "keys.json"
        generate_key_file(keys)
        upgrade(url)
        print(f"seeding {args.tasks} tasks on {args.cases} cases...", flush=True)
        _seed(url, keys, args.tasks, args.cases)
        rates: dict[tuple[str, int], float] = {}
        for _ in range(args.rounds):
            for role, processes in (
                ("baseline", 1),
                ("dispatcher", 1),
                ("baseline", 2),
                ("dispatcher", 2),
            ):
                _reset(url)
                rate = _measure(role, processes, url, keys, args.batch_size)
                _check(url, args.tasks, reminders=role == "dispatcher")
                rates[(role, processes)] = max(rate, rates.get((role, processes), 0.0))
    print(
        f"\n{'case':30} {'tasks/s':>9} {'baseline':22} {'tasks/s':>9} {'ratio':>7}"
        f"  (batch size {args.batch_size})"
    )
    for processes in (1, 2):
        rate, baseline = rates[("dispatcher", processes)], rates[("baseline", processes)]
        name = f"dispatch_due, {processes} process{'es' if processes > 1 else ''}"
        bare = f"bare SKIP LOCKED, {processes}"
        print(f"{name:30} {rate:9.1f} {bare:22} {baseline:9.1f} {rate / baseline:7.3f}")
    two_over_one = rates[("dispatcher", 2)] / rates[("dispatcher", 1)]
    bare_two_over_one = rates[("baseline", 2)] / rates[("baseline", 1)]
    print(f"two processes over one: dispatch_due {two_over_one:.2f}, bare {bare_two_over_one:.2f}")


if __name__ == "__main__":
    main()
