"""The benchmark machinery still works, timed nowhere: the case page benchmark, run for a
moment with two clients on the suite's PostgreSQL, seeds its cases through the services, logs
each client in with password and TOTP code, and serves every client its own case page, whole
and without a single failed request. bench/run does the measuring."""

from __future__ import annotations

import os

from bench import audit_verify, portal
from bench.case_page import measure


def test_case_page_benchmark_serves_authenticated_case_pages_without_errors() -> None:
    # A database of its own on the suite's server, made and dropped by the benchmark: the
    # tests' own database is emptied between tests and must not be touched by gunicorn.
    run = measure(
        rounds=1, seconds=1.0, clients=2, workers=1, admin_url=os.environ["PCTEST_PG_ADMIN_URL"]
    )

    # A good answer is a 200 carrying the partner's name, which only the treater holding the
    # case sees once logged in: the login page or an error page counts as an error.
    assert run.errors == 0, run.first_error
    assert [round_.served > 0 for round_ in run.case_rounds] == [True]
    assert [round_.served > 0 for round_ in run.baseline_rounds] == [True]


def test_portal_benchmark_logs_her_in_and_serves_her_own_thread_without_errors() -> None:
    # Raises if any login failed or any page lacked her own thread; reports every round.
    comparisons = portal.measure(
        rounds=1, seconds=0.5, clients=1, workers=1, admin_url=os.environ["PCTEST_PG_ADMIN_URL"]
    )

    assert [c.measured.name for c in comparisons] == [
        "her login (1 clients)",
        "her message page (1 clients)",
    ]
    assert all(c.measured.rounds[0] > 0 and c.baseline.rounds[0] > 0 for c in comparisons)


def test_audit_verify_benchmark_checks_a_generated_chain_both_ways() -> None:
    # Raises unless verify_chain and the bare chain each found every generated row intact.
    (comparison,) = audit_verify.measure(
        rounds=1, rows=300, batch_size=100, admin_url=os.environ["PCTEST_PG_ADMIN_URL"]
    )

    assert comparison.measured.name == "verify_chain (audit verify)"
    assert comparison.baseline.name == "bare HMAC chain over a psycopg cursor"
    assert comparison.measured.rounds[0] > 0 and comparison.baseline.rounds[0] > 0
    assert comparison.notes["rows"] == "300"
