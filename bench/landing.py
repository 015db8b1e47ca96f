"""Throughput of the authenticated landing page against a bare Flask JSON route.

Both are served by the same gunicorn setup (sync workers, as in production) on loopback and
loaded by the same client in the same run, rounds alternating between the two; the ratio is
what to compare between runs, not the absolute numbers, which depend on the machine. Runs on
a throwaway SQLite database in development mode, logged in as the demo client treater.

    .venv/bin/python -m bench.landing [--seconds 5] [--clients 4] [--workers 2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile

from bench.common import (
    ROOT,
    BenchError,
    Comparison,
    Series,
    Visit,
    clean_environment,
    gunicorn,
    load,
    log_in,
    print_table,
)
from partnercontact.demo import DEMO_LOGINS
from partnercontact.policy import Role

BENCHMARK = "landing page"


def measure(
    *, rounds: int = 3, seconds: float = 5.0, clients: int = 4, workers: int = 2
) -> list[Comparison]:
    """Pages per second of ``/client/`` and of the bare route, one value per round; raises
    :class:`BenchError` if any request failed."""
    with tempfile.TemporaryDirectory() as instance:
        env = clean_environment()
        env["PARTNERCONTACT_INSTANCE_PATH"] = instance
        for command in (["db", "upgrade"], ["demo"]):
            subprocess.run(
                [sys.executable, "-m", "partnercontact.cli", *command],
                cwd=ROOT,
                env=env,
                check=True,
                capture_output=True,
            )
        env["PARTNERCONTACT_WORKER__EMBEDDED"] = "false"
        with gunicorn(
            env, workers, ("bench.bare_app:app", "/ping"), ("partnercontact.wsgi:app", "/healthz")
        ) as (bare_port, app_port):
            demo = next(login for login in DEMO_LOGINS if login.role is Role.CLIENT_TREATER)
            cookie = log_in(app_port, demo.username, demo.password)
            # The page header shows the logged-in user's name: proof of an authenticated page.
            bare = [Visit("/ping", None, '"ok"')] * clients
            page = [Visit("/client/", cookie, demo.display_name)] * clients
            warm_up = min(1.0, seconds / 2)  # both workers booted, templates compiled
            load(bare_port, bare, warm_up)
            load(app_port, page, warm_up)
            baseline, landing = [], []
            for _ in range(rounds):  # interleaved, so drift hits both alike
                baseline.append(load(bare_port, bare, seconds))
                landing.append(load(app_port, page, seconds))
    for round_ in (*baseline, *landing):
        if round_.errors:
            raise BenchError(f"{round_.errors} requests failed, e.g. {round_.first_error}")
    label = f"({clients} clients)"
    return [
        Comparison(
            BENCHMARK,
            Series(
                f"authenticated landing page {label}", "req/s", tuple(r.per_second for r in landing)
            ),
            Series(
                f"bare Flask JSON route {label}", "req/s", tuple(r.per_second for r in baseline)
            ),
        )  # fmt: skip
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    results = measure(
        rounds=args.rounds, seconds=args.seconds, clients=args.clients, workers=args.workers
    )
    print(
        f"gunicorn sync, {args.workers} workers, {args.clients} clients, "
        f"{args.rounds} x {args.seconds:g} s each"
    )
    print_table(results)


if __name__ == "__main__":
    main()
