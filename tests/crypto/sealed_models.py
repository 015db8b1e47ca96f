"""Test-only sealed models and raw-SQL helpers for the crypto tests.

The models live on a metadata of their own, never ``db.metadata``: the migrated schema must
match ``db.metadata`` exactly (tests/test_migrations.py), so the ``sealed_tables`` fixture
creates and drops them around each test that needs them. ``Note`` lists the mixin first and
has a UUID key; ``Memo`` lists it last (as ``class Client(db.Model, SealedRecord)`` would)
and has an integer key that the database assigns only at insert.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import MetaData, Uuid, bindparam, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import create_data_key
from partnercontact.db import db
from partnercontact.runtime import current_runtime


class TestBase(DeclarativeBase):
    __test__ = False  # not a test class, whatever its name
    metadata = MetaData()


class Note(SealedRecord, TestBase):
    """Two sealed columns, to move ciphertexts between columns of one row."""

    __tablename__ = "crypto_test_note"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    data_key_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    title = encrypted("title")
    body = encrypted("body")


class Memo(TestBase, SealedRecord):
    """The mixin after the declarative base, and an autoincrement integer primary key."""

    __tablename__ = "crypto_test_memo"

    id: Mapped[int] = mapped_column(primary_key=True)
    data_key_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    content = encrypted()


def new_data_key(purpose: str = "case") -> DataKey:
    runtime = current_runtime()
    return create_data_key(purpose, keyring=runtime.keyring, clock=runtime.clock)


def raw(sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run SQL as written, past the ORM and the sealed fields, as an attacker with the
    database would. UUID parameters are bound as the database stores them."""
    statement = text(sql).bindparams(
        *(
            bindparam(name, type_=Uuid)
            for name, value in params.items()
            if isinstance(value, uuid.UUID)
        )
    )
    result = db.session.execute(statement, params)
    return [tuple(row) for row in result] if result.returns_rows else []


def flatten(row: tuple[Any, ...]) -> bytes:
    """Every value of a raw row as bytes, to search for plaintext."""
    return b"|".join(
        bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode("utf-8")
        for value in row
    )
