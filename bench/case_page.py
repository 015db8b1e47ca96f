"""The partner-contact treater's case page under wrk, against two bare baselines on the same
database.

- case page: each tab of ``GET /partner/cases/<id>`` (``?view=<tab>``; the first is the page a
  link to the case opens) as the treater holding the case sees it, every section filled from
  invented data built through the real services (a registered client with signed consent,
  handed over, picked up, found suitable, reached, her acceptance, a risk assessment, a child,
  safety plans, three contact sessions held with notes and one booked); served in production
  mode on PostgreSQL, with a TOTP second factor at login;
- bare read plus insert (the baseline targets are stated against): a bare Flask app reading
  the case's row through SQLAlchemy, inserting one row and committing (``bench.bare_read``),
  the shape of an audited read with nothing else of a page;
- bare one-row read: the same app's plain read of the case's row.

All three are served by the same gunicorn setup (sync workers, as in production) on loopback
and loaded by wrk (``bench.common.wrk``) in the same run: ``clients`` connections, each its own
treater logged in beforehand (password, then the TOTP code) and loading that treater's case
page, or the case's row from a baseline, for ``seconds``; gunicorn closes each connection and
wrk opens the next. Rounds alternate between the three, so drift hits all alike. Reported per
round: requests served as expected per second, and the median (p50) and 99th-percentile (p99)
latency; the ratios are what to compare between runs, not the absolute numbers, which depend
on the machine. A request counts as served only if it answered 200 with the case's tab marked
as the one shown (a login page or an error counts as an error).

PostgreSQL: a database of its own on the server named by ``PCBENCH_PG_ADMIN_URL`` (bench/run
sets it), else on a throwaway cluster started for the run. Invented data only.

    .venv/bin/python -m bench.case_page [--seconds 5] [--clients 16] [--workers 2] [--rounds 3]

(as a module from the project root: it builds its cases with the test suite's factories)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any

from bench.common import (
    BenchError,
    Endpoint,
    HttpRound,
    HttpRun,
    Visit,
    clean_environment,
    gunicorn,
    http_arguments,
    log_in,
    make_hit_table,
    migrated_database,
    report_http_run,
    request,
    wrk,
)

BENCHMARK = "case page"
READ = "bare one-row read"
READ_AND_INSERT = "bare read + insert + commit"
# Invented names, one per case; each appears only on its own case page and its holder's inbox.
FIRST_NAMES = ("Maja", "Sara", "Elin", "Nora", "Lina", "Hanna", "Ida", "Moa")
LAST_NAMES = ("Påhittad", "Exempelsson", "Lindvik", "Testberg")


@dataclass(frozen=True)
class Login:
    """An account the run logs in as: each logs in once (a TOTP code counts once a step)."""

    username: str
    password: str
    totp_secret: str
    display_name: str


@dataclass(frozen=True)
class SeededCase:
    """A case and the partner-contact treater holding it."""

    holder: Login
    case_id: uuid.UUID
    partner_name: str


@dataclass(frozen=True)
class Seeded:
    """What :func:`seed` built: the cases, and the client treater who handed them all over
    (her client list holds every one of their clients)."""

    cases: list[SeededCase]
    client_treater: Login


def app_environment(url: str, keys: Path, instance: Path) -> dict[str, str]:
    """The environment gunicorn serves the application and the bare baselines in: production
    mode on ``url``, a second factor required, no embedded worker."""
    env = clean_environment()
    env.update(
        {
            "PARTNERCONTACT_MODE": "production",
            "PARTNERCONTACT_DATABASE__URL": url,
            "PARTNERCONTACT_KEYS__FILE": str(keys),
            "PARTNERCONTACT_INSTANCE_PATH": str(instance),
            "PARTNERCONTACT_AUTH__SECOND_FACTOR": "required",
            "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://partnercontact.example.org",
            "PARTNERCONTACT_PORTAL__PUBLIC_URL": "https://portal.example.org",
            "PARTNERCONTACT_WORKER__EMBEDDED": "false",
            "PCBENCH_DATABASE_URL": url,
        }
    )
    return env


@contextmanager
def app_context_on(
    url: str, keys: Path, instance: Path, clock: Any, overrides: dict[str, Any] | None = None
) -> Iterator[Any]:
    """The application on ``url`` with ``clock`` (and any further configuration
    ``overrides``), its context pushed, for building data through the services; its
    connections closed afterwards."""
    from partnercontact.app import create_app
    from partnercontact.config import load_config
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing
    from partnercontact.db import db

    # Passwords hashed at a trivial cost: the server verifies each at login whatever its cost
    # (and hashes it again at its own), and logins are not what is measured.
    config = load_config(
        environ={},
        overrides={
            "database": {"url": url},
            "keys": {"file": str(keys)},
            "auth": {"hashing_cost": "fast"},
            **(overrides or {}),
        },
        instance_path=instance,
    )
    app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(keys)))
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def login_of(account: Any) -> Login:
    """The credentials of a test factory's account."""
    if account.totp_secret is None:
        raise BenchError(f"{account.username} has no second factor")
    return Login(account.username, account.password, account.totp_secret,
                 account.user.display_name)  # fmt: skip


def partner_name(number: int) -> str:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    return f"{first} {LAST_NAMES[number // len(FIRST_NAMES) % len(LAST_NAMES)]} {number + 1}"


def seed(url: str, keys: Path, instance: Path, count: int, per_treater: int = 1) -> Seeded:
    """``count`` cases worked on for a few weeks, ``per_treater`` held by each
    partner-contact treater (the last may hold fewer), all handed over by one client treater;
    built through the services with a clock that starts a month ago."""
    from partnercontact.auth.models import User
    from partnercontact.clinics.clock import local_date
    from partnercontact.clock import FixedClock
    from partnercontact.db import db
    from partnercontact.partner_side import clinical
    from partnercontact.partner_side.models import PartnerCase
    from partnercontact.partner_side.scheduling import sessions
    from tests.cases_built import accepted_contact
    from tests.factories import Factory
    from tests.partners.conftest import handed_over_case

    def next_to_book(user: User, case_id: uuid.UUID) -> uuid.UUID | None:
        partner_case = db.session.get_one(PartnerCase, case_id)
        planned = [s for s in sessions.sessions_of(user, partner_case) if s.state == "to_book"]
        return planned[0].id if planned else None

    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    clock = FixedClock(start - timedelta(days=30))
    with app_context_on(url, keys, instance, clock):
        factory = Factory(clock)
        clinic = factory.default_clinic
        client_treater = factory.client_treater()
        held = []
        holder = factory.partner_treater()
        for number in range(count):
            if number and number % per_treater == 0:
                holder = factory.partner_treater()
            name = partner_name(number)
            case = handed_over_case(
                factory,
                clock,
                client_treater=client_treater,
                name=name,
                phone=f"070-{number:03d} 11 22",
                address=f"Exempelvägen {number + 1}, 123 45 Lindvik",
            )
            case_id = case.id
            user = holder.user
            accepted_contact(user, case_id, clock)
            child = clinical.record_child(
                user,
                case_id,
                clinical.ChildDetails(
                    label="Äldsta barnet", age=9, lives_with_client=False,
                    regular_contact_with_client=True,
                ),
            )  # fmt: skip
            clinical.save_safety_plan(
                user, case_id, child_id=None, content="Väska packad hos syster; kodord avtalat."
            )
            clinical.save_safety_plan(
                user, case_id, child_id=child.id, content="Hämtning sker via förskolan."
            )
            db.session.commit()
            held.append((holder, case_id, name))
        # Three sessions a week apart, each booked the day before and recorded as held with a
        # note, on every case; the clock only moves forward.
        for week in range(3):
            clock.set(start - timedelta(days=29 - 7 * week))
            day = local_date(clock.now(), clinic) + timedelta(days=1)
            booked = []
            for holder, case_id, _ in held:
                session_id = next_to_book(holder.user, case_id)
                if session_id is None:
                    raise BenchError("accepting contact planned no sessions to book")
                sessions.book_session(
                    holder.user, case_id, session_id, day=day, at=time(10), minutes=60,
                    channel="meeting",
                )  # fmt: skip
                booked.append((holder, case_id, session_id))
            db.session.commit()
            clock.advance(days=2)
            for holder, case_id, session_id in booked:
                sessions.record_session(
                    holder.user,
                    case_id,
                    session_id,
                    outcome="held",
                    note=f"Samtal {week + 1}: går igenom säkerhetsplanen, mår bättre.",
                )
            db.session.commit()
        # One more booked ahead, a week from the real today.
        for holder, case_id, _ in held:
            session_id = next_to_book(holder.user, case_id)
            if session_id is not None:
                sessions.book_session(
                    holder.user, case_id, session_id,
                    day=local_date(start, clinic) + timedelta(days=7), at=time(10), minutes=60,
                    channel="meeting",
                )  # fmt: skip
        db.session.commit()
        cases = [SeededCase(login_of(holder), case_id, name) for holder, case_id, name in held]
        return Seeded(cases, login_of(client_treater))


def logged_in(port: int, logins: Sequence[Login]) -> dict[str, str]:
    """Each account logged in once (password and TOTP code): its session cookie by username."""
    cookies: dict[str, str] = {}
    for login in logins:
        if login.username not in cookies:
            cookies[login.username] = log_in(
                port, login.username, login.password, login.totp_secret
            )
    return cookies


def checked(port: int, visits: Sequence[Visit]) -> list[Visit]:
    """``visits``, each loaded once first: a page that is not what it should be stops the run
    before anything is measured."""
    for visit in visits:
        first = request(port, visit.path, visit.cookie)
        if first.status != 200 or visit.expect not in first.body:
            raise BenchError(f"{visit.path} answered {first.status} without {visit.expect!r}")
    return list(visits)


def case_pages(port: int, cases: Sequence[SeededCase], view: str) -> list[Visit]:
    """Each case's page on the tab ``view`` as its holder sees it, logged in."""
    return case_tabs(port, cases, [view])[0]


def case_tabs(port: int, cases: Sequence[SeededCase], views: Sequence[str]) -> list[list[Visit]]:
    """For each of ``views``, each case's page on that tab as its holder sees it; each holder
    logged in once."""
    cookies = logged_in(port, [case.holder for case in cases])
    return [
        checked(port, [_tab_of(case, view, cookies[case.holder.username]) for case in cases])
        for view in views
    ]


def _tab_of(case: SeededCase, view: str, cookie: str) -> Visit:
    path, expect = case_tab(case.case_id, view)
    return Visit(path, cookie, expect)


def case_tab(case_id: uuid.UUID, view: str) -> tuple[str, str]:
    """The path of the case page's tab ``view``, and the text that proves a page that tab of
    that case: the tab's own link, marked as the page shown."""
    from partnercontact.web.partner_side.sections import DEFAULT_VIEW

    path = f"/partner/cases/{case_id}"
    if view != DEFAULT_VIEW:
        path += f"?view={view}"
    return path, f'href="{path}" aria-current="page"'


def page_name(view: str) -> str:
    return f"{BENCHMARK}, {view} tab"


def bare_reads(cases: Sequence[SeededCase]) -> tuple[list[Visit], list[Visit]]:
    """The bare app's plain read and its read plus insert, of each case's row."""
    reads = [Visit(f"/partner-case/{case.case_id}", None, str(case.case_id)) for case in cases]
    hits = [Visit(f"{visit.path}/hit", None, visit.expect) for visit in reads]
    return reads, hits


def alternating(
    targets: Sequence[tuple[int, Sequence[Visit]]], rounds: int, seconds: float, clients: int
) -> list[list[HttpRound]]:
    """Every target loaded by wrk for a moment to warm it up, then ``rounds`` rounds, each
    loading the targets one after the other: the rounds of each target, in order."""
    for port, visits in targets:
        wrk(port, visits, 1, clients)
    measured: list[list[HttpRound]] = [[] for _ in targets]
    for _ in range(rounds):
        for port_visits, mine in zip(targets, measured, strict=True):
            mine.append(wrk(*port_visits, seconds, clients))
    return measured


def measure(
    *,
    rounds: int = 3,
    seconds: float = 5.0,
    clients: int = 16,
    workers: int = 2,
    admin_url: str | None = None,
) -> HttpRun:
    """Seed ``clients`` cases, serve the application and the bare app, log every treater in
    and load the case pages and both baselines in alternating rounds, on a database of its own
    on the server of ``admin_url`` (see :func:`bench.common.postgres_server`)."""
    from partnercontact.web.partner_side.sections import DEFAULT_VIEW, VIEWS

    with migrated_database(admin_url, "pc_bench_case_page") as (url, keys, instance):
        cases = seed(url, keys, instance, clients).cases
        make_hit_table(url)
        reads, hits = bare_reads(cases)
        with gunicorn(
            app_environment(url, keys, instance),
            workers,
            ("bench.bare_read:app", hits[0].path),
            ("partnercontact.wsgi:app", "/healthz"),
        ) as (bare_port, app_port):
            tabs = case_tabs(app_port, cases, [view.key for view in VIEWS])
            hit_rounds, read_rounds, *tab_rounds = alternating(
                [(bare_port, hits), (bare_port, reads), *((app_port, tab) for tab in tabs)],
                rounds,
                seconds,
                clients,
            )
    return HttpRun(
        benchmark=BENCHMARK,
        title=f"Case page at {clients} clients",
        about=(
            f"`GET /partner/cases/<id>?view=<tab>`, each tab of the case page (the first, "
            f"`{DEFAULT_VIEW}`, is the page a link to the case opens) as the partner-contact "
            f"treater holding the case, every section filled; {clients} wrk connections, "
            f"each logged in beforehand (password and TOTP code) as its own treater and "
            f"loading its own case page, a new "
            f"connection per request (gunicorn's sync workers close each); gunicorn with "
            f"{workers} sync workers, production mode, PostgreSQL. Baselines from the same run "
            f"and database, rounds alternating: a bare Flask + SQLAlchemy app reading the "
            f"case's row, then inserting one row and committing (the shape of an audited "
            f"read; the targets' baseline), and the same app's bare one-row read. Target: "
            f"each tab's throughput at least 0.15 of the read plus insert's, and its p99 under "
            f"120 ms."
        ),
        clients=clients,
        workers=workers,
        seconds=seconds,
        pages=tuple(
            Endpoint(page_name(view.key), tuple(rounds))
            for view, rounds in zip(VIEWS, tab_rounds, strict=True)
        ),
        baselines=(
            Endpoint(READ_AND_INSERT, tuple(hit_rounds)),
            Endpoint(READ, tuple(read_rounds)),
        ),
    )


def main() -> None:
    args = http_arguments(__doc__.splitlines()[0], 5.0).parse_args()
    run = measure(
        rounds=args.rounds, seconds=args.seconds, clients=args.clients, workers=args.workers
    )
    report_http_run(run, args.rounds, args.seconds)


if __name__ == "__main__":
    main()
