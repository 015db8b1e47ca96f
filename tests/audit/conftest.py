"""Fixtures for the audit tests: a key, a clock, a protected table, and an attacker.

The attacker is someone with direct database access who bypasses the application. On
PostgreSQL that is the superuser with ``session_replication_role = replica``, under which
the append-only triggers do not fire; on SQLite, any connection to the file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import Connection, create_engine, func, select, text
from sqlalchemy.pool import NullPool

from partnercontact.audit.ddl import protect_audit_table
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.runtime import EXTENSION_KEY, Runtime

# Test modules get these through fixtures, never by importing this file: tests/ is not a
# package, so conftest modules are not reliably importable by name.
KEY = hashlib.sha256(b"partnercontact audit test key").digest()

# A cycle of realistic events, so neighbouring rows differ in every field.
SAMPLES: list[dict[str, Any]] = [
    dict(
        action=AuditAction.AUTH_LOGIN_SUCCEEDED,
        actor_id=7,
        clinic_id=1,
        resource_type="user",
        resource_id="7",
    ),
    dict(
        action=AuditAction.ACCESS_DENIED,
        actor_id=8,
        clinic_id=1,
        resource_type="route",
        resource_id="partner_side.case_detail",
        outcome=Outcome.DENIED,
    ),
    dict(
        action=AuditAction.USER_CREATED,
        actor_id=None,
        clinic_id=2,
        resource_type="user",
        resource_id="9",
    ),
    dict(
        action=AuditAction.CLINIC_SETTINGS_UPDATED,
        actor_id=3,
        clinic_id=2,
        resource_type="clinic",
        resource_id="2",
    ),
    dict(
        action=AuditAction.AUTH_LOGIN_FAILED,
        actor_id=None,
        clinic_id=None,
        resource_type="user",
        outcome=Outcome.DENIED,
    ),
]


@pytest.fixture
def key() -> bytes:
    """The audit MAC key every test records and verifies with."""
    return KEY


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def audit_app(app: Flask, backend: str) -> Flask:
    """The test app with ``audit_event`` protected on PostgreSQL, as the migration leaves it.

    Applied through the app role's own connection (pc_app, the table's owner), exactly as
    the migration would run it.
    """
    if backend == "postgresql":
        with db.engine.begin() as conn:
            protect_audit_table(conn)
    return app


Recorder = Callable[[int], list[AuditEvent]]


@pytest.fixture
def record_chain(audit_app: Flask, clock: FixedClock) -> Recorder:
    """``record_chain(n)`` records n varied events through the service and commits."""

    def record(count: int) -> list[AuditEvent]:
        events = []
        for index in range(count):
            clock.advance(seconds=1, microseconds=137)
            events.append(record_event(**SAMPLES[index % len(SAMPLES)], clock=clock, mac_key=KEY))
        db.session.commit()
        return events

    return record


@pytest.fixture
def pg_admin_url(request: pytest.FixtureRequest) -> str:
    # tests/ is not a package, so `from tests.conftest import PG_ADMIN_URL` does not
    # resolve; ask pytest for the root conftest module it has loaded instead.
    root_conftest = request.config.pluginmanager.get_plugin(
        str(Path(__file__).resolve().parents[1] / "conftest.py")
    )
    return root_conftest.PG_ADMIN_URL


Attacker = Callable[[], AbstractContextManager[Connection]]


@pytest.fixture
def attacker(audit_app: Flask, backend: str, pg_admin_url: str) -> Iterator[Attacker]:
    """``with attacker() as conn:`` a connection that bypasses the app; committed on exit."""
    admin = create_engine(pg_admin_url, poolclass=NullPool) if backend == "postgresql" else None

    @contextmanager
    def connect() -> Iterator[Connection]:
        # The app's session must not hold a transaction (and its table locks) meanwhile.
        db.session.commit()
        if admin is None:
            with db.engine.begin() as conn:
                yield conn
            return
        with admin.begin() as conn:
            conn.execute(text("SET session_replication_role = replica"))
            yield conn

    yield connect
    if admin is not None:
        admin.dispose()


@pytest.fixture
def runtime(audit_app: Flask, clock: FixedClock) -> Runtime:
    """Installs the runtime the CLI reads its key and clock from."""
    installed = Runtime(
        config=SimpleNamespace(),  # type: ignore[arg-type]
        keyring=SimpleNamespace(audit_mac_key=KEY),  # type: ignore[arg-type]
        clock=clock,
    )
    audit_app.extensions[EXTENSION_KEY] = installed
    return installed


@pytest.fixture
def count_rows(audit_app: Flask) -> Callable[[], int]:
    """``count_rows()``: how many rows ``audit_event`` holds, as the app's session sees it."""

    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0

    return count
