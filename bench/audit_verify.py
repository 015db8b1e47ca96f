"""Audit rows verified per second on PostgreSQL, against a bare HMAC chain over the same rows
read from the same database in the same run.

- verify_chain: :func:`partnercontact.audit.verify.verify_chain` as ``partnercontact audit
  verify`` runs it (keyset pages of the driver's rows on the application's session, every
  row's MAC recomputed and compared, the seqs checked in order);
- baseline: a plain psycopg cursor reading the same columns in pages of the same size
  (``WHERE seq > last ORDER BY seq LIMIT n``), the time written out by the database in the
  chain's form as verify_chain reads it, encoding each row as the chain does (the canonical
  JSON written out as one format string) and computing its HMAC in a tight loop, no
  application code.

The log is generated first: ``--rows`` rows with a valid chain under the key file's audit MAC
key, varied actors, clinics, actions and records, copied in with ``COPY``. Both sides must
find every row intact, or the run fails. The rounds alternate between the two; the ratio is
what to compare between runs, the absolute numbers depend on the machine.

PostgreSQL: a database of its own on the server named by ``PCBENCH_PG_ADMIN_URL`` (bench/run
sets it), else on a throwaway cluster started for the run and removed afterwards. Invented
data only.

    .venv/bin/python -m bench.audit_verify [--rows 300000] [--rounds 3] [--batch-size N]
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from bench.common import (
    BenchError,
    Comparison,
    Series,
    migrated_database,
    print_table,
)
from partnercontact.audit.verify import WRITTEN_TIME

BENCHMARK = "audit verify"
COLUMNS = "seq, at, actor_id, clinic_id, action, resource_type, resource_id, outcome, mac"
# The time written out by the database in the chain's form (UTC, microseconds, Z), the
# cheapest way to have it, as verify_chain reads it on PostgreSQL too.
PAGE = (
    f"SELECT {COLUMNS.replace(' at,', ' ' + WRITTEN_TIME + ',')} FROM audit_event "  # noqa: S608
    "WHERE seq > %s ORDER BY seq LIMIT %s"
)
ACTIONS = (
    ("partner_case.viewed", "partner_case"),
    ("client_case.viewed", "client_case"),
    ("session.recorded", "contact_session"),
    ("letter.printed", "letter"),
    ("sms.sent", "sms_message"),
    ("auth.login", "user"),
)
OUTCOMES = ("ok", "ok", "ok", "denied")


def _psycopg_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _seed(url: str, key: bytes, rows: int) -> None:
    """``rows`` audit rows chained from the genesis MAC, as record_event would have written
    them, one second apart; copied in one ``COPY`` (the table only refuses changes)."""
    from partnercontact.audit.chain import GENESIS_MAC, EventFields, compute_mac

    start = datetime(2024, 1, 1, tzinfo=UTC)
    prev = GENESIS_MAC
    with psycopg.connect(_psycopg_url(url)) as conn:
        with conn.cursor() as cur:
            if cur.execute("SELECT count(*) FROM audit_event").fetchone() != (0,):
                raise BenchError("the new database already holds audit rows")
            with cur.copy(f"COPY audit_event ({COLUMNS}) FROM STDIN") as copy:
                for seq in range(1, rows + 1):
                    action, resource_type = ACTIONS[seq % len(ACTIONS)]
                    actor = None if seq % 50 == 0 else 1 + seq % 400
                    fields = EventFields(
                        seq=seq,
                        at=start + timedelta(seconds=seq, microseconds=seq % 1_000_000),
                        actor_id=actor,
                        clinic_id=1 + seq % 20,
                        action=action,
                        resource_type=resource_type,
                        resource_id=f"{(seq * 7919) % 5_000_000:08d}",
                        outcome=OUTCOMES[seq % len(OUTCOMES)],
                    )
                    prev = compute_mac(key, fields, prev)
                    copy.write_row(
                        (
                            seq,
                            fields.at,
                            fields.actor_id,
                            fields.clinic_id,
                            fields.action,
                            fields.resource_type,
                            fields.resource_id,
                            fields.outcome,
                            prev,
                        )
                    )
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE audit_event")


def _verify_chain(url: str, keys: Path, rows: int, batch_size: int | None) -> float:
    """Rows per second of verify_chain on the application's session, as the command runs it."""
    from partnercontact.app import create_app
    from partnercontact.audit.service import audit_mac_key
    from partnercontact.audit.verify import verify_chain
    from partnercontact.config import load_config
    from partnercontact.db import db

    config = load_config(
        environ={},
        overrides={"database": {"url": url}, "keys": {"file": str(keys)}},
        instance_path=keys.parent,
    )
    app = create_app(config)
    with app.app_context():
        options = {} if batch_size is None else {"batch_size": batch_size}
        started = time.perf_counter()
        result = verify_chain(db.session, audit_mac_key(), **options)
        elapsed = time.perf_counter() - started
        db.session.rollback()
    if not result.ok or result.rows_checked != rows:
        raise BenchError(f"verify_chain did not find {rows} intact rows: {result.reason}")
    return rows / elapsed


def _baseline(url: str, key: bytes, rows: int, batch_size: int) -> float:
    """Rows per second of the same check with no application code: the canonical encoding
    written out inline, one HMAC per row, compared with the stored MAC."""
    quote = json.encoder.encode_basestring_ascii
    digest, sha256 = hmac.digest, hashlib.sha256
    with psycopg.connect(_psycopg_url(url)) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        conn.execute("SELECT 1")
        started = time.perf_counter()
        prev = "0" * 64
        expected = 1
        last = 0
        with conn.cursor() as cur:
            while True:
                page = cur.execute(PAGE, (last, batch_size)).fetchall()
                for seq, stamp, actor, clinic, action, rtype, rid, outcome, mac in page:
                    if seq != expected:
                        raise BenchError(f"baseline: row {expected} is missing")
                    # The canonical encoding (sorted keys, no spaces, ASCII) written out.
                    data = (
                        f'{{"action":{quote(action)},'
                        f'"actor_id":{"null" if actor is None else actor},'
                        f'"at":"{stamp}","clinic_id":{"null" if clinic is None else clinic},'
                        f'"outcome":{quote(outcome)},"prev":"{prev}",'
                        f'"resource_id":{"null" if rid is None else quote(rid)},'
                        f'"resource_type":{quote(rtype)},"seq":{seq},'
                        f'"v":"partnercontact.audit/1"}}'
                    )
                    computed = digest(key, data.encode("ascii"), sha256).hex()
                    if not hmac.compare_digest(computed, mac):
                        raise BenchError(f"baseline: row {seq} does not match its MAC")
                    prev = mac
                    expected += 1
                if len(page) < batch_size:
                    break
                last = page[-1][0]
        elapsed = time.perf_counter() - started
        conn.rollback()
    if expected - 1 != rows:
        raise BenchError(f"baseline checked {expected - 1} rows, not {rows}")
    return rows / elapsed


def measure(
    *,
    rounds: int = 3,
    rows: int = 300_000,
    batch_size: int | None = None,
    admin_url: str | None = None,
) -> list[Comparison]:
    """Rows per second of verify_chain and of the bare chain, one value each per round, on
    one generated log of ``rows`` rows. ``batch_size`` is verify_chain's page size (its
    default if ``None``); the baseline reads pages of the same size."""
    from partnercontact.audit.verify import DEFAULT_BATCH_SIZE
    from partnercontact.crypto.keyfile import load_key_file
    from partnercontact.crypto.keyring import KeyRing

    page = batch_size or DEFAULT_BATCH_SIZE
    verified: list[float] = []
    bare: list[float] = []
    with migrated_database(admin_url, "pc_bench_audit_verify") as (url, keys, _instance):
        key = KeyRing(load_key_file(keys)).audit_mac_key
        print(f"generating {rows} audit rows...", file=sys.stderr, flush=True)
        began = time.monotonic()
        _seed(url, key, rows)
        print(f"  took {time.monotonic() - began:.1f} s", file=sys.stderr, flush=True)
        for _ in range(rounds):
            bare.append(_baseline(url, key, rows, page))
            verified.append(_verify_chain(url, keys, rows, batch_size))
            print(
                f"  verify_chain {verified[-1]:9.0f} rows/s, bare {bare[-1]:9.0f} rows/s",
                file=sys.stderr,
                flush=True,
            )
    return [
        Comparison(
            BENCHMARK,
            Series("verify_chain (audit verify)", "rows/s", tuple(verified)),
            Series("bare HMAC chain over a psycopg cursor", "rows/s", tuple(bare)),
            notes={"rows": str(rows), "page size": str(page)},
        )
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None)
    args = parser.parse_args()
    results = measure(rounds=args.rounds, rows=args.rows, batch_size=args.batch_size)
    print(f"{args.rows} rows")
    print_table(results)
    comparison = results[0]
    seconds = 2_000_000 / comparison.measured.median
    print(f"verify_chain at this rate: 2,000,000 rows in {seconds:.1f} s")


if __name__ == "__main__":
    main()
