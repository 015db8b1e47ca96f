"""The staff's everyday pages under wrk, against a bare read-plus-insert on the same database.

- landing page: ``GET /client/`` as a client treater lands on it after login, with one client
  of her own (the page the old landing benchmark measured on SQLite);
- partner home: ``GET /partner/`` (the inbox) for a partner-contact treater holding four cases
  worked on for weeks;
- client list: ``GET /client/`` for the client treater who registered and handed over every
  seeded case, so it lists them all with their episodes;
- baseline: a bare Flask app reading a case's row through SQLAlchemy, inserting one row and
  committing (``bench.bare_read``), the shape of an audited read with nothing else of a page.

Served by the same gunicorn setup (sync workers, production mode, as in production) on
loopback and loaded by wrk in the same run, rounds alternating: ``clients`` connections, each
sending its requests with the session cookie of an account logged in beforehand (password,
then the TOTP code). A TOTP code counts once a step, so each account logs in once and the
connections of a page share its few sessions; a session seen moments ago is not written
again, so sharing one costs the server nothing a session of its own would not. A request
counts as served only if it answered 200 with the text that proves it the page asked for (the
treater's name, a client's, a held partner's).

PostgreSQL: a database of its own on the server named by ``PCBENCH_PG_ADMIN_URL`` (bench/run
sets it), else a throwaway cluster started for the run. Invented data only.

    .venv/bin/python -m bench.staff_pages [--seconds 4] [--clients 16] [--workers 2] [--rounds 3]

(as a module from the project root: it builds its data with the test suite's factories)
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from bench.case_page import (
    READ_AND_INSERT,
    Login,
    alternating,
    app_context_on,
    app_environment,
    bare_reads,
    checked,
    logged_in,
    login_of,
    seed,
)
from bench.common import (
    Endpoint,
    HttpRun,
    Visit,
    gunicorn,
    http_arguments,
    make_hit_table,
    migrated_database,
    report_http_run,
)

BENCHMARK = "staff pages"
LANDING = "landing page"
PARTNER_HOME = "partner home"
CLIENT_LIST = "client list"
# Each partner-contact treater holds this many of the seeded cases.
CASES_PER_TREATER = 4
# Client treaters with one client each, whose landing page is measured.
NEWCOMERS = 4
CLIENT_NAME = "Kalle Testsson"  # every seeded client's invented name (tests.cases_built)


def newcomers(url: str, keys: Path, instance: Path, count: int) -> list[Login]:
    """``count`` client treaters, each with one registered client."""
    from partnercontact.clock import FixedClock
    from tests.cases_built import client_of
    from tests.factories import Factory

    clock = FixedClock(datetime.now(UTC))
    with app_context_on(url, keys, instance, clock):
        factory = Factory(clock)
        logins = []
        for _ in range(count):
            account = factory.client_treater()
            client_of(account.user, CLIENT_NAME)
            logins.append(login_of(account))
        return logins


def measure(
    *,
    rounds: int = 3,
    seconds: float = 4.0,
    clients: int = 16,
    workers: int = 2,
    admin_url: str | None = None,
) -> HttpRun:
    """Seed, serve the application and the bare app, log the accounts in and load the three
    pages and the baseline in alternating rounds, on a database of its own on the server of
    ``admin_url`` (see :func:`bench.common.postgres_server`)."""
    with migrated_database(admin_url, "pc_bench_staff_pages") as (url, keys, instance):
        seeded = seed(url, keys, instance, clients, per_treater=CASES_PER_TREATER)
        landing_logins = newcomers(url, keys, instance, NEWCOMERS)
        make_hit_table(url)
        _, hits = bare_reads(seeded.cases)
        with gunicorn(
            app_environment(url, keys, instance),
            workers,
            ("bench.bare_read:app", hits[0].path),
            ("partnercontact.wsgi:app", "/healthz"),
        ) as (bare_port, app_port):
            holders = list({case.holder.username: case for case in seeded.cases}.values())
            cookies = logged_in(
                app_port,
                [*landing_logins, seeded.client_treater, *(case.holder for case in holders)],
            )
            landing = [
                Visit("/client/", cookies[login.username], login.display_name)
                for login in landing_logins
            ]
            partner_home = [
                Visit("/partner/", cookies[case.holder.username], case.partner_name)
                for case in holders
            ]
            client_list = [Visit("/client/", cookies[seeded.client_treater.username], CLIENT_NAME)]
            hit_rounds, landing_rounds, home_rounds, list_rounds = alternating(
                [
                    (bare_port, hits),
                    (app_port, checked(app_port, landing)),
                    (app_port, checked(app_port, partner_home)),
                    (app_port, checked(app_port, client_list)),
                ],
                rounds,
                seconds,
                clients,
            )
    return HttpRun(
        benchmark=BENCHMARK,
        title=f"Staff pages at {clients} clients",
        about=(
            f"{clients} wrk connections, a new connection per request (gunicorn's sync "
            f"workers close each), each sending the session cookie of an account logged in "
            f"beforehand with password and TOTP code; gunicorn with {workers} sync workers, "
            f"production mode, PostgreSQL. Landing page: `GET /client/` of {NEWCOMERS} client "
            f"treaters with one client each; partner home: `GET /partner/` of "
            f"{len(holders)} partner-contact treaters holding {CASES_PER_TREATER} cases each, "
            f"worked on for weeks; client list: `GET /client/` of the client treater who "
            f"handed over all {len(seeded.cases)} cases. Connections of a page share its "
            f"accounts' sessions. Baseline from the same run and database, rounds "
            f"alternating: a bare Flask + SQLAlchemy app reading a case's row, inserting one "
            f"row and committing (the shape of an audited read). Target: each page's "
            f"throughput at least 0.3 of the baseline's."
        ),
        clients=clients,
        workers=workers,
        seconds=seconds,
        pages=(
            Endpoint(LANDING, tuple(landing_rounds)),
            Endpoint(PARTNER_HOME, tuple(home_rounds)),
            Endpoint(CLIENT_LIST, tuple(list_rounds)),
        ),
        baselines=(Endpoint(READ_AND_INSERT, tuple(hit_rounds)),),
    )


def main() -> None:
    args = http_arguments(__doc__.splitlines()[0], 4.0).parse_args()
    run = measure(
        rounds=args.rounds, seconds=args.seconds, clients=args.clients, workers=args.workers
    )
    report_http_run(run, args.rounds, args.seconds)


if __name__ == "__main__":
    main()
