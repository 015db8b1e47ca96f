"""Every migration runs up and down on SQLite and PostgreSQL, and the models match head."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import partnercontact.models  # noqa: F401
from partnercontact import migrate
from partnercontact.db import db
from tests.conftest import PG_MIGRATIONS_ADMIN_URL, PG_MIGRATIONS_URL


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}"
    request.getfixturevalue("postgres_databases")
    admin = create_engine(PG_MIGRATIONS_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public AUTHORIZATION pc_app"))
    admin.dispose()
    return PG_MIGRATIONS_URL


def _revisions(url: str) -> list[str]:
    script = ScriptDirectory.from_config(migrate.alembic_config(url))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_every_migration_runs_up_and_down(empty_database: str) -> None:
    revisions = _revisions(empty_database)
    assert revisions, "no migrations found"
    for revision in revisions:
        migrate.upgrade(empty_database, revision)
        assert migrate.current_revision(empty_database) == revision
    for revision in reversed(revisions[:-1]):
        migrate.downgrade(empty_database, revision)
        assert migrate.current_revision(empty_database) == revision
    migrate.downgrade(empty_database, "base")
    engine = create_engine(empty_database)
    leftover = set(inspect(engine).get_table_names()) - {"alembic_version"}
    engine.dispose()
    assert leftover == set()


def test_the_models_match_the_newest_migration(empty_database: str) -> None:
    migrate.upgrade(empty_database)
    engine = create_engine(empty_database)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, db.metadata)
    engine.dispose()
    assert differences == []


def test_migration_files_are_date_prefixed() -> None:
    files = sorted((migrate.MIGRATIONS_DIR / "versions").glob("*.py"))
    assert files
    for path in files:
        assert path.name[:8].isdigit(), path.name


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_migrated_audit_table_refuses_rewrites_by_the_applications_role(
    app, backend: str
) -> None:
    from sqlalchemy.exc import DBAPIError

    from partnercontact.audit.service import record_event
    from partnercontact.audit.tags import AuditAction

    record_event(AuditAction.AUTH_LOGOUT, actor_id=1, resource_type="user", resource_id="1")
    db.session.commit()
    for statement in (
        "UPDATE audit_event SET action = 'auth.login_succeeded'",
        "DELETE FROM audit_event",
        "TRUNCATE audit_event",
    ):
        with pytest.raises(DBAPIError):
            db.session.execute(text(statement))
        db.session.rollback()
    assert db.session.execute(text("SELECT action FROM audit_event")).scalars().all() == [
        "auth.logout"
    ]
