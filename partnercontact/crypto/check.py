"""Proof that a database and a key file belong together: every sealed value decrypts.

Run after a restore (``partnercontact keys verify``): a backup restored without its key file,
or with the wrong one, fails here rather than on the first page a treater opens. Values under
a shredded data key (consent documents after case end) are counted apart: they are meant to
be unreadable. Only table names and counts come out of here, never a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Table, func, select

from partnercontact.crypto.errors import CryptoError, KeyShredded
from partnercontact.crypto.fields import Ciphertext
from partnercontact.crypto.keyring import KeyRing
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import unseal_bytes
from partnercontact.db import db

SUFFIX = "_ct"
BATCH = 500


@dataclass
class TableCheck:
    table: str
    decrypted: int = 0
    shredded: int = 0
    failed: int = 0


@dataclass
class SealCheck:
    tables: list[TableCheck] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return sum(table.failed for table in self.tables)

    @property
    def decrypted(self) -> int:
        return sum(table.decrypted for table in self.tables)


def sealed_tables() -> list[Table]:
    """Every table with a sealed column, from the models' metadata."""
    return [
        table
        for table in db.metadata.sorted_tables
        if any(isinstance(column.type, Ciphertext) for column in table.columns)
    ]


Progress = Callable[[int, int | None], None]


class _Counter:
    """Rows read across every table, reported every :data:`BATCH` rows and at the end."""

    def __init__(self, on_progress: Progress, total: int) -> None:
        self.on_progress = on_progress
        self.total = total
        self.done = 0

    def row(self) -> None:
        self.done += 1
        if self.done % BATCH == 0:
            self.on_progress(self.done, self.total)

    def finish(self) -> None:
        self.on_progress(self.done, self.total)


def _check_table(
    table: Table, keyring: KeyRing, keys: dict, counter: _Counter | None = None
) -> TableCheck:
    result = TableCheck(table.name)
    sealed = [column for column in table.columns if isinstance(column.type, Ciphertext)]
    # Fields declared with encrypted() are sealed for the row's seal_id; whole documents
    # for the row's id.
    row_key = table.c.seal_id if "seal_id" in table.c else table.c.id
    query = select(row_key, table.c.data_key_id, *sealed).order_by(row_key)
    rows: Iterable[tuple[uuid.UUID | int, uuid.UUID, *tuple[bytes | None, ...]]] = (
        db.session.execute(query.execution_options(yield_per=BATCH))
    )
    for row in rows:
        if counter is not None:
            counter.row()
        row_id, data_key_id, *values = row
        for column, value in zip(sealed, values, strict=True):
            if value is None:
                continue
            if data_key_id not in keys:
                keys[data_key_id] = db.session.get(DataKey, data_key_id)
            data_key = keys[data_key_id]
            try:
                if data_key is None:
                    raise CryptoError("the row's data key is missing")
                unseal_bytes(
                    data_key,
                    value,
                    keyring=keyring,
                    table=table.name,
                    column=column.name.removesuffix(SUFFIX),
                    row_id=row_id,
                )
            except KeyShredded:
                result.shredded += 1
            except CryptoError:
                result.failed += 1
            else:
                result.decrypted += 1
    return result


def check_sealed_values(keyring: KeyRing, *, on_progress: Progress | None = None) -> SealCheck:
    """Decrypt every sealed value of the database with ``keyring``; count, never keep.

    ``on_progress(done, total)``, if given, is called every :data:`BATCH` rows and at the end
    with the rows read so far and the rows of every sealed table (counted once at the start).
    """
    keys: dict = {}
    tables = sealed_tables()
    counter: _Counter | None = None
    if on_progress is not None:
        total = sum(
            db.session.scalar(select(func.count()).select_from(table)) or 0 for table in tables
        )
        counter = _Counter(on_progress, total)
    check = SealCheck([_check_table(table, keyring, keys, counter) for table in tables])
    if counter is not None:
        counter.finish()
    return check
