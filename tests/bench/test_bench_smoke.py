"""The benchmark machinery still works, timed nowhere: wrk's visits count a page that is not
the one asked for as an error; the page benchmarks, run for a moment with two clients on the
suite's PostgreSQL, seed their data through the services, log each client in with password
and TOTP code, and serve every page and baseline whole and without a single failed request.
bench/run does the measuring."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from bench import audit_verify, case_page, portal, staff_pages, web_with_worker
from bench.common import Visit, wrk

PAGES = {"/cases/1": (200, "Maja Påhittad"), "/login": (200, "Log in"), "/gone": (404, "Gone")}


class _Pages(BaseHTTPRequestHandler):
    # HTTP/1.0: the connection closes after each answer, as gunicorn's sync workers do.
    def do_GET(self) -> None:
        status, text = PAGES[self.path]
        body = f"<html><body><h1>{text}</h1></body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def pages_port() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Pages)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def test_wrk_counts_only_the_page_asked_for_as_served(pages_port: int) -> None:
    good = wrk(pages_port, [Visit("/cases/1", "session=abc", "Maja Påhittad")], 1)
    login_page = wrk(pages_port, [Visit("/login", "session=old", "Maja Påhittad")], 1)
    gone = wrk(pages_port, [Visit("/gone", "session=abc", "Gone")], 1)

    assert good.served > 0 and good.errors == 0, good.first_error
    assert good.p50 > 0 and good.p99 >= good.p50
    # A login page where the case page should be is an error, though it answered 200.
    assert login_page.served == 0 and login_page.errors > 0
    assert login_page.first_error == "/login: status 200, without the expected content"
    assert gone.served == 0 and gone.errors > 0
    assert gone.first_error == "/gone: status 404"


def test_case_page_benchmark_serves_authenticated_case_pages_without_errors() -> None:
    # A database of its own on the suite's server, made and dropped by the benchmark: the
    # tests' own database is emptied between tests and must not be touched by gunicorn.
    run = case_page.measure(
        rounds=1, seconds=1.0, clients=2, workers=1, admin_url=os.environ["PCTEST_PG_ADMIN_URL"]
    )

    # A good answer is a 200 with the case's tab marked as the one shown, which only the
    # treater holding the case sees once logged in: the login page or an error page counts as
    # an error. Every tab is measured.
    assert run.errors == 0, run.first_error
    assert [e.name for e in run.endpoints] == [
        "bare read + insert + commit",
        "bare one-row read",
        *(
            f"case page, {tab} tab"
            for tab in ("now", "her", "contact", "texts", "channel", "sessions", "safety")
        ),
    ]
    assert all(len(e.rounds) == 1 and e.served > 0 for e in run.endpoints)


def test_staff_pages_benchmark_serves_each_page_to_its_staff_without_errors() -> None:
    run = staff_pages.measure(
        rounds=1, seconds=1.0, clients=2, workers=1, admin_url=os.environ["PCTEST_PG_ADMIN_URL"]
    )

    # Each page's good answer names what only its logged-in reader sees: the treater's own
    # name, a held partner's, a client's.
    assert run.errors == 0, run.first_error
    assert [e.name for e in run.endpoints] == [
        "bare read + insert + commit",
        "landing page",
        "partner home",
        "client list",
    ]
    assert all(len(e.rounds) == 1 and e.served > 0 for e in run.endpoints)


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


def test_the_worker_benchmark_runs_the_worker_under_its_units_cpu_scheduling() -> None:
    # The benchmark measures the worker as deployed: a change of the unit's scheduling changes
    # what "the web page with the worker" means, so both change together.
    unit = Path(__file__).parents[2] / "config" / "partnercontact-worker.example.service"
    scheduling = [
        line
        for line in unit.read_text(encoding="utf-8").splitlines()
        if line.startswith(("Nice=", "CPUSchedulingPolicy=", "CPUSchedulingPriority="))
    ]

    assert scheduling == [f"CPUSchedulingPolicy={web_with_worker.WORKER_POLICY}"]
