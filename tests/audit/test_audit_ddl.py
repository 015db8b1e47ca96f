"""On PostgreSQL the app's role may only read and append to audit_event.

The DDL is applied through the app role's own connection (pc_app, the table's owner),
as the migration does; see the ``audit_app`` fixture.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from alembic.migration import MigrationContext
from alembic.operations import Operations
from flask import Flask
from sqlalchemy import Connection, create_engine, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from partnercontact.audit.ddl import protect_audit_table, unprotect_audit_table
from partnercontact.audit.models import AuditEvent
from partnercontact.audit.verify import verify_chain
from partnercontact.db import db

Recorder = Callable[[int], list[AuditEvent]]

CHANGES = {
    "update": "UPDATE audit_event SET actor_id = 99 WHERE seq = 2",
    "delete": "DELETE FROM audit_event WHERE seq = 2",
    "truncate": "TRUNCATE audit_event",
}
INSUFFICIENT_PRIVILEGE = "42501"


def _refusal(conn: Connection, statement: str) -> str:
    """Run ``statement``, which must fail with SQLSTATE 42501; return the error message."""
    with pytest.raises(DBAPIError) as refused:
        conn.execute(text(statement))
    conn.rollback()
    assert getattr(refused.value.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE
    return str(refused.value.orig)


@contextmanager
def _superuser(url: str) -> Iterator[Connection]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_the_app_role_cannot_change_history(
    record_chain: Recorder, key: bytes, change: str
) -> None:
    record_chain(3)
    with db.engine.connect() as conn:
        assert conn.scalar(text("SELECT current_user")) == "pc_app"
        assert "permission denied" in _refusal(conn, CHANGES[change])

    result = verify_chain(db.session, key)
    assert result.ok and result.rows_checked == 3


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_app_role_still_reads_and_appends(record_chain: Recorder, key: bytes) -> None:
    record_chain(2)  # after protect_audit_table (the audit_app fixture)
    record_chain(2)
    assert verify_chain(db.session, key).rows_checked == 4


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_the_triggers_refuse_even_a_superuser(
    record_chain: Recorder, pg_admin_url: str, key: bytes, change: str
) -> None:
    record_chain(3)
    # A superuser ignores privileges, so this refusal is the trigger's.
    with _superuser(pg_admin_url) as conn:
        assert "append-only" in _refusal(conn, CHANGES[change])
    assert verify_chain(db.session, key).rows_checked == 3


@pytest.mark.parametrize("backend", ["postgresql"])
@pytest.mark.parametrize("change", list(CHANGES))
def test_an_owner_that_grants_itself_the_privileges_back_is_still_refused(
    record_chain: Recorder, change: str
) -> None:
    record_chain(3)
    with db.engine.connect() as conn:
        conn.execute(text("GRANT UPDATE, DELETE, TRUNCATE ON audit_event TO CURRENT_USER"))
        conn.commit()
        assert "append-only" in _refusal(conn, CHANGES[change])


@pytest.mark.parametrize("backend", ["postgresql"])
def test_unprotect_restores_the_table_and_protect_can_run_again(
    record_chain: Recorder,
) -> None:
    record_chain(3)
    with db.engine.begin() as conn:
        unprotect_audit_table(conn)
        unprotect_audit_table(conn)  # idempotent
    with db.engine.begin() as conn:
        assert conn.execute(text(CHANGES["update"])).rowcount == 1
        assert conn.execute(text(CHANGES["delete"])).rowcount == 1

    with db.engine.begin() as conn:
        protect_audit_table(conn)
        protect_audit_table(conn)  # idempotent
    with db.engine.connect() as conn:
        assert "permission denied" in _refusal(conn, "DELETE FROM audit_event")


@pytest.mark.parametrize("backend", ["postgresql"])
def test_alembic_operations_drive_the_same_ddl(record_chain: Recorder) -> None:
    record_chain(3)
    with db.engine.begin() as conn:
        unprotect_audit_table(Operations(MigrationContext.configure(conn)))
    with db.engine.begin() as conn:
        assert conn.execute(text(CHANGES["update"])).rowcount == 1

    with db.engine.begin() as conn:
        protect_audit_table(Operations(MigrationContext.configure(conn)))
    with db.engine.connect() as conn:
        assert "permission denied" in _refusal(conn, CHANGES["update"])


def _render(function: Callable[[Operations], None], dialect: str) -> str:
    """The SQL ``function`` emits through Alembic's offline mode (``alembic upgrade --sql``)."""
    buffer = io.StringIO()
    context = MigrationContext.configure(
        dialect_name=dialect, opts={"as_sql": True, "output_buffer": buffer}
    )
    function(Operations(context))
    return buffer.getvalue()


def test_offline_migrations_render_the_ddl() -> None:
    protect = _render(protect_audit_table, "postgresql")
    assert "REVOKE UPDATE, DELETE, TRUNCATE ON audit_event FROM CURRENT_USER" in protect
    assert "'audit_event is append-only: ' || TG_OP" in protect
    assert "BEFORE UPDATE OR DELETE ON audit_event" in protect
    assert "BEFORE TRUNCATE ON audit_event" in protect
    assert "%%" not in protect
    unprotect = _render(unprotect_audit_table, "postgresql")
    assert "DROP TRIGGER IF EXISTS audit_event_no_update_delete" in unprotect
    assert "GRANT UPDATE, DELETE, TRUNCATE ON audit_event TO CURRENT_USER" in unprotect


def test_other_dialects_are_refused_rather_than_left_unprotected() -> None:
    with pytest.raises(NotImplementedError):
        _render(protect_audit_table, "mysql")


def test_sqlite_is_left_alone() -> None:
    assert _render(protect_audit_table, "sqlite") == ""
    assert _render(unprotect_audit_table, "sqlite") == ""


@pytest.mark.parametrize("backend", ["sqlite"])
def test_on_sqlite_protection_is_a_no_op_and_the_chain_is_the_guard(
    audit_app: Flask, record_chain: Recorder, key: bytes
) -> None:
    record_chain(3)
    with db.engine.begin() as conn:
        protect_audit_table(conn)
        assert conn.execute(text(CHANGES["update"])).rowcount == 1
    db.session.rollback()
    assert verify_chain(db.session, key).first_bad_seq == 2
