"""``partnercontact jobs``: run one scheduled duty now."""

from __future__ import annotations

import click

from partnercontact.auth.jobs import purge_sessions
from partnercontact.cli.appcontext import with_app
from partnercontact.tasks.queue import dispatch_due


@click.group()
def jobs() -> None:
    """Run one scheduled duty now."""


@jobs.command("purge-sessions")
@with_app
def jobs_purge_sessions() -> None:
    click.echo(f"removed {purge_sessions()} expired sessions")


@jobs.command("run-due")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Take at most this many tasks."
)
@with_app
def jobs_run_due(limit: int | None) -> None:
    """Run the scheduled tasks that are due now, batch after batch, until none is left.

    For catching up by hand (after an outage, say) or from a timer where no `worker` process
    runs. It runs the tasks only: a text message a task queues is sent by the worker's send
    duty. Safe beside running workers and other runs of this command: each batch claims its
    tasks with FOR UPDATE SKIP LOCKED (PostgreSQL), so no task runs twice, and a run stopped
    mid-batch leaves that batch's tasks to the next run. A task that fails is retried later,
    as the worker does. Prints how many tasks this run took and what came of them:
    "ran 120 tasks: 118 done, 0 waiting, 2 to retry, 0 failed". Exits 0 even when tasks
    failed: they are on the administrators' task page.
    """
    counts = dict.fromkeys(("done", "waiting", "retrying", "failed"), 0)
    deferred = 0
    while limit is None or sum(counts.values()) < limit:
        report = dispatch_due(None if limit is None else limit - sum(counts.values()))
        taken = 0
        for name in counts:
            counts[name] += len(getattr(report, name))
            taken += len(getattr(report, name))
        deferred += report.contended
        # Nothing taken: nothing is due (or, on SQLite, another writer held the database).
        # dispatch_due stops at a short batch, which another worker's claim can cause too.
        if taken == 0:
            break
    click.echo(
        f"ran {sum(counts.values())} tasks: {counts['done']} done, {counts['waiting']} waiting, "
        f"{counts['retrying']} to retry, {counts['failed']} failed"
        + (f" ({deferred} batches left to another writer)" if deferred else "")
    )
