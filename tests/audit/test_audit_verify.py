"""verify_chain finds every kind of tampering, at the right row; heads catch the tail.

Tampering goes around the application: on PostgreSQL as the superuser with triggers
switched off (session_replication_role = replica), on SQLite through a plain connection.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, delete, event, insert, select, text, update

from partnercontact.audit.chain import GENESIS_MAC, EventFields, compute_mac
from partnercontact.audit.errors import HeadFormatError
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.audit.verify import ChainHead, VerifyResult, export_head, verify_chain
from partnercontact.clock import FixedClock
from partnercontact.db import db

Recorder = Callable[[int], list[AuditEvent]]
Attacker = Callable[[], Any]
TABLE = AuditEvent.__table__


def _verify(key: bytes, head: ChainHead | None = None, **options: Any) -> VerifyResult:
    db.session.rollback()  # see what is in the database now, not a cached transaction
    return verify_chain(db.session, key, head=head, **options)


def _assert_broken_at(result: VerifyResult, seq: int) -> None:
    assert not result.ok, result.reason
    assert result.first_bad_seq == seq, result.reason
    assert result.reason


def _row(conn: Connection, seq: int) -> dict[str, Any]:
    return dict(conn.execute(select(TABLE).where(TABLE.c.seq == seq)).mappings().one())


# --- an intact log ---------------------------------------------------------------------


def test_an_intact_chain_verifies(record_chain: Recorder, key: bytes) -> None:
    events = record_chain(10)

    result = _verify(key)

    assert result.ok, result.reason
    assert (result.rows_checked, result.first_bad_seq) == (10, None)
    assert result.tail is not None
    assert (result.tail.seq, result.tail.mac) == (10, events[-1].mac)


def test_an_empty_log_verifies(audit_app: Flask, key: bytes) -> None:
    result = _verify(key)
    assert result.ok
    assert (result.rows_checked, result.first_bad_seq, result.tail) == (0, None, None)


def test_the_wrong_key_fails_at_the_first_row(record_chain: Recorder) -> None:
    record_chain(3)
    _assert_broken_at(_verify(b"w" * 32), 1)


# --- altered rows ----------------------------------------------------------------------

# (row, statement). Row 2 is an access.denied by actor 8 in clinic 1 for resource
# "partner_side.case_detail"; row 4 a clinic.settings_updated by actor 3.
ALTERATIONS = {
    "action": (4, "UPDATE audit_event SET action = 'auth.logout' WHERE seq = 4"),
    "actor": (2, "UPDATE audit_event SET actor_id = 99 WHERE seq = 2"),
    "actor_removed": (4, "UPDATE audit_event SET actor_id = NULL WHERE seq = 4"),
    "clinic": (4, "UPDATE audit_event SET clinic_id = 1 WHERE seq = 4"),
    "resource_type": (4, "UPDATE audit_event SET resource_type = 'user' WHERE seq = 4"),
    "resource_id": (2, "UPDATE audit_event SET resource_id = 'public.login' WHERE seq = 2"),
    "denial_hidden": (2, "UPDATE audit_event SET outcome = 'ok' WHERE seq = 2"),
    "mac_of_another_row": (
        6,
        "UPDATE audit_event SET mac = (SELECT mac FROM audit_event WHERE seq = 7) WHERE seq = 6",
    ),
}


@pytest.mark.parametrize("column", list(ALTERATIONS))
def test_an_altered_row_is_found(
    record_chain: Recorder, attacker: Attacker, key: bytes, column: str
) -> None:
    record_chain(10)
    seq, statement = ALTERATIONS[column]
    with attacker() as conn:
        assert conn.execute(text(statement)).rowcount == 1

    result = _verify(key)

    _assert_broken_at(result, seq)
    assert result.rows_checked == seq - 1


def test_an_altered_time_is_found(record_chain: Recorder, attacker: Attacker, key: bytes) -> None:
    events = record_chain(10)
    with attacker() as conn:
        conn.execute(
            update(TABLE).where(TABLE.c.seq == 5).values(at=events[4].at - timedelta(minutes=3))
        )
    _assert_broken_at(_verify(key), 5)


@pytest.mark.parametrize("backend", ["sqlite"])  # PostgreSQL's types refuse such values
def test_a_value_that_cannot_be_read_back_is_reported_not_raised(
    record_chain: Recorder, attacker: Attacker, key: bytes
) -> None:
    record_chain(6)
    with attacker() as conn:
        conn.execute(text("UPDATE audit_event SET at = 'yesterday' WHERE seq = 4"))

    result = _verify(key)

    _assert_broken_at(result, 4)
    assert result.rows_checked == 3


# --- deleted rows ----------------------------------------------------------------------


@pytest.mark.parametrize(("first", "last"), [(5, 5), (4, 6), (1, 1), (1, 3)])
def test_deleted_rows_are_found(
    record_chain: Recorder, attacker: Attacker, key: bytes, first: int, last: int
) -> None:
    record_chain(10)
    with attacker() as conn:
        conn.execute(delete(TABLE).where(TABLE.c.seq.between(first, last)))

    result = _verify(key)

    _assert_broken_at(result, first)
    assert "missing" in result.reason


def test_a_deletion_hidden_by_renumbering_is_found(
    record_chain: Recorder, attacker: Attacker, key: bytes
) -> None:
    record_chain(10)
    with attacker() as conn:
        conn.execute(delete(TABLE).where(TABLE.c.seq == 5))
        # Close the gap: 6..10 become 5..9 (via negatives, to keep seq unique meanwhile).
        conn.execute(text("UPDATE audit_event SET seq = -seq WHERE seq > 5"))
        conn.execute(text("UPDATE audit_event SET seq = -seq - 1 WHERE seq < 0"))

    _assert_broken_at(_verify(key), 5)


# --- inserted rows ---------------------------------------------------------------------


@pytest.mark.parametrize("forged_mac", ["replayed", "invented"])
def test_a_row_appended_by_hand_is_found(
    record_chain: Recorder, attacker: Attacker, key: bytes, forged_mac: str
) -> None:
    record_chain(10)
    with attacker() as conn:
        forged = _row(conn, 10)  # a plausible row: the last one, replayed
        forged["seq"] = 11
        forged["actor_id"] = 99
        if forged_mac == "invented":
            forged["mac"] = "ab" * 32
        conn.execute(insert(TABLE).values(forged))

    _assert_broken_at(_verify(key), 11)


def test_a_row_inserted_in_the_middle_is_found(
    record_chain: Recorder, attacker: Attacker, key: bytes
) -> None:
    record_chain(10)
    with attacker() as conn:
        forged = _row(conn, 4)
        # Make room at 5: 5..10 become 6..11.
        conn.execute(text("UPDATE audit_event SET seq = -seq WHERE seq >= 5"))
        conn.execute(text("UPDATE audit_event SET seq = 1 - seq WHERE seq < 0"))
        forged["seq"] = 5
        conn.execute(insert(TABLE).values(forged))

    result = _verify(key)

    _assert_broken_at(result, 5)
    assert result.rows_checked == 4


def test_a_row_inserted_before_the_first_is_found(
    record_chain: Recorder, attacker: Attacker, key: bytes
) -> None:
    record_chain(3)
    with attacker() as conn:
        forged = _row(conn, 1)
        forged["seq"] = 0
        conn.execute(insert(TABLE).values(forged))

    _assert_broken_at(_verify(key), 0)


def test_a_row_spliced_in_from_another_history_is_found(
    record_chain: Recorder, attacker: Attacker, key: bytes
) -> None:
    # A row with a genuine MAC for its seq, but from a different history under the same
    # key (say, a restored backup): only the link to the previous row's MAC betrays it.
    record_chain(10)
    with attacker() as conn:
        original_7 = _row(conn, 7)
        conn.execute(delete(TABLE).where(TABLE.c.seq >= 5))
    record_chain(6)  # rows 5..10 again, legitimately, with different contents and times
    with attacker() as conn:
        conn.execute(update(TABLE).where(TABLE.c.seq == 7).values(original_7))

    result = _verify(key)

    _assert_broken_at(result, 7)
    assert result.rows_checked == 6


# --- reordered rows --------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second"), [(3, 7), (5, 6), (1, 10)])
def test_swapped_rows_are_found(
    record_chain: Recorder, attacker: Attacker, key: bytes, first: int, second: int
) -> None:
    record_chain(10)
    with attacker() as conn:
        a, b = _row(conn, first), _row(conn, second)
        # Everything but the seq changes places, MACs included: each row is genuine,
        # only its position is false.
        conn.execute(update(TABLE).where(TABLE.c.seq == first).values({**b, "seq": first}))
        conn.execute(update(TABLE).where(TABLE.c.seq == second).values({**a, "seq": second}))

    _assert_broken_at(_verify(key), first)


# --- the tail, against an exported head ------------------------------------------------


def test_a_truncated_tail_is_found_only_with_a_head(
    record_chain: Recorder, attacker: Attacker, key: bytes
) -> None:
    record_chain(10)
    head = export_head(db.session)
    with attacker() as conn:
        conn.execute(delete(TABLE).where(TABLE.c.seq >= 8))

    # What remains is a valid chain: without a head the cut cannot be seen. This is
    # why operators keep exported heads outside the database.
    assert _verify(key).ok

    result = _verify(key, head=ChainHead.from_json(head.to_json()))
    _assert_broken_at(result, 8)
    assert result.rows_checked == 7
    assert "removed" in result.reason


def test_a_log_emptied_entirely_is_found_with_a_head(
    record_chain: Recorder, attacker: Attacker, key: bytes
) -> None:
    record_chain(4)
    head = export_head(db.session)
    with attacker() as conn:
        conn.execute(delete(TABLE))

    _assert_broken_at(_verify(key, head=head), 1)


def test_a_tail_rewritten_with_the_key_differs_from_the_head(
    record_chain: Recorder, attacker: Attacker, key: bytes, clock: FixedClock
) -> None:
    record_chain(10)
    head = export_head(db.session)
    with attacker() as conn:
        conn.execute(delete(TABLE).where(TABLE.c.seq >= 9))
    # Someone holding the key replaces rows 9 and 10 with valid-looking ones.
    for actor in (41, 42):
        record_event(
            AuditAction.AUTH_LOGOUT, actor_id=actor, resource_type="user", clock=clock, mac_key=key
        )
    db.session.commit()

    assert _verify(key).ok  # a valid chain, as far as the key can tell
    result = _verify(key, head=head)
    _assert_broken_at(result, 10)
    assert "differs from the exported head" in result.reason


def test_a_log_that_grew_past_its_head_verifies(record_chain: Recorder, key: bytes) -> None:
    record_chain(5)
    head = export_head(db.session)
    record_chain(5)

    result = _verify(key, head=head)

    assert result.ok, result.reason
    assert result.rows_checked == 10


def test_the_head_of_an_empty_log_is_genesis(audit_app: Flask, key: bytes) -> None:
    head = export_head(db.session)
    assert (head.seq, head.mac, head.at) == (0, GENESIS_MAC, None)
    assert _verify(key, head=ChainHead.from_json(head.to_json())).ok


def test_the_head_includes_an_event_of_the_same_transaction(
    record_chain: Recorder, clock: FixedClock, key: bytes
) -> None:
    record_chain(2)
    latest = record_event(
        AuditAction.AUDIT_HEAD_EXPORTED,
        actor_id=None,
        resource_type="audit_log",
        mac_key=key,
        clock=clock,
    )
    head = export_head(db.session)
    assert (head.seq, head.mac, head.at) == (3, latest.mac, latest.at)


def test_a_head_survives_json(record_chain: Recorder) -> None:
    record_chain(3)
    head = export_head(db.session)
    assert ChainHead.from_json(head.to_json()) == head
    assert ChainHead.from_json(head.to_json().encode()) == head


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        "[]",
        '{"format": "partnercontact.audit.head/1", "seq": 3, "mac": "' + "a" * 64 + '"}',
        '{"format": "something/1", "seq": 3, "mac": "' + "a" * 64 + '", "at": null}',
        '{"format": "partnercontact.audit.head/1", "seq": -1, "mac": "' + "a" * 64 + '", '
        '"at": null}',
        '{"format": "partnercontact.audit.head/1", "seq": true, "mac": "' + "a" * 64 + '", '
        '"at": null}',
        '{"format": "partnercontact.audit.head/1", "seq": "3", "mac": "' + "a" * 64 + '", '
        '"at": null}',
        '{"format": "partnercontact.audit.head/1", "seq": 3, "mac": "' + "A" * 64 + '", '
        '"at": null}',
        '{"format": "partnercontact.audit.head/1", "seq": 3, "mac": "abc", "at": null}',
        '{"format": "partnercontact.audit.head/1", "seq": 0, "mac": "' + "a" * 64 + '", '
        '"at": null}',
        '{"format": "partnercontact.audit.head/1", "seq": 3, "mac": "' + "a" * 64 + '", '
        '"at": "yesterday"}',
        '{"format": "partnercontact.audit.head/1", "seq": 3, "mac": "' + "a" * 64 + '", '
        '"at": "2026-01-15T09:00:00"}',
        '{"format": "partnercontact.audit.head/1", "seq": 3, "mac": "' + "a" * 64 + '", '
        '"at": null, "note": "extra"}',
    ],
)
def test_a_malformed_head_is_refused(document: str) -> None:
    with pytest.raises(HeadFormatError):
        ChainHead.from_json(document)


# --- reading in batches ----------------------------------------------------------------


@pytest.fixture
def statements(audit_app: Flask) -> Iterator[list[str]]:
    """The SQL statements run against the database while the test runs."""
    seen: list[str] = []

    def listen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    yield seen
    event.remove(db.engine, "before_cursor_execute", listen)


def test_rows_are_read_in_bounded_batches(
    record_chain: Recorder, key: bytes, statements: list[str]
) -> None:
    record_chain(23)
    db.session.rollback()
    statements.clear()

    result = verify_chain(db.session, key, batch_size=5)

    assert result.ok and result.rows_checked == 23
    reads = [s for s in statements if "FROM audit_event" in s]
    assert len(reads) == 5  # ceil(23 / 5) keyset pages, each with LIMIT
    assert all("LIMIT" in s.upper() for s in reads)


@pytest.mark.parametrize("batch_size", [1, 4, 5, 9, 5000])
@pytest.mark.parametrize(
    ("tampered", "statement"),
    [
        (10, "DELETE FROM audit_event WHERE seq = 10"),
        (11, "DELETE FROM audit_event WHERE seq = 11"),
        (15, "UPDATE audit_event SET actor_id = 99 WHERE seq = 15"),
        (23, "UPDATE audit_event SET outcome = 'failed' WHERE seq = 23"),
    ],
)
def test_batch_boundaries_do_not_hide_tampering(
    record_chain: Recorder,
    attacker: Attacker,
    key: bytes,
    batch_size: int,
    tampered: int,
    statement: str,
) -> None:
    record_chain(23)
    assert _verify(key, batch_size=batch_size).rows_checked == 23
    with attacker() as conn:
        conn.execute(text(statement))

    _assert_broken_at(_verify(key, batch_size=batch_size), tampered)


def test_progress_is_reported_by_page_up_to_the_rows_the_log_holds(
    record_chain: Recorder, key: bytes
) -> None:
    record_chain(23)
    calls: list[tuple[int, int | None]] = []

    result = _verify(
        key, batch_size=10, on_progress=lambda done, total: calls.append((done, total))
    )

    assert result.ok, result.reason
    assert calls == [(10, 23), (20, 23), (23, 23)]


def test_progress_of_an_empty_log_is_reported_once(audit_app: Flask, key: bytes) -> None:
    calls: list[tuple[int, int | None]] = []

    assert _verify(key, on_progress=lambda done, total: calls.append((done, total))).ok
    assert calls == [(0, None)]


@pytest.mark.parametrize(
    "text_value",
    ['quo"te', "back\\slash", "new\nline", "\u00e5\u00e4\u00f6", "\u2028", "\U0001f600", ""],
)
def test_rows_holding_any_text_are_checked_against_the_canonical_encoding(
    audit_app: Flask, clock: FixedClock, attacker: Attacker, key: bytes, text_value: str
) -> None:
    # The service writes identifiers only, but the verifier must agree with the chain's
    # encoding on whatever the table holds: rows sealed with the key (as an older version or
    # someone holding the key could write them) verify, and stay bound to their position.
    prev = GENESIS_MAC
    rows = []
    for seq in (1, 2, 3):
        at = clock.now() + timedelta(seconds=seq, microseconds=seq)
        fields = EventFields(seq, at, None, seq, text_value, "route", text_value or None, "ok")
        prev = compute_mac(key, fields, prev)
        rows.append({**dataclasses.asdict(fields), "mac": prev})
    with attacker() as conn:
        conn.execute(insert(TABLE), rows)

    result = _verify(key)

    assert result.ok, result.reason
    assert result.rows_checked == 3
    with attacker() as conn:
        conn.execute(text("UPDATE audit_event SET clinic_id = 7 WHERE seq = 2"))
    _assert_broken_at(_verify(key), 2)


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize(
    "moved",
    [
        # The same day and time, before Christ: a time pattern without an era reads the same.
        "at - make_interval(years => 2 * extract(year FROM at)::int - 1)",
        "at + interval '10000 years'",
    ],
    ids=["same-day-before-christ", "beyond-year-9999"],
)
def test_a_time_moved_out_of_the_calendar_of_the_log_is_found(
    record_chain: Recorder, attacker: Attacker, key: bytes, moved: str
) -> None:
    record_chain(5)
    with attacker() as conn:
        conn.execute(text(f"UPDATE audit_event SET at = {moved} WHERE seq = 3"))  # noqa: S608

    _assert_broken_at(_verify(key), 3)
