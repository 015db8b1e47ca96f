"""Her portal under load: logging in with codename and passphrase, and her message page,
against a bare Flask JSON route.

- login: ``GET /`` for the form and its token, then ``POST /`` with her codename and
  passphrase, answered by the redirect to her start page; the passphrase is checked against an
  argon2 hash of the production cost, as in service (a login is meant to cost that much);
- message page: ``GET /start`` as she sees it when logged in: her thread of twelve messages,
  both ways, each unsealed under her case's key;
- baseline: a bare Flask app with one JSON route (``bench.bare_app``).

All three are served by the same gunicorn setup (sync workers, as in production) on loopback
and loaded by the same client in the same run, rounds alternating; the ratios are what to
compare between runs. Production mode on PostgreSQL: a database of its own on the server named
by ``PCBENCH_PG_ADMIN_URL`` (bench/run sets it), else a throwaway cluster. Invented data only.

    .venv/bin/python -m bench.portal [--seconds 4] [--clients 4] [--workers 2] [--rounds 3]

(as a module from the project root: it builds its cases with the test suite's factories)
"""

from __future__ import annotations

import argparse
import http.client
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from bench.common import (
    BenchError,
    Comparison,
    Load,
    Series,
    Visit,
    clean_environment,
    csrf_token,
    gunicorn,
    load,
    migrated_database,
    print_table,
    repeatedly,
    request,
    session_cookie,
)

BENCHMARK = "portal"
# Invented, as every login of the benchmarks.
PASSPHRASE = "tre gröna äpplen i korgen"  # noqa: S105
MESSAGES = 12


@dataclass(frozen=True)
class Her:
    """One load client: her codename, and a sentence only her thread holds."""

    codename: str
    marker: str


def seed(url: str, keys: Path, instance: Path, count: int) -> list[Her]:
    """``count`` partner cases in contact, each with her portal access redeemed and a thread
    of :data:`MESSAGES` messages, built through the services."""
    from partnercontact.app import create_app
    from partnercontact.clock import FixedClock
    from partnercontact.config import load_config
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing
    from partnercontact.db import db
    from partnercontact.partner_side import portal_access, portal_messages
    from tests.cases_built import accepted_contact
    from tests.factories import Factory
    from tests.partners.conftest import handed_over_case

    config = load_config(
        environ={},
        overrides={"database": {"url": url}, "keys": {"file": str(keys)}},
        instance_path=instance,
    )
    # Late morning on the clinic's clock: her plan (every day, 08-20) allows the call in which
    # her treater reads her the invitation code.
    clock = FixedClock(datetime.now(UTC).replace(hour=10, minute=0, second=0, microsecond=0))
    app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(keys)))
    seeded: list[Her] = []
    with app.app_context():
        factory = Factory(clock)
        client_treater = factory.client_treater()
        for number in range(count):
            holder = factory.partner_treater().user
            case = handed_over_case(
                factory,
                clock,
                client_treater=client_treater,
                name=f"Exempelkvinna {number + 1}",
                phone=f"070-{number:03d} 33 44",
            )
            accepted_contact(holder, case.id, clock)
            invitation = portal_access.invite(holder, case.id)
            codename = portal_access.redeem(invitation.code, PASSPHRASE, address="192.0.2.1")
            identity = portal_access.log_in(codename, PASSPHRASE, address="192.0.2.1")
            marker = f"Tråd nummer {number + 1}"
            for index in range(MESSAGES):
                clock.advance(minutes=5)
                text = f"{marker}: meddelande {index + 1}, om veckans samtal och tider."
                if index % 2:
                    portal_messages.write_from_her(identity, text)
                else:
                    portal_messages.write_to_her(holder, case.id, text)
            db.session.commit()
            seeded.append(Her(codename, marker))
        db.session.remove()
        db.engine.dispose()
    return seeded


def _log_in(port: int, her: Her) -> str:
    """Her login as her browser makes it; her session cookie (``name=value``)."""
    start = request(port, "/")
    cookie = session_cookie(start, None)
    fields = {
        "csrf_token": csrf_token(start.body),
        "codename": her.codename,
        "passphrase": PASSPHRASE,
    }
    reply = request(port, "/", cookie, "POST", urlencode(fields))
    cookie = session_cookie(reply, cookie)
    if reply.status != 302 or not reply.headers.get("location", "").endswith("/start"):
        raise BenchError(f"her login answered {reply.status}")
    assert cookie is not None
    return cookie


def load_logins(port: int, women: list[Her], seconds: float) -> Load:
    """One thread per woman, each logging in again and again until ``seconds`` have passed;
    a login (form and post) counts once, its latency from the form's request to the redirect."""

    def logging_in(her: Her) -> Callable[[], str | None]:
        def once() -> str | None:
            try:
                _log_in(port, her)
            except (OSError, http.client.HTTPException, BenchError) as exc:
                return f"login: {type(exc).__name__}: {exc}"
            return None

        return once

    return repeatedly([logging_in(her) for her in women], seconds)


def measure(
    *,
    rounds: int = 3,
    seconds: float = 4.0,
    clients: int = 4,
    workers: int = 2,
    admin_url: str | None = None,
) -> list[Comparison]:
    """Seed, serve the portal and the bare app, and load logins, her message page and the
    bare route in alternating rounds; raises :class:`BenchError` if any request failed."""

    with migrated_database(admin_url, "pc_bench_portal") as (url, keys, instance):
        women = seed(url, keys, instance, clients)
        env = clean_environment()
        env.update(
            {
                "PARTNERCONTACT_MODE": "production",
                "PARTNERCONTACT_DATABASE__URL": url,
                "PARTNERCONTACT_KEYS__FILE": str(keys),
                "PARTNERCONTACT_INSTANCE_PATH": str(instance),
                "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://partnercontact.example.org",
                "PARTNERCONTACT_PORTAL__PUBLIC_URL": "https://portal.example.org",
                "PARTNERCONTACT_WORKER__EMBEDDED": "false",
            }
        )
        with gunicorn(
            env,
            workers,
            ("bench.bare_app:app", "/ping"),
            ("partnercontact.portal.wsgi:app", "/"),
        ) as (bare_port, portal_port):
            bare = [Visit("/ping", None, '"ok"')] * clients
            pages = [Visit("/start", _log_in(portal_port, her), her.marker) for her in women]
            warm_up = min(1.0, seconds / 2)
            load(bare_port, bare, warm_up)
            load(portal_port, pages, warm_up)
            baseline: list[Load] = []
            logins: list[Load] = []
            threads: list[Load] = []
            for _ in range(rounds):  # interleaved, so drift hits all alike
                baseline.append(load(bare_port, bare, seconds))
                logins.append(load_logins(portal_port, women, seconds))
                threads.append(load(portal_port, pages, seconds))
    for round_ in (*baseline, *logins, *threads):
        if round_.errors:
            raise BenchError(f"{round_.errors} requests failed, e.g. {round_.first_error}")
    label = f"({clients} clients)"
    bare_series = Series(
        f"bare Flask JSON route {label}", "req/s", tuple(r.per_second for r in baseline)
    )
    return [
        Comparison(
            BENCHMARK,
            # A login is counted once for its two requests (the form, then the post).
            Series(f"her login {label}", "req/s", tuple(r.per_second for r in logins)),
            bare_series,
        ),
        Comparison(
            BENCHMARK,
            Series(f"her message page {label}", "req/s", tuple(r.per_second for r in threads)),
            bare_series,
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0)
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
