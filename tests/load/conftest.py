"""The load test's own PostgreSQL databases on the suite's cluster.

The load test runs real processes (gunicorn, pg_dump, the ``partnercontact`` command) against
a database of its own, created and migrated here and dropped afterwards, so that nothing it
writes reaches the databases other tests empty between tests, whichever pytest-xdist worker
runs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text

from partnercontact import migrate
from partnercontact.crypto.keyfile import generate_key_file


def pytest_configure(config: pytest.Config) -> None:
    # Also registered in pyproject.toml; here too so that `-m load` and `-m "not load"` work
    # under --strict-markers whatever pyproject.toml says.
    config.addinivalue_line("markers", "load: the load test against gunicorn and PostgreSQL")


def _suite_url(name: str) -> str:
    url = os.environ.get(name)
    if not url:
        raise pytest.UsageError(
            f"{name} is not set: run the suite with scripts/test, which starts a throwaway "
            "PostgreSQL cluster and sets it"
        )
    return url


def _database_name(suffix: str) -> str:
    # Unique per pytest process: two xdist workers, or two runs on one cluster, never share.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    return f"pc_load_{worker}_{os.getpid()}_{suffix}"


class Databases:
    """Creates empty databases owned by the application's role; drops them at the end."""

    def __init__(self) -> None:
        self.app_url = make_url(_suite_url("PCTEST_PG_URL"))
        admin = make_url(_suite_url("PCTEST_PG_ADMIN_URL")).set(database="postgres")
        self._admin = create_engine(admin, isolation_level="AUTOCOMMIT")
        self._names: list[str] = []

    def create(self, suffix: str) -> str:
        """A new empty database; returns its URL for the application's role."""
        name = _database_name(suffix)
        owner = self.app_url.username
        with self._admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}" OWNER "{owner}"'))
        self._names.append(name)
        return self.app_url.set(database=name).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        with self._admin.connect() as conn:
            for name in reversed(self._names):
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self._admin.dispose()


@pytest.fixture
def databases() -> Iterator[Databases]:
    made = Databases()
    try:
        yield made
    finally:
        made.drop_all()


@pytest.fixture
def load_database(databases: Databases) -> str:
    """A migrated database of the load test's own, as the application's role sees it."""
    url = databases.create("live")
    migrate.upgrade(url)
    return url


@pytest.fixture
def load_key_file(tmp_path: Path) -> Path:
    path = tmp_path / "keys" / "keys.json"
    path.parent.mkdir()
    generate_key_file(path)
    return path
