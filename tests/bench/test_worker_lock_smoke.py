"""The worker-lock benchmark still works, timed nowhere: run for one short round on the suite's
PostgreSQL, every reminder of the batch is done and audited, every text sent, and a hold of
the chain's lock is found for each. bench/run does the measuring."""

from __future__ import annotations

import os

from bench import worker_lock


def test_worker_lock_benchmark_times_a_batch_and_its_sends() -> None:
    # Raises if a reminder was not done and audited, or a text not sent.
    comparisons = worker_lock.measure(
        rounds=1, reminders=5, admin_url=os.environ["PCTEST_PG_ADMIN_URL"]
    )

    assert [c.measured.name for c in comparisons] == [
        "dispatch_due, 5 text reminders: longest hold",
        "send_due_sms, 5 texts: longest hold",
    ]
    assert all(c.measured.rounds[0] > 0 and c.baseline.rounds[0] > 0 for c in comparisons)
