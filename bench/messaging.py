"""Letters rendered to PDF and text messages sent through the outbox, per second, each
against a bare baseline measured in the same run:

- letters: ``send_letter`` (template, WeasyPrint, sealing, the record, the audit entry)
  against plain WeasyPrint of a static page of about the same length, and against plain
  WeasyPrint of the very letter's HTML (the same document, with its window envelope, footer
  and fonts: what the service adds around the printing, alone);
- text messages: ``queue_sms`` plus the worker's send through the outbox transport (the
  safety rules, sealing, two transactions, the state record, the audit entries) against a
  bare insert of one row, committed.

Each action runs as a web request runs it: its audit entries join the chain once, at its
commit (``appends_at_commit``, as every request defers them). Each round measures a baseline
and then its action; the ratios are what to compare between runs, the absolute numbers depend
on the machine. Runs on a throwaway SQLite database with
invented data.

    .venv/bin/python -m bench.messaging [--letters 20] [--messages 200] [--rounds 3]

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

from bench.common import Comparison, Series, print_table
from partnercontact.app import create_app
from partnercontact.audit.service import appends_at_commit
from partnercontact.clock import FixedClock
from partnercontact.config import load_config
from partnercontact.crypto.keyfile import generate_key_file, load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.migrate import upgrade
from partnercontact.partner_side.messaging.dispatch import send_due_sms
from partnercontact.partner_side.messaging.letters import preview_letter, send_letter
from partnercontact.partner_side.messaging.sms import new_idempotency_key, queue_sms
from partnercontact.transports.transport import OutboxTransport
from tests.factories import Factory
from tests.messaging.sending import held_for_sms

STATIC_PAGE = (
    "<html><body><h1>Mottagningen</h1>"
    + "<p>En rad text som fyller sidan ungefär som ett brev gör.</p>" * 30
    + "</body></html>"
)
BENCHMARK = "messaging"


def per_second(count: int, action: Callable[[], object]) -> float:
    started = time.perf_counter()
    for _ in range(count):
        action()
    return count / (time.perf_counter() - started)


def measure(*, rounds: int = 3, letters: int = 20, messages: int = 200) -> list[Comparison]:
    """Letters and text messages per second, each against its baseline, one value per round
    (rounds alternate between the measured action and its baseline)."""
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

            # The same letter and text again and again, on a clock that stands still: each a
            # confirmed repeat, as the measured path is the send, not the question before it.
            def letter() -> None:
                with appends_at_commit():
                    send_letter(holder, case_id, "information", "sv", confirm_duplicate=True)
                    db.session.commit()

            def plain_pdf() -> None:
                HTML(string=STATIC_PAGE).write_pdf()

            # The letter as the service would print it today, style inline.
            same_letter = preview_letter(holder, case_id, "information", "sv")
            db.session.commit()

            def same_letter_pdf() -> None:
                HTML(string=same_letter).write_pdf()

            def message() -> None:
                with appends_at_commit():
                    queue_sms(
                        holder,
                        case_id,
                        purpose="first_contact",
                        language="sv",
                        idempotency_key=new_idempotency_key(),
                        confirm_duplicate=True,
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
            same_letter_pdf()
            names = ("letter", "pdf", "same", "sms", "row")
            rates: dict[str, list[float]] = {name: [] for name in names}
            for _ in range(rounds):
                rates["pdf"].append(per_second(letters, plain_pdf))
                rates["same"].append(per_second(letters, same_letter_pdf))
                rates["letter"].append(per_second(letters, letter))
                rates["row"].append(per_second(messages, bare_insert))
                rates["sms"].append(per_second(messages, message))
            db.session.remove()
            db.engine.dispose()
    sent = Series("letters (PDF)", "per s", tuple(rates["letter"]))
    return [
        Comparison(BENCHMARK, sent, Series("plain WeasyPrint page", "per s", tuple(rates["pdf"]))),
        Comparison(
            BENCHMARK,
            # The same rounds again, named for the row that shows this ratio.
            Series("letters (PDF), against the same document", "per s", sent.rounds),
            Series("plain WeasyPrint, the same letter's HTML", "per s", tuple(rates["same"])),
        ),
        Comparison(
            BENCHMARK,
            Series("text messages (queue and send)", "per s", tuple(rates["sms"])),
            Series("bare row insert", "per s", tuple(rates["row"])),
        ),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=20)
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print_table(measure(rounds=args.rounds, letters=args.letters, messages=args.messages))


if __name__ == "__main__":
    main()
