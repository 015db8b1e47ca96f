"""Fixtures for the crypto tests: a key file of each test's own, and the test-only tables."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from partnercontact.crypto.keyfile import generate_key_file
from partnercontact.db import db
from tests.crypto.sealed_models import TestBase


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    """A fresh key file per test (overrides the suite's shared one): rotation rewrites it."""
    path = tmp_path / "keys" / "keys.json"
    generate_key_file(path)
    return path


@pytest.fixture
def sealed_tables(app: Flask) -> Iterator[None]:
    TestBase.metadata.create_all(db.engine)
    yield
    db.session.rollback()
    db.session.close()
    TestBase.metadata.drop_all(db.engine)
