"""Fixtures: the real application on a migrated SQLite file and a real PostgreSQL.

Every test that takes ``app`` runs twice, once per database. The schema comes from the
Alembic migrations (never ``create_all``), built once per run; each test starts from empty
tables. Time is a :class:`FixedClock` the test can move.
"""

from __future__ import annotations

import contextvars
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, make_url, text
from werkzeug.test import TestResponse

from partnercontact import migrate
from partnercontact.app import create_app
from partnercontact.clock import FixedClock
from partnercontact.config import load_config
from partnercontact.crypto.keyfile import generate_key_file, load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.i18n import compile_catalogues
from tests.factories import Factory


def _required_url(name: str) -> str:
    """A PostgreSQL URL that scripts/test sets for its throwaway cluster.

    There is no fallback on purpose: the harness drops and recreates the schema, so guessing
    a server could wipe someone's own database.
    """
    url = os.environ.get(name)
    if not url:
        raise pytest.UsageError(
            f"{name} is not set: run the suite with scripts/test, which starts a throwaway "
            "PostgreSQL cluster and sets it"
        )
    return url


# Under pytest-xdist each worker process ("gw0", "gw1", ...) gets databases of its own, named
# after the cluster's with the worker's id appended: workers reset schemas and empty tables
# between tests, which must never reach a database another worker is testing on. A run without
# workers uses the cluster's databases as they are.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")


def _for_this_worker(url: str) -> str:
    if not WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def _as_admin(url: str) -> str:
    """``url``'s database, reached as the superuser of ``PCTEST_PG_ADMIN_URL``."""
    return (
        make_url(PG_ADMIN_URL)
        .set(database=make_url(url).database)
        .render_as_string(hide_password=False)
    )


PG_URL = _for_this_worker(_required_url("PCTEST_PG_URL"))
PG_ADMIN_URL = _for_this_worker(_required_url("PCTEST_PG_ADMIN_URL"))
PG_MIGRATIONS_URL = _for_this_worker(_required_url("PCTEST_PG_MIGRATIONS_URL"))
PG_MIGRATIONS_ADMIN_URL = _as_admin(PG_MIGRATIONS_URL)
BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_databases() -> None:
    """This worker's test and migration databases exist, owned by the application's role.

    scripts/test creates the cluster's own; a worker's are created here, once per run, from
    the ``postgres`` maintenance database (CREATE DATABASE cannot run inside a transaction).
    """
    if not WORKER:
        return
    owner = make_url(PG_URL).username
    admin = create_engine(
        make_url(PG_ADMIN_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        for url in (PG_URL, PG_MIGRATIONS_URL):
            name = make_url(url).database
            exists = conn.scalar(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            )
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner}"'))
    admin.dispose()


@pytest.fixture(scope="session")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("keys") / "keys.json"
    generate_key_file(path)
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    migrate.upgrade(f"sqlite:///{path}")
    return path


def _reset_postgres_schema() -> None:
    engine = create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public AUTHORIZATION pc_app"))
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_migrated(postgres_databases: None) -> Iterator[str]:
    _reset_postgres_schema()
    migrate.upgrade(PG_URL)
    yield PG_URL


@pytest.fixture(scope="session")
def postgres_admin(postgres_migrated: str) -> Iterator[Engine]:
    """The superuser's engine on this worker's test database, one connection kept for the run:
    a new connection per test costs more than the emptying it is for."""
    engine = create_engine(PG_ADMIN_URL, pool_size=1, pool_pre_ping=True)
    yield engine
    engine.dispose()


# The audit table refuses DELETE and TRUNCATE to the application's role; the test harness
# empties it as superuser with triggers off (session_replication_role = replica, which also
# turns off the foreign keys' triggers, so the order of the tables does not matter), between
# tests only. DELETE, not TRUNCATE: truncating every table, each with its indexes given new
# files, took most of a test's set-up, while deleting the few rows a test leaves is quick.
# Tables grown past a megabyte (the large-log and task-queue tests) are truncated instead, so
# that their dead rows do not slow the tests after them. Sequences restart, as with RESTART
# IDENTITY, so every test sees the same ids.
_EMPTY_POSTGRES_TABLES = text(
    """
DO $$
DECLARE
    item record;
BEGIN
    SET LOCAL session_replication_role = replica;
    FOR item IN
        SELECT c.oid::regclass AS name, pg_table_size(c.oid) > 1048576 AS large
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
            AND c.relname <> 'alembic_version'
    LOOP
        IF item.large THEN
            EXECUTE format('TRUNCATE %s CASCADE', item.name);
        ELSE
            EXECUTE format('DELETE FROM %s', item.name);
        END IF;
    END LOOP;
    FOR item IN
        SELECT c.oid::regclass AS name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind = 'S'
    LOOP
        EXECUTE format('ALTER SEQUENCE %s RESTART', item.name);
    END LOOP;
END
$$
"""
)


def _empty_postgres_tables(admin: Engine) -> None:
    with admin.begin() as conn:
        conn.execute(_EMPTY_POSTGRES_TABLES)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        target = tmp_path / "test.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
    else:
        url = request.getfixturevalue("postgres_migrated")
        _empty_postgres_tables(request.getfixturevalue("postgres_admin"))
        yield url


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def config_overrides() -> dict:
    """Override per test module to change configuration (e.g. second factor optional)."""
    return {"auth": {"second_factor": "required"}}


class IsolatedClient(FlaskClient):
    """A test client whose every request gets its own application context, as in a real
    server. Without this, requests would share the test's context and with it ``g``, where
    Flask-Login and Flask-WTF keep per-request state, so tests could pass for wrong reasons.
    """

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def compiled_catalogues(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return compile_catalogues(tmp_path_factory.mktemp("translations"))


@pytest.fixture
def app(
    database_url: str,
    key_file: Path,
    clock: FixedClock,
    tmp_path: Path,
    config_overrides: dict,
    compiled_catalogues: Path,
) -> Iterator[Flask]:
    # The app compiles its catalogues into the instance folder unless they are there and
    # newer than the sources; compiled once per run and copied (with their times), they are.
    shutil.copytree(compiled_catalogues, tmp_path / "instance" / "translations")
    overrides = {
        "database": {"url": database_url},
        "keys": {"file": str(key_file)},
        **config_overrides,
        # Thousands of accounts are created and logged in here: argon2 at a trivial cost.
        "auth": {"hashing_cost": "fast", **config_overrides.get("auth", {})},
    }
    config = load_config(environ={}, overrides=overrides, instance_path=tmp_path / "instance")
    flask_app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(key_file)))
    flask_app.test_client_class = IsolatedClient
    with flask_app.app_context():
        yield flask_app
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def factory(app: Flask, clock: FixedClock) -> Factory:
    return Factory(clock)
