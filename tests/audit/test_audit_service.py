"""record_event: numbering, chaining, transactions, and what it refuses to write."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from partnercontact.audit.chain import GENESIS_MAC, EventFields, canonical_bytes, compute_mac
from partnercontact.audit.errors import AuditKeyError, InvalidAuditEvent
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import AUDIT_CHAIN_LOCK_KEY, record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.audit.verify import verify_chain
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.runtime import Runtime


def _fields(event: AuditEvent) -> EventFields:
    return EventFields(
        seq=event.seq,
        at=event.at,
        actor_id=event.actor_id,
        clinic_id=event.clinic_id,
        action=event.action,
        resource_type=event.resource_type,
        resource_id=event.resource_id,
        outcome=event.outcome,
    )


def test_canonical_encoding_is_pinned(key: bytes) -> None:
    # Every stored MAC depends on these exact bytes: a change here would make every
    # existing log fail verification, so it must be deliberate (a new ENCODING_VERSION).
    fields = EventFields(
        seq=12,
        at=datetime(2026, 1, 15, 9, 0, 1, 250, tzinfo=UTC),
        actor_id=7,
        clinic_id=None,
        action="auth.login_succeeded",
        resource_type="user",
        resource_id="7",
        outcome="ok",
    )
    assert canonical_bytes(fields, GENESIS_MAC) == (
        b'{"action":"auth.login_succeeded","actor_id":7,"at":"2026-01-15T09:00:01.000250Z",'
        b'"clinic_id":null,"outcome":"ok","prev":"' + GENESIS_MAC.encode() + b'",'
        b'"resource_id":"7","resource_type":"user","seq":12,"v":"partnercontact.audit/1"}'
    )
    assert compute_mac(key, fields, GENESIS_MAC) == (
        "50636529884bb939910fae18c710901d67f5681276d54942ec650324addb159f"
    )


def test_encoding_distinguishes_null_from_text(key: bytes) -> None:
    at = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    base = dict(seq=1, at=at, actor_id=None, clinic_id=None, action="auth.logout")
    with_null = EventFields(**base, resource_type="user", resource_id=None, outcome="ok")
    with_text = EventFields(**base, resource_type="user", resource_id="None", outcome="ok")
    assert compute_mac(key, with_null, GENESIS_MAC) != compute_mac(key, with_text, GENESIS_MAC)


def test_events_are_numbered_from_one_and_chained(
    record_chain: Callable[[int], list[AuditEvent]], key: bytes
) -> None:
    events = record_chain(3)

    assert [event.seq for event in events] == [1, 2, 3]
    assert events[0].mac == compute_mac(key, _fields(events[0]), GENESIS_MAC)
    assert events[1].mac == compute_mac(key, _fields(events[1]), events[0].mac)
    assert events[2].mac == compute_mac(key, _fields(events[2]), events[1].mac)
    assert verify_chain(db.session, key).ok


def test_record_event_flushes_but_never_commits(
    audit_app: Flask, clock: FixedClock, key: bytes, count_rows: Callable[[], int]
) -> None:
    event = record_event(
        AuditAction.USER_DISABLED,
        actor_id=3,
        resource_type="user",
        resource_id="9",
        clock=clock,
        mac_key=key,
    )
    assert event.seq == 1
    assert count_rows() == 1  # flushed: visible inside the transaction

    db.session.rollback()
    assert count_rows() == 0  # not committed: gone with the caller's transaction

    again = record_event(
        AuditAction.USER_DISABLED, actor_id=3, resource_type="user", clock=clock, mac_key=key
    )
    assert again.seq == 1  # the rolled-back seq is reused: no gap in the chain
    db.session.commit()
    assert verify_chain(db.session, key).ok


def test_stored_values_are_what_was_given(audit_app: Flask, clock: FixedClock, key: bytes) -> None:
    clock.set(datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=UTC))
    record_event(
        "access.denied",
        actor_id=8,
        clinic_id=2,
        resource_type="route",
        resource_id="partner_side.case_detail",
        outcome="denied",
        clock=clock,
        mac_key=key,
    )
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(AuditEvent, 1)
    assert stored is not None
    assert (stored.action, stored.outcome) == ("access.denied", "denied")
    assert (stored.actor_id, stored.clinic_id) == (8, 2)
    assert (stored.resource_type, stored.resource_id) == ("route", "partner_side.case_detail")
    assert stored.at == datetime(2026, 3, 1, 12, 30, 45, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "change",
    [
        {"action": "auth.something_unknown"},
        {"action": 7},
        {"outcome": "maybe"},
        {"resource_type": "User Record"},
        {"resource_type": ""},
        {"resource_id": "Anna Svensson"},
        {"resource_id": "anna@example.org"},
        {"resource_id": "+46701234567"},
        {"resource_id": "Åsa"},
        {"resource_id": ""},
        {"resource_id": "x" * 129},
        {"resource_id": 42},
        {"actor_id": True},
        {"actor_id": "7"},
        {"clinic_id": 1.5},
    ],
    ids=repr,
)
def test_refuses_values_the_log_must_not_hold(
    audit_app: Flask,
    clock: FixedClock,
    key: bytes,
    count_rows: Callable[[], int],
    change: dict[str, Any],
) -> None:
    arguments: dict[str, Any] = dict(
        action=AuditAction.USER_CREATED,
        actor_id=3,
        clinic_id=1,
        resource_type="user",
        resource_id="9",
        outcome=Outcome.OK,
    )
    arguments.update(change)
    action = arguments.pop("action")

    with pytest.raises(InvalidAuditEvent):
        record_event(action, **arguments, clock=clock, mac_key=key)
    assert count_rows() == 0


def test_the_longest_allowed_resource_id_is_kept(
    audit_app: Flask, clock: FixedClock, key: bytes
) -> None:
    longest = "a" * 128
    event = record_event(
        AuditAction.ACCESS_DENIED,
        actor_id=1,
        resource_type="route",
        resource_id=longest,
        clock=clock,
        mac_key=key,
    )
    db.session.commit()
    assert event.resource_id == longest


def test_refuses_a_short_key(audit_app: Flask, clock: FixedClock) -> None:
    with pytest.raises(AuditKeyError):
        record_event(
            AuditAction.AUTH_LOGOUT,
            actor_id=1,
            resource_type="user",
            clock=clock,
            mac_key=b"k" * 31,
        )


def test_refuses_a_naive_clock(audit_app: Flask, key: bytes) -> None:
    naive = FixedClock(datetime(2026, 1, 15, 9, 0))  # noqa: DTZ001
    with pytest.raises(InvalidAuditEvent):
        record_event(
            AuditAction.AUTH_LOGOUT, actor_id=1, resource_type="user", clock=naive, mac_key=key
        )


def test_key_and_clock_default_to_the_runtime(runtime: Runtime, key: bytes) -> None:
    event = record_event(AuditAction.AUTH_LOGOUT, actor_id=1, resource_type="user")
    db.session.commit()

    assert event.at == runtime.clock.now()
    assert verify_chain(db.session, key).ok


@pytest.mark.parametrize("backend", ["postgresql"])
def test_postgresql_appends_hold_the_chain_lock_until_the_transaction_ends(
    audit_app: Flask, clock: FixedClock, key: bytes
) -> None:
    def lock_is_free() -> bool:
        # Asked from another app context: its own session, connection and transaction.
        with audit_app.app_context():
            free = db.session.scalar(
                text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": AUDIT_CHAIN_LOCK_KEY}
            )
            db.session.rollback()
            return bool(free)

    assert lock_is_free()
    record_event(
        AuditAction.AUTH_LOGOUT, actor_id=1, resource_type="user", clock=clock, mac_key=key
    )
    # Another appender would wait here, before reading the tail, instead of forking the chain.
    assert not lock_is_free()
    db.session.commit()
    assert lock_is_free()

    with audit_app.app_context():
        second = record_event(
            AuditAction.AUTH_LOGOUT, actor_id=2, resource_type="user", clock=clock, mac_key=key
        )
        db.session.commit()
        assert second.seq == 2
    assert verify_chain(db.session, key).ok


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_appender_that_waited_for_the_lock_chains_onto_what_was_committed_meanwhile(
    audit_app: Flask, clock: FixedClock, key: bytes
) -> None:
    # The tail must be read after the lock is granted, not with a snapshot from before the
    # wait: else the waiter would take the same seq as the event committed while it waited.
    first = record_event(
        AuditAction.AUTH_LOGOUT, actor_id=1, resource_type="user", clock=clock, mac_key=key
    )
    outcome: dict[str, object] = {}

    def append_elsewhere() -> None:
        with audit_app.app_context():
            try:
                db.session.execute(text("SET lock_timeout = '20s'"))
                outcome["seq"] = record_event(
                    AuditAction.AUTH_LOGOUT, actor_id=2, resource_type="user", clock=clock,
                    mac_key=key,
                ).seq  # fmt: skip
                db.session.commit()
            except Exception as exc:  # noqa: BLE001  (reported to the test's thread)
                outcome["error"] = exc
                db.session.rollback()

    waiter = threading.Thread(target=append_elsewhere)
    waiter.start()
    waiting = text(
        "SELECT count(*) FROM pg_stat_activity"
        " WHERE wait_event_type = 'Lock' AND query LIKE '%pg_advisory_xact_lock%'"
    )
    with audit_app.app_context():
        for _ in range(400):
            if db.session.scalar(waiting):
                break
            db.session.rollback()
            time.sleep(0.025)
        else:
            pytest.fail("the second appender never waited for the chain's lock")
        db.session.rollback()
    db.session.commit()
    waiter.join(timeout=60)

    assert "error" not in outcome
    assert (first.seq, outcome["seq"]) == (1, 2)
    assert verify_chain(db.session, key).ok
