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
from sqlalchemy import create_engine, text
from werkzeug.test import TestResponse

from partnercontact import migrate
from partnercontact.app import create_app
from partnercontact.clock import FixedClock
from partnercontact.config import load_config
from partnercontact.crypto.keyfile import generate_key_file, load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
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


PG_URL = _required_url("PCTEST_PG_URL")
PG_ADMIN_URL = _required_url("PCTEST_PG_ADMIN_URL")
PG_MIGRATIONS_URL = _required_url("PCTEST_PG_MIGRATIONS_URL")
BACKENDS = ("sqlite", "postgresql")


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
def postgres_migrated() -> Iterator[str]:
    _reset_postgres_schema()
    migrate.upgrade(PG_URL)
    yield PG_URL


def _empty_postgres_tables() -> None:
    # The audit table refuses DELETE and TRUNCATE to the application's role; the test
    # harness wipes it as superuser with triggers off, between tests only.
    engine = create_engine(PG_ADMIN_URL)
    with engine.begin() as conn:
        tables = [
            row[0]
            for row in conn.execute(
                text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                    "AND tablename <> 'alembic_version'"
                )
            )
        ]
        if tables:
            conn.execute(text("SET session_replication_role = replica"))
            quoted = ", ".join(f'"{name}"' for name in tables)
            conn.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    engine.dispose()


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
        _empty_postgres_tables()
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


@pytest.fixture
def app(
    database_url: str, key_file: Path, clock: FixedClock, tmp_path: Path, config_overrides: dict
) -> Iterator[Flask]:
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
