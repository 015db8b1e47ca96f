"""Letters rendered to PDF and text messages sent through the outbox, per second, each
against a bare baseline measured in the same run:

- letters: ``send_letter`` (template, WeasyPrint, sealing, the record, the audit entry)
  against plain WeasyPrint of a static page of about the same length;
- text messages: ``queue_sms`` plus the worker's send through the outbox transport (the
  safety rules, sealing, two transactions, the state record, the audit entries) against a
  bare insert of one row, committed.

The ratios are what to compare between runs; the absolute numbers depend on the machine.
Runs on a throwaway SQLite database with invented data.

    .venv/bin/python -m bench.messaging [--letters 20] [--messages 200]

(as a module from the project root: it builds its invented case with the test suite's
factories)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Column, Integer, MetaData, String, Table, insert
from weasyprint import HTML

from partnercontact.app import create_app
from partnercontact.clock import FixedClock
from partnercontact.config import load_config
from partnercontact.crypto.keyfile import generate_key_file, load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.messaging.dispatch import send_due_sms
from partnercontact.messaging.letters import send_letter
from partnercontact.messaging.sms import new_idempotency_key, queue_sms
from partnercontact.messaging.transport import OutboxTransport
from partnercontact.migrate import upgrade
from tests.factories import Factory
from tests.messaging.sending import held_for_sms

STATIC_PAGE = (
    "<html><body><h1>Mottagningen</h1>"
    + "<p>En rad text som fyller sidan ungefär som ett brev gör.</p>" * 30
    + "</body></html>"
)


def per_second(count: int, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=20)
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        instance = Path(folder)
        key_file = instance / "keys.json"
        generate_key_file(key_file)
        url = f"sqlite:///{instance / 'bench.db'}"
        config = load_config(
            environ={},
            overrides={
                "database": {"url": url},
                "keys": {"file": str(key_file)},
                "auth": {"hashing_cost": "fast"},
            },
            instance_path=instance,
        )
        upgrade(url)
        clock = FixedClock()
        app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(key_file)))
        with app.app_context():
            held = held_for_sms(Factory(clock), clock)
            holder, case_id = held.holder.user, held.case.id

            def letter() -> None:
                send_letter(holder, case_id, "information", "sv")
                db.session.commit()

            def plain_pdf() -> None:
                HTML(string=STATIC_PAGE).write_pdf()

            def message() -> None:
                queue_sms(
                    holder,
                    case_id,
                    purpose="first_contact",
                    language="sv",
                    idempotency_key=new_idempotency_key(),
                )
                db.session.commit()
                send_due_sms(OutboxTransport())

            rows = Table(
                "bench_row",
                MetaData(),
                Column("id", Integer, primary_key=True),
                Column("body", String(300)),
            )
            rows.create(db.engine)

            def bare_insert() -> None:
                db.session.execute(insert(rows).values(body="x" * 120))
                db.session.commit()

            letter()  # warm up templates and fonts
            plain_pdf()
            results = [
                (
                    "letters (PDF) per second",
                    per_second(args.letters, letter),
                    "plain WeasyPrint",
                    per_second(args.letters, plain_pdf),
                ),
                (
                    "text messages per second",
                    per_second(args.messages, message),
                    "bare row insert",
                    per_second(args.messages, bare_insert),
                ),
            ]
    print(f"{'case':28} {'per s':>9} {'baseline':18} {'per s':>9} {'ratio':>7}")
    for name, rate, baseline_name, baseline in results:
        print(f"{name:28} {rate:9.1f} {baseline_name:18} {baseline:9.1f} {rate / baseline:7.3f}")


if __name__ == "__main__":
    main()
