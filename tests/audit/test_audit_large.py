"""A long log verifies quickly in bounded memory, and tampering deep inside it is still found."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import insert, text

from partnercontact.audit.chain import GENESIS_MAC, EventFields, compute_mac
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.audit.verify import verify_chain
from partnercontact.clock import FixedClock
from partnercontact.db import db

ROWS = 100_000
INSERT_BATCH = 10_000
TAMPERED = 73_457

# (action, resource_type, outcome) cycled through the generated rows.
KINDS = [
    (AuditAction.AUTH_LOGIN_SUCCEEDED, "user", Outcome.OK),
    (AuditAction.ACCESS_DENIED, "route", Outcome.DENIED),
    (AuditAction.CLINIC_SETTINGS_UPDATED, "clinic", Outcome.OK),
    (AuditAction.AUTH_TOTP_FAILED, "user", Outcome.DENIED),
]


def _generate(key: bytes, start: datetime) -> None:
    """Write a valid chain of ROWS rows straight into the table, in large batches.

    MACs are computed with the same chain functions record_event uses; that the two agree
    is checked by appending a real record_event on top and verifying the whole.
    """
    prev = GENESIS_MAC
    batch: list[dict[str, Any]] = []
    for seq in range(1, ROWS + 1):
        action, resource_type, outcome = KINDS[seq % len(KINDS)]
        fields = EventFields(
            seq=seq,
            at=start + timedelta(seconds=seq, microseconds=seq % 997),
            actor_id=seq % 50 or None,
            clinic_id=seq % 3 or None,
            action=action.value,
            resource_type=resource_type,
            resource_id=str(seq % 1000) if seq % 7 else None,
            outcome=outcome.value,
        )
        prev = compute_mac(key, fields, prev)
        batch.append(
            {
                "seq": fields.seq,
                "at": fields.at,
                "actor_id": fields.actor_id,
                "clinic_id": fields.clinic_id,
                "action": fields.action,
                "resource_type": fields.resource_type,
                "resource_id": fields.resource_id,
                "outcome": fields.outcome,
                "mac": prev,
            }
        )
        if len(batch) == INSERT_BATCH:
            db.session.execute(insert(AuditEvent.__table__), batch)
            batch = []
    db.session.commit()


def test_a_log_of_100000_rows_verifies_and_keeps_finding_tampering(
    audit_app: Flask,
    key: bytes,
    clock: FixedClock,
    attacker: Callable[[], Any],
) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    _generate(key, start)
    clock.set(start + timedelta(days=30))
    appended = record_event(
        AuditAction.AUDIT_VERIFIED,
        actor_id=None,
        resource_type="audit_log",
        resource_id=str(ROWS),
        clock=clock,
        mac_key=key,
    )
    db.session.commit()
    assert appended.seq == ROWS + 1

    result = verify_chain(db.session, key)
    assert result.ok, result.reason
    assert result.rows_checked == ROWS + 1

    with attacker() as conn:
        conn.execute(
            text("UPDATE audit_event SET actor_id = 1 WHERE seq = :seq"), {"seq": TAMPERED}
        )
    db.session.rollback()

    result = verify_chain(db.session, key)
    assert not result.ok
    assert result.first_bad_seq == TAMPERED
    assert result.rows_checked == TAMPERED - 1
