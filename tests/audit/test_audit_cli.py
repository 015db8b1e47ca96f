"""`partnercontact audit verify` and `partnercontact audit head`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import Result
from flask import Flask
from sqlalchemy import select, text

from partnercontact.audit.models import AuditEvent
from partnercontact.audit.verify import ChainHead, verify_chain
from partnercontact.cli.audit import audit
from partnercontact.db import db
from partnercontact.runtime import Runtime

Recorder = Callable[[int], list[AuditEvent]]


def _run(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(audit, list(args))
    db.session.rollback()
    return result


def _last() -> AuditEvent:
    event = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq.desc())).first()
    assert event is not None
    return event


def test_verify_reports_an_intact_log_and_records_that_it_did(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder, key: bytes
) -> None:
    record_chain(5)

    result = _run(audit_app, "verify")

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("audit log intact: all 5 rows are intact")
    verified = _last()
    assert (verified.seq, verified.action, verified.outcome) == (6, "audit.verified", "ok")
    assert (verified.resource_type, verified.resource_id, verified.actor_id) == (
        "audit_log",
        "5",
        None,
    )
    # The record of the check is itself a valid link.
    assert verify_chain(db.session, key).rows_checked == 6
    assert _run(audit_app, "verify").exit_code == 0


def test_verify_can_leave_the_log_untouched(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder, count_rows: Callable[[], int]
) -> None:
    record_chain(3)
    assert _run(audit_app, "verify", "--no-record").exit_code == 0
    assert count_rows() == 3


def test_verify_fails_on_a_broken_log_and_writes_nothing(
    audit_app: Flask,
    runtime: Runtime,
    record_chain: Recorder,
    attacker: Callable[[], Any],
    count_rows: Callable[[], int],
) -> None:
    record_chain(5)
    with attacker() as conn:
        conn.execute(text("UPDATE audit_event SET actor_id = 99 WHERE seq = 3"))

    result = _run(audit_app, "verify")

    assert result.exit_code == 1
    assert "BROKEN at row 3" in result.stderr
    assert "2 rows before it are intact" in result.stderr
    assert result.stdout == ""
    assert count_rows() == 5


def test_head_prints_a_head_that_includes_its_own_export(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder
) -> None:
    record_chain(4)

    result = _run(audit_app, "head")

    assert result.exit_code == 0, result.output
    head = ChainHead.from_json(result.stdout)
    exported = _last()
    assert exported.action == "audit.head_exported"
    assert (head.seq, head.mac, head.at) == (5, exported.mac, exported.at)


def test_head_without_recording(audit_app: Flask, runtime: Runtime, record_chain: Recorder) -> None:
    events = record_chain(4)
    head = ChainHead.from_json(_run(audit_app, "head", "--no-record").stdout)
    assert (head.seq, head.mac) == (4, events[-1].mac)


def test_a_saved_head_catches_a_truncated_tail(
    audit_app: Flask,
    runtime: Runtime,
    record_chain: Recorder,
    attacker: Callable[[], Any],
    count_rows: Callable[[], int],
    tmp_path: Path,
) -> None:
    record_chain(6)
    head_file = tmp_path / "head.json"
    assert _run(audit_app, "head", "--output", str(head_file)).exit_code == 0
    assert ChainHead.from_json(head_file.read_text()).seq == 7

    assert _run(audit_app, "verify", "--head", str(head_file)).exit_code == 0  # adds row 8
    with attacker() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq >= 5"))

    # Invisible without a head. (--no-record: a recorded check would itself take seq 5.)
    assert _run(audit_app, "verify", "--no-record").exit_code == 0
    result = _run(audit_app, "verify", "--head", str(head_file))

    assert result.exit_code == 1
    assert "BROKEN at row 5" in result.stderr
    assert "rows 5 to 7 were removed" in result.stderr
    assert count_rows() == 4


def test_checks_recorded_after_a_truncation_do_not_hide_it(
    audit_app: Flask,
    runtime: Runtime,
    record_chain: Recorder,
    attacker: Callable[[], Any],
    tmp_path: Path,
) -> None:
    record_chain(6)
    head_file = tmp_path / "head.json"
    assert _run(audit_app, "head", "--output", str(head_file)).exit_code == 0  # row 7
    with attacker() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq >= 5"))

    # Checks without the head pass and are recorded as rows 5, 6 and 7 (as ordinary
    # traffic would be), so the log grows back over the removed seqs with valid MACs.
    for _ in range(3):
        assert _run(audit_app, "verify").exit_code == 0
    assert _last().seq == 7

    result = _run(audit_app, "verify", "--head", str(head_file))

    assert result.exit_code == 1
    assert "BROKEN at row 7" in result.stderr
    assert "differs from the exported head" in result.stderr


def test_verify_refuses_a_malformed_head_file(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder, tmp_path: Path
) -> None:
    record_chain(2)
    head_file = tmp_path / "head.json"
    head_file.write_text('{"seq": 2}')

    result = _run(audit_app, "verify", "--head", str(head_file))

    assert result.exit_code == 2
    assert "--head" in result.stderr


def test_verify_in_a_log_prints_its_verdict_and_no_progress(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder
) -> None:
    record_chain(4)

    result = _run(audit_app, "verify", "--no-record")

    assert result.exit_code == 0, result.output
    assert result.output == "audit log intact: all 4 rows are intact\n"
    assert result.stderr == ""
