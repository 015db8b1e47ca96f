"""The partner-contact treater's case page under load, against a bare one-row read.

- case page: ``GET /partner/cases/<id>`` as the treater holding the case sees it, every
  section filled from invented data built through the real services (a registered client
  with signed consent, handed over, picked up, found suitable, reached, her acceptance, a
  risk assessment, a child, safety plans, three contact sessions held with notes and one
  booked); served in production mode on PostgreSQL, with a TOTP second factor at login;
- baseline: a bare Flask app reading the case's row through SQLAlchemy (``bench.bare_read``).

Both are served by the same gunicorn setup (sync workers, as in production) on loopback and
loaded by the same client in the same run: ``clients`` threads, each logged in as its own
treater (password, then the TOTP code) and loading its own case page, again and again for
``seconds``, on a fresh connection each time as gunicorn's sync workers want. Rounds alternate
between the two, so drift hits both alike. Reported per round: pages per second, and the
median (p50) and 99th-percentile (p99) latency; the ratios are what to compare between runs,
not the absolute numbers, which depend on the machine.

PostgreSQL: a database of its own on the server named by ``PCBENCH_PG_ADMIN_URL`` (bench/run
sets it), else on a throwaway cluster started for the run. Invented data only.

    .venv/bin/python -m bench.case_page [--seconds 5] [--clients 16] [--workers 2] [--rounds 3]

(as a module from the project root: it builds its cases with the test suite's factories)
"""

from __future__ import annotations

import argparse
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

from bench.common import (
    BenchError,
    Comparison,
    Load,
    Series,
    Visit,
    clean_environment,
    gunicorn,
    load,
    log_in,
    migrated_database,
    print_table,
    request,
)

BENCHMARK = "case page"
# Invented names, one per load client; each appears only on its own case page.
FIRST_NAMES = ("Maja", "Sara", "Elin", "Nora", "Lina", "Hanna", "Ida", "Moa")
LAST_NAMES = ("Påhittad", "Exempelsson", "Lindvik", "Testberg")


@dataclass(frozen=True)
class SeededCase:
    """One load client's treater and the case that treater holds."""

    username: str
    password: str
    totp_secret: str
    case_id: uuid.UUID
    partner_name: str


@dataclass(frozen=True)
class CasePageRun:
    """Every round of both servers, and the comparisons built from them."""

    clients: int
    workers: int
    seconds: float
    case_rounds: tuple[Load, ...]
    baseline_rounds: tuple[Load, ...]

    @property
    def errors(self) -> int:
        return sum(r.errors for r in (*self.case_rounds, *self.baseline_rounds))

    @property
    def first_error(self) -> str | None:
        every = (*self.case_rounds, *self.baseline_rounds)
        return next((r.first_error for r in every if r.first_error), None)

    @property
    def comparisons(self) -> list[Comparison]:
        page = f"case page ({self.clients} clients)"
        bare = f"bare one-row read ({self.clients} clients)"

        def pair(what: str, unit: str, value) -> Comparison:  # type: ignore[no-untyped-def]
            return Comparison(
                BENCHMARK,
                Series(f"{page}, {what}", unit, tuple(map(value, self.case_rounds))),
                Series(f"{bare}, {what}", unit, tuple(map(value, self.baseline_rounds))),
            )

        return [
            pair("throughput", "req/s", lambda r: r.per_second),
            pair("p50 latency", "ms", lambda r: r.percentile(0.50)),
            pair("p99 latency", "ms", lambda r: r.percentile(0.99)),
        ]


def partner_name(number: int) -> str:
    first = FIRST_NAMES[number % len(FIRST_NAMES)]
    return f"{first} {LAST_NAMES[number // len(FIRST_NAMES) % len(LAST_NAMES)]} {number + 1}"


def seed(url: str, keys: Path, instance: Path, count: int) -> list[SeededCase]:
    """``count`` partner-contact treaters, each holding one case worked on for a few weeks,
    built through the services with a clock that starts a month ago."""
    from partnercontact.app import create_app
    from partnercontact.clinics.clock import local_date
    from partnercontact.clock import FixedClock
    from partnercontact.config import load_config
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing
    from partnercontact.db import db
    from partnercontact.partner_side import clinical
    from partnercontact.partner_side.models import PartnerCase
    from partnercontact.partner_side.scheduling import sessions
    from tests.cases_built import accepted_contact
    from tests.factories import Factory
    from tests.partners.conftest import handed_over_case

    def next_to_book(user, case_id):  # type: ignore[no-untyped-def]
        partner_case = db.session.get_one(PartnerCase, case_id)
        planned = [s for s in sessions.sessions_of(user, partner_case) if s.state == "to_book"]
        return planned[0].id if planned else None

    # Passwords hashed at a trivial cost: the server verifies each at login whatever its cost
    # (and hashes it again at its own), and logins are not what is measured.
    config = load_config(
        environ={},
        overrides={
            "database": {"url": url},
            "keys": {"file": str(keys)},
            "auth": {"hashing_cost": "fast"},
        },
        instance_path=instance,
    )
    start = datetime.now(UTC).replace(hour=8, minute=0, second=0, microsecond=0)
    clock = FixedClock(start - timedelta(days=30))
    app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(keys)))
    seeded: list[SeededCase] = []
    with app.app_context():
        factory = Factory(clock)
        clinic = factory.default_clinic
        client_treater = factory.client_treater()
        held = []
        for number in range(count):
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
        for holder, case_id, name in held:
            assert holder.totp_secret is not None
            seeded.append(SeededCase(holder.username, holder.password, holder.totp_secret,
                                     case_id, name))  # fmt: skip
        db.session.remove()
        db.engine.dispose()
    return seeded


def measure(
    *,
    rounds: int = 3,
    seconds: float = 5.0,
    clients: int = 16,
    workers: int = 2,
    admin_url: str | None = None,
) -> CasePageRun:
    """Seed, serve both apps, log every client in and load both in alternating rounds, on a
    database of its own on the server of ``admin_url`` (see :func:`postgres_server`).
    Requests that fail under load are counted in the result, not raised."""

    with migrated_database(admin_url, "pc_bench_case_page") as (url, keys, instance):
        cases = seed(url, keys, instance, clients)
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
        reads = [Visit(f"/partner-case/{case.case_id}", None, str(case.case_id)) for case in cases]
        with gunicorn(
            env,
            workers,
            ("bench.bare_read:app", reads[0].path),
            ("partnercontact.wsgi:app", "/healthz"),
        ) as (bare_port, app_port):
            pages = []
            for case in cases:
                cookie = log_in(app_port, case.username, case.password, case.totp_secret)
                path = f"/partner/cases/{case.case_id}"
                first = request(app_port, path, cookie)
                if first.status != 200 or case.partner_name not in first.body:
                    raise BenchError(f"the case page answered {first.status} after login")
                pages.append(Visit(path, cookie, case.partner_name))
            warm_up = min(1.0, seconds / 2)
            load(bare_port, reads, warm_up)
            load(app_port, pages, warm_up)
            baseline_rounds, case_rounds = [], []
            for _ in range(rounds):
                baseline_rounds.append(load(bare_port, reads, seconds))
                case_rounds.append(load(app_port, pages, seconds))
    return CasePageRun(clients, workers, seconds, tuple(case_rounds), tuple(baseline_rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    run = measure(
        rounds=args.rounds, seconds=args.seconds, clients=args.clients, workers=args.workers
    )
    if run.errors:
        raise SystemExit(f"{run.errors} requests failed, e.g. {run.first_error}")
    print(
        f"gunicorn sync, {run.workers} workers, {run.clients} clients, "
        f"{args.rounds} x {args.seconds:g} s each"
    )
    print_table(run.comparisons)


if __name__ == "__main__":
    main()
