"""A staff page's latency while the worker dispatches a batch of text reminders, against the
same page with the worker idle, both measured with wrk in the same run on PostgreSQL.

- case page, worker idle: ``GET /partner/cases/<id>`` as in ``bench.case_page`` (the same
  seeded cases, each loaded by its holder logged in with password and TOTP code);
- case page, worker dispatching: the same, while a worker process runs ``dispatch_due`` over
  ``reminders`` due text reminders (``session_reminder_sms`` tasks: each queues a text
  through the safety rules and audits it, in one transaction per batch) on the same database.

Each round of the second kind starts a fresh worker process under the CPU scheduling its
systemd unit gives it (``CPUSchedulingPolicy=idle``: the CPU only when the web leaves it free,
through ``chrt --idle``), which seeds its due reminders and builds
its application before the round; a moment into the round it is told to dispatch,
so the batch runs while wrk loads the page, and its duration is reported beside the pages. The
batch competes with the pages for the two cores and for the audit chain's lock, which every
page that records an access takes at its commit: p99 with the worker over p99 without it is
the number to watch. Rounds alternate, so drift hits both alike.

PostgreSQL: a database of its own on the server named by ``PCBENCH_PG_ADMIN_URL`` (bench/run
sets it), else a throwaway cluster started for the run. Invented data only.

    .venv/bin/python -m bench.web_with_worker [--seconds 9] [--clients 16] [--rounds 3]
        [--reminders 100]

(as a module from the project root: it builds its cases with the test suite's factories)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path

from bench.case_page import app_context_on, app_environment, case_pages, seed
from bench.common import (
    ROOT,
    BenchError,
    Endpoint,
    HttpRound,
    HttpRun,
    Visit,
    clean_environment,
    gunicorn,
    http_arguments,
    migrated_database,
    report_http_run,
    wrk,
)
from bench.worker_lock import HoldTimer

BENCHMARK = "web page with the worker"
IDLE = "case page, worker idle"
READY = "ready"
# Seconds into a round at which the worker is told to dispatch: every connection is busy by
# then, and a batch that takes the time it takes on an idle machine (well under a second)
# ends well before a round of a few seconds does.
DISPATCH_AFTER = 1.0
# The CPU scheduling policy the worker runs under, as its systemd unit sets it
# (config/partnercontact-worker.example.service, CPUSchedulingPolicy=): on a machine it shares
# with the web service, pages come first and a batch takes longer.
WORKER_POLICY = "idle"


@dataclass(frozen=True)
class Batch:
    """What the worker process needs to seed its reminders and dispatch them."""

    url: str
    keys: str
    instance: str
    due_at: str
    case_id: str
    session_id: str
    clinic_id: int
    reminders: int


def seed_reminder_case(
    url: str, keys: Path, instance: Path
) -> tuple[uuid.UUID, uuid.UUID, int, datetime]:
    """A case whose partner accepted reminders by text and has a session booked: the case,
    the session, the case's clinic, and when its first text reminder falls due."""
    from partnercontact.clock import FixedClock
    from partnercontact.db import db
    from partnercontact.partner_side.messaging.dispatch import send_due_sms
    from partnercontact.partner_side.scheduling import kinds
    from partnercontact.tasks.queue import dispatch_due
    from tests.factories import Factory
    from tests.scheduling.building import accepted, book, sessions, tasks_of

    clock = FixedClock(datetime(2026, 3, 20, 9, tzinfo=UTC))
    with app_context_on(url, keys, instance, clock):
        held = accepted(Factory(clock), clock)
        booked = book(held, sessions(held)[0], date(2026, 3, 31), clock_time(13, 0))
        (first,) = tasks_of(kinds.SESSION_REMINDER_SMS)
        clock.set(first.due_at)
        db.session.commit()
        # What the case's own making left due, out of the way.
        dispatch_due()
        send_due_sms()
        return held.case.id, booked.id, held.case.clinic_id, first.due_at


def dispatch(batch: Batch) -> None:
    """The worker process: seed ``batch.reminders`` due text reminders, say ready, and on a
    line from standard input dispatch them in one batch; print what was done as JSON."""
    from sqlalchemy import insert

    from partnercontact.clock import FixedClock
    from partnercontact.db import db
    from partnercontact.partner_side.scheduling import kinds
    from partnercontact.tasks.models import ScheduledTask
    from partnercontact.tasks.queue import dispatch_due

    clock = FixedClock(datetime.fromisoformat(batch.due_at))

    def due(count: int) -> None:
        rows = [
            {
                "id": uuid.uuid4(),
                "kind": kinds.SESSION_REMINDER_SMS,
                "due_at": clock.now(),
                "state": "pending",
                "attempts": 0,
                "idempotency_key": f"bench:{uuid.uuid4().hex}",
                "clinic_id": batch.clinic_id,
                "partner_case_id": uuid.UUID(batch.case_id),
                "subject_id": uuid.UUID(batch.session_id),
                "created_at": clock.now(),
            }
            for _ in range(count)
        ]
        db.session.execute(insert(ScheduledTask), rows)
        db.session.commit()

    # A batch size that takes them all in one batch, the worker's unit of work.
    worker = {"worker": {"batch_size": batch.reminders}}
    with app_context_on(batch.url, Path(batch.keys), Path(batch.instance), clock, worker):
        # One reminder first, as a worker that has run for a while has its code paths warm.
        due(1)
        dispatch_due()
        due(batch.reminders)
        print(READY, flush=True)
        sys.stdin.readline()
        with HoldTimer().watching(db.engine) as timer:
            started = time.perf_counter()
            report = dispatch_due()
            seconds = time.perf_counter() - started
        answer = {"done": len(report.done), "seconds": seconds, "longest_hold": max(timer.take())}
        print(json.dumps(answer), flush=True)


def _started_worker(batch: Batch) -> subprocess.Popen[str]:
    worker = subprocess.Popen(
        [
            "chrt",
            f"--{WORKER_POLICY}",
            "0",
            sys.executable,
            "-m",
            "bench.web_with_worker",
            "--dispatch",
            json.dumps(asdict(batch)),
        ],  # fmt: skip
        cwd=ROOT,
        env=clean_environment(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    if worker.stdout.readline().strip() != READY:
        worker.kill()
        raise BenchError(f"the worker process exited with {worker.wait()} before it was ready")
    return worker


def _with_worker(
    port: int, pages: list[Visit], seconds: float, clients: int, batch: Batch
) -> tuple[HttpRound, float, float]:
    """One round of the pages while a fresh worker process dispatches its batch: the round,
    the batch's duration and its longest hold of the audit chain's lock, in seconds."""
    worker = _started_worker(batch)
    assert worker.stdin is not None and worker.stdout is not None
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            loading = pool.submit(wrk, port, pages, seconds, clients)
            time.sleep(DISPATCH_AFTER)
            worker.stdin.write("go\n")
            worker.stdin.flush()
            answer = worker.stdout.readline()
            round_ = loading.result()
        if worker.wait(timeout=60) != 0 or not answer:
            raise BenchError(f"the worker process failed (exit {worker.returncode})")
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    done = json.loads(answer)
    if done["done"] != batch.reminders:
        raise BenchError(f"the worker dispatched {done['done']} of {batch.reminders} reminders")
    return round_, float(done["seconds"]), float(done["longest_hold"])


def measure(
    *,
    rounds: int = 3,
    seconds: float = 9.0,
    clients: int = 16,
    workers: int = 2,
    reminders: int = 100,
    admin_url: str | None = None,
) -> HttpRun:
    """Seed the case pages and a case with text reminders, serve the application, log every
    treater in and load the case pages in alternating rounds, without and with the worker
    dispatching ``reminders`` reminders; on a database of its own on the server of
    ``admin_url`` (see :func:`bench.common.postgres_server`)."""
    with migrated_database(admin_url, "pc_bench_web_with_worker") as (url, keys, instance):
        cases = seed(url, keys, instance, clients).cases
        case_id, session_id, clinic_id, due_at = seed_reminder_case(url, keys, instance)
        batch = Batch(url, str(keys), str(instance), due_at.isoformat(), str(case_id),
                      str(session_id), clinic_id, reminders)  # fmt: skip
        with gunicorn(
            app_environment(url, keys, instance),
            workers,
            ("partnercontact.wsgi:app", "/healthz"),
        ) as (app_port,):
            pages = case_pages(app_port, cases, "now")  # the tab a link to the case opens
            wrk(app_port, pages, 1, clients)  # warm-up: both workers booted, caches filled
            idle_rounds: list[HttpRound] = []
            busy_rounds: list[HttpRound] = []
            batches: list[float] = []
            holds: list[float] = []
            for _ in range(rounds):
                idle_rounds.append(wrk(app_port, pages, seconds, clients))
                round_, batch_seconds, hold = _with_worker(app_port, pages, seconds, clients, batch)
                holds.append(hold)
                busy_rounds.append(round_)
                batches.append(batch_seconds)
    return HttpRun(
        benchmark=BENCHMARK,
        title=f"A web page while the worker dispatches {reminders} text reminders",
        about=(
            f"`GET /partner/cases/<id>` as in the case page benchmark ({clients} wrk "
            f"connections, each its own treater logged in with password and TOTP code; "
            f"gunicorn with {workers} sync workers, production mode, PostgreSQL), in rounds "
            f"alternating between the worker idle and a worker process running `dispatch_due` "
            f"over {reminders} due text reminders in one batch (each queues a text and audits "
            f"it) under the CPU scheduling of its systemd unit (policy {WORKER_POLICY}: the "
            f"CPU only when the pages leave it free), told to start {DISPATCH_AFTER:g} s into "
            f"the round. The target: p99 with the "
            f"worker at most 1.2 times p99 without it."
        ),
        clients=clients,
        workers=workers,
        seconds=seconds,
        pages=(
            Endpoint(f"case page, worker dispatching {reminders} reminders", tuple(busy_rounds)),
        ),  # fmt: skip
        baselines=(Endpoint(IDLE, tuple(idle_rounds)),),
        notes={
            "batch duration, median ms": f"{statistics.median(batches) * 1000:.0f}",
            "batch durations, ms": ", ".join(f"{b * 1000:.0f}" for b in batches),
            # What a page that records an access can be kept waiting by the batch, under load.
            "longest hold of the audit chain's lock per batch, ms": ", ".join(
                f"{h * 1000:.1f}" for h in holds
            ),
            # A batch still running when wrk stopped weighed on only part of its round.
            "batches that ran past their round's end": str(
                sum(DISPATCH_AFTER + b > max(1, round(seconds)) for b in batches)
            ),
        },
    )


def main() -> None:
    parser = http_arguments(__doc__.splitlines()[0], 9.0)
    parser.add_argument("--reminders", type=int, default=100)
    # The worker process this benchmark starts for each round with the worker.
    parser.add_argument("--dispatch", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.dispatch:
        dispatch(Batch(**json.loads(args.dispatch)))
        return
    run = measure(
        rounds=args.rounds,
        seconds=args.seconds,
        clients=args.clients,
        workers=args.workers,
        reminders=args.reminders,
    )
    report_http_run(run, args.rounds, args.seconds, "each way")


if __name__ == "__main__":
    main()
