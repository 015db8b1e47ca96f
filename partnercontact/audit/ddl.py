"""PostgreSQL DDL that makes ``audit_event`` (and ``audit_verification``) append-only for
the application's role.

Call from the Alembic migration that creates the table, after ``op.create_table``::

    from partnercontact.audit.ddl import protect_audit_table, unprotect_audit_table

    def upgrade() -> None:
        op.create_table("audit_event", ...)
        protect_audit_table(op)

    def downgrade() -> None:
        unprotect_audit_table(op)
        op.drop_table("audit_event")

Both accept Alembic's ``op`` (online or ``--sql`` offline mode) or a SQLAlchemy
``Connection`` (inside a transaction: ``with engine.begin() as conn: protect_audit_table(conn)``).
They are no-ops on SQLite, which has neither roles nor privileges; the MAC chain is the
protection there. Any other dialect raises, so protection is never skipped silently.
They must run as the role that owns the table (here the application's role, pc_app),
because ``CURRENT_USER`` is the role whose privileges are revoked and later restored.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import text

TABLE = "audit_event"
# The record of the log's checks is kept the same way: deleting a failed check would hide
# the alert it raised.
VERIFICATION_TABLE = "audit_verification"
APPEND_ONLY_TABLES = (TABLE, VERIFICATION_TABLE)


class SupportsExecute(Protocol):
    """Alembic's ``op`` or a SQLAlchemy ``Connection``: anything that executes a text()."""

    def execute(self, statement: Any, /) -> Any: ...


# Two layers, because each stops what the other cannot:
#
# 1. Privileges. The app's role keeps SELECT and INSERT but loses UPDATE, DELETE and
#    TRUNCATE, also as the table's owner (an owner's privileges can be revoked like anyone
#    else's). A stray UPDATE from the ORM or an injected DELETE fails with "permission
#    denied". PUBLIC never had them; revoking there too keeps a later careless GRANT ...
#    TO PUBLIC elsewhere from opening the table.
# 2. Triggers. Privileges do not bind superusers, and the owner can grant itself back.
#    BEFORE UPDATE OR DELETE (per row) and BEFORE TRUNCATE (per statement) raise an
#    exception for every role, superusers included, as long as the triggers fire.
#
# Limits, on purpose stated here: the owner can still ALTER TABLE ... DISABLE TRIGGER, DROP
# TRIGGER or GRANT itself the privileges again, and a superuser can set
# session_replication_role = replica, under which ordinary triggers do not fire. Making the
# table truly out of reach of the app needs a separate owner role from the one the app
# logs in as. What this DDL guarantees is that history cannot be rewritten by the app's
# ordinary statements; what catches a determined rewrite is the MAC chain and an exported
# head (partnercontact.audit.verify).
def _protect(table: str) -> tuple[str, ...]:
    function, row_trigger, truncate_trigger = _names(table)
    return (
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM PUBLIC",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM CURRENT_USER",
        f"""CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = '{table} is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END
$$""",
        f"CREATE OR REPLACE TRIGGER {row_trigger} BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {function}()",
        f"CREATE OR REPLACE TRIGGER {truncate_trigger} BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
    )


def _unprotect(table: str) -> tuple[str, ...]:
    function, row_trigger, truncate_trigger = _names(table)
    return (
        f"DROP TRIGGER IF EXISTS {truncate_trigger} ON {table}",
        f"DROP TRIGGER IF EXISTS {row_trigger} ON {table}",
        f"DROP FUNCTION IF EXISTS {function}()",
        f"GRANT UPDATE, DELETE, TRUNCATE ON {table} TO CURRENT_USER",
    )


def _names(table: str) -> tuple[str, str, str]:
    if table not in APPEND_ONLY_TABLES:
        raise ValueError(f"{table} is not one of the append-only tables")
    return f"{table}_refuse_change", f"{table}_no_update_delete", f"{table}_no_truncate"


def protect_audit_table(target: SupportsExecute, table: str = TABLE) -> None:
    """Make ``audit_event`` append-only on PostgreSQL; do nothing on SQLite.

    ``target`` is Alembic's ``op`` or a SQLAlchemy ``Connection`` whose current user owns
    the table. Idempotent. Afterwards UPDATE, DELETE and TRUNCATE by that role fail
    (SQLSTATE 42501), and UPDATE, DELETE and TRUNCATE by any role fail while triggers fire.
    """
    if _is_postgresql(target):
        for statement in _protect(table):
            target.execute(text(statement))


def unprotect_audit_table(target: SupportsExecute, table: str = TABLE) -> None:
    """Undo :func:`protect_audit_table` (for the migration's downgrade); no-op on SQLite.

    Restores UPDATE, DELETE and TRUNCATE to the current user (not to PUBLIC, which never
    had them) and drops the triggers and their function. Idempotent.
    """
    if _is_postgresql(target):
        for statement in _unprotect(table):
            target.execute(text(statement))


def _is_postgresql(target: SupportsExecute) -> bool:
    get_context = getattr(target, "get_context", None)
    if callable(get_context):  # Alembic's op; its context knows the dialect offline too
        name = get_context().dialect.name
    else:
        dialect = getattr(target, "dialect", None)
        if dialect is None:
            raise TypeError("expected Alembic's op or a SQLAlchemy Connection")
        name = dialect.name
    if name == "postgresql":
        return True
    if name == "sqlite":
        return False
    raise NotImplementedError(f"no audit table protection for the {name} dialect")
