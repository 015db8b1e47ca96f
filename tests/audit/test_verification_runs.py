"""Every verification of the audit log is recorded; the worker runs one each night."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pytest
from click.testing import Result
from flask import Flask
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from partnercontact.audit.jobs import verify_audit_nightly
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.runs import (
    REASON_MAX,
    AuditVerification,
    audit_status,
    latest_verification,
    run_verification,
)
from partnercontact.audit.verify import ChainHead
from partnercontact.cli.audit import audit
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.runtime import Runtime
from partnercontact.worker import tick
from tests.factories import Factory
from tests.helpers import log_in, text_of

Recorder = Callable[[int], list[AuditEvent]]


def _runs() -> list[AuditVerification]:
    db.session.expire_all()
    return list(db.session.scalars(select(AuditVerification).order_by(AuditVerification.id)))


def _verified_events() -> int:
    return (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "audit.verified")
        )
        or 0
    )


def _cli(app: Flask, *args: str) -> Result:
    result = app.test_cli_runner().invoke(audit, list(args))
    db.session.rollback()
    return result


def _tamper(attacker: Callable, seq: int) -> None:
    with attacker() as conn:
        updated = conn.execute(
            text("UPDATE audit_event SET action = 'client.viewed' WHERE seq = :seq"), {"seq": seq}
        )
        assert updated.rowcount == 1


def test_an_intact_run_is_recorded_with_its_verdict_and_logged(
    runtime: Runtime, record_chain: Recorder, clock: FixedClock
) -> None:
    record_chain(4)
    started = clock.now()

    verification = run_verification("command")

    run = latest_verification()
    assert run is not None and run.id == verification.run.id
    assert (run.ok, run.rows_checked, run.first_bad_seq, run.trigger, run.night) == (
        True,
        4,
        None,
        "command",
        None,
    )
    assert run.started_at == started and run.reason == "all 4 rows are intact"
    assert _verified_events() == 1


def test_a_tampered_log_records_a_failed_run_and_nothing_in_the_log(
    runtime: Runtime, record_chain: Recorder, attacker: Callable, count_rows: Callable[[], int]
) -> None:
    record_chain(6)
    _tamper(attacker, 3)

    run_verification("command")

    run = latest_verification()
    assert run is not None
    assert (run.ok, run.first_bad_seq, run.rows_checked) == (False, 3, 2)
    assert "row 3" in run.reason and len(run.reason) <= REASON_MAX
    assert count_rows() == 6  # no audit.verified appended to a broken log


def test_the_nightly_duty_runs_once_a_night_not_on_every_tick(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder, clock: FixedClock
) -> None:
    record_chain(2)
    clock.set(datetime(2026, 3, 10, 2, 59, tzinfo=UTC))
    verify_audit_nightly()
    assert _runs() == []  # before the hour

    clock.set(datetime(2026, 3, 10, 3, 0, tzinfo=UTC))
    for _ in range(3):
        tick(audit_app)  # the worker's duties, as the scheduler runs them
        clock.advance(minutes=1)
    clock.set(datetime(2026, 3, 10, 23, 59, tzinfo=UTC))
    verify_audit_nightly()

    runs = _runs()
    assert [(r.trigger, r.night, r.ok) for r in runs] == [("nightly", date(2026, 3, 10), True)]
    assert _verified_events() == 1

    clock.set(datetime(2026, 3, 11, 4, 30, tzinfo=UTC))
    verify_audit_nightly()
    verify_audit_nightly()
    assert [r.night for r in _runs()] == [date(2026, 3, 10), date(2026, 3, 11)]


def test_a_second_worker_cannot_record_the_same_night(
    runtime: Runtime, record_chain: Recorder
) -> None:
    record_chain(2)
    night = date(2026, 1, 15)
    assert run_verification("nightly", night=night).run is not None

    # A worker that raced past the "already done" look: its row and event are refused.
    late = run_verification("nightly", night=night)

    assert late.run is None and late.result.ok
    assert len(_runs()) == 1
    assert _verified_events() == 1


def test_a_run_from_the_command_line_is_recorded_too(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder, attacker: Callable
) -> None:
    record_chain(3)
    assert _cli(audit_app, "verify").exit_code == 0
    assert _cli(audit_app, "verify", "--no-record").exit_code == 0
    _tamper(attacker, 2)
    assert _cli(audit_app, "verify").exit_code == 1

    runs = _runs()
    assert [(r.trigger, r.ok, r.first_bad_seq) for r in runs] == [
        ("command", True, None),
        ("command", False, 2),
    ]


def test_a_failure_stays_until_a_check_by_hand_finds_the_log_intact(
    audit_app: Flask, runtime: Runtime, record_chain: Recorder, clock: FixedClock
) -> None:
    record_chain(2)
    assert audit_status(clock.now()).alert is False  # never checked: nothing to say yet

    failed = run_verification("command", head=_head_beyond_the_log())
    assert failed.run is not None and not failed.run.ok
    clock.advance(days=1)
    run_verification("nightly", night=clock.now().date())  # intact without the head

    status = audit_status(clock.now())
    assert status.failure is not None and status.failure.id == failed.run.id

    run_verification("command")
    assert audit_status(clock.now()).alert is False


def test_no_run_for_two_days_is_an_alert(
    runtime: Runtime, record_chain: Recorder, clock: FixedClock
) -> None:
    record_chain(1)
    run_verification("nightly", night=clock.now().date())
    clock.advance(hours=47)
    assert audit_status(clock.now()).alert is False
    clock.advance(hours=2)
    status = audit_status(clock.now())
    assert status.overdue and status.failure is None


def _head_beyond_the_log() -> ChainHead:
    # An exported head the log no longer reaches: its tail was cut off.
    return ChainHead(seq=50, mac="a" * 64)


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_verification SET ok = true",
        "DELETE FROM audit_verification",
        "TRUNCATE audit_verification",
    ],
)
def test_a_recorded_check_cannot_be_changed_or_removed(app: Flask, statement: str) -> None:
    """Deleting a failed check would hide the alert it raised."""
    run_verification("command")
    with db.engine.connect() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text(statement))
    assert getattr(refused.value.orig, "sqlstate", None) == "42501"
    assert len(_runs()) == 1


def test_a_log_altered_during_the_day_alerts_managers_and_administrators_after_the_night(
    audit_app: Flask, attacker: Callable, clock: FixedClock
) -> None:
    """The whole way: someone alters a row, the worker's nightly check finds it, and the
    next page a manager or an administrator opens says so; a treater's does not."""
    factory = Factory(clock)
    clock.set(datetime(2026, 3, 10, 14, 0, tzinfo=UTC))
    accounts = {
        "manager": factory.manager(),
        "admin": factory.admin(),
        "treater": factory.partner_treater(),
    }
    browsers = {name: audit_app.test_client() for name in accounts}
    for name, account in accounts.items():
        log_in(browsers[name], account, clock)
        assert "audit-alert" not in text_of(browsers[name].get("/account/"))
    _tamper(attacker, 2)

    clock.set(datetime(2026, 3, 11, 3, 5, tzinfo=UTC))
    tick(audit_app)

    assert [(run.trigger, run.ok, run.first_bad_seq) for run in _runs()] == [("nightly", False, 2)]
    for name, browser in browsers.items():
        log_in(browser, accounts[name], clock)  # the day's sessions ended in the night
        page = text_of(browser.get("/account/"))
        assert ("audit-alert" in page) is (name != "treater"), name
