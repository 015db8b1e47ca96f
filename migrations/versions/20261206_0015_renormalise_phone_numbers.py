"""Re-normalise every stored phone number with libphonenumber, and its blind index

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

Phone numbers are now parsed by libphonenumber (:func:`partnercontact.identifiers.
normalise_phone`). Numbers stored before the fix of the trunk 0 after a country code hold
``+46070...`` for ``+4670...``: a text message to one reaches nobody, and her reply (which
Twilio reports from ``+4670...``) matches no blind index, so it lands in no case. This
migration unseals every stored number, writes it again in the library's E.164 form with its
new blind index, and moves the opt-outs and replies filed under the old index to the new one.

Where the keys come from: the numbers are sealed under data keys wrapped by the key file, so
the migration needs the key ring. ``partnercontact db upgrade`` (and ``serve`` in development)
load it from the configuration (``keys.file``, the same file the web and worker processes
read; :func:`partnercontact.migrate.upgrade` passes a loader to Alembic as
``config.attributes["keys"]``), and only when there is a sealed number to read: a new
installation, or a database with no numbers, migrates without one. This was chosen over
marking the rows here and re-sealing them in a later command, because the numbers and their
indexes then change in the migration's one transaction (on PostgreSQL): there is no window
in which the schema is current but replies still fail to match, and no second step for an
operator to forget. With sealed numbers and no key ring (Alembic run by hand), the migration
stops with a message and changes nothing.

A number the library does not call valid is left as it was and counted in the log (by table
and row id, never the number): the treater sees it and corrects it by a new hand-over. A
number under a shredded data key cannot be read and is left too; nothing reads it again.

Downgrade changes nothing: the old form was a number that reaches nobody.
"""

import logging
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
from alembic import context, op

from partnercontact.crypto.keyring import KeyRing
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import seal, unseal
from partnercontact.identifiers import normalise_phone
from partnercontact.phones import PHONE_INDEX_DOMAIN

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger(__name__)
BATCH = 500


@dataclass(frozen=True)
class _Place:
    """A sealed phone number column, and its blind index column if it has one."""

    table: str
    sealed: str  # the sealed field: the column is ``<sealed>_ct``
    index: str | None


# As of this revision; the migration never reads the application's models, which change.
PLACES = (
    _Place("partner_handover", "phone", "phone_index"),
    _Place("sms_message", "to_number", "to_index"),
    _Place("client", "phone", None),
)
# Blind indexes held without a number next to them: moved from the old index to the new.
INDEX_ONLY = (("inbound_sms", "from_index"),)


@dataclass
class Report:
    """What the re-normalisation did: counts, and the old index of every number it moved."""

    rewritten: dict[str, int] = field(default_factory=dict)
    left_invalid: list[tuple[str, uuid.UUID]] = field(default_factory=list)
    left_shredded: int = 0
    moved_indexes: dict[str, str] = field(default_factory=dict)


def _table(place: _Place) -> sa.TableClause:
    columns = [
        sa.column("id", sa.Uuid()),
        sa.column("seal_id", sa.Uuid()),
        sa.column("data_key_id", sa.Uuid()),
        sa.column(f"{place.sealed}_ct", sa.LargeBinary()),
    ]
    if place.index is not None:
        columns.append(sa.column(place.index, sa.String()))
    return sa.table(place.table, *columns)


def _rows(connection: sa.Connection, place: _Place) -> Iterator[sa.Row]:
    """Every row with a sealed number, in batches by primary key (never all in memory)."""
    table = _table(place)
    sealed = table.c[f"{place.sealed}_ct"]
    after: uuid.UUID | None = None
    while True:
        query = sa.select(*table.c).where(sealed.is_not(None)).order_by(table.c.id).limit(BATCH)
        if after is not None:
            query = query.where(table.c.id > after)
        rows = connection.execute(query).all()
        yield from rows
        if len(rows) < BATCH:
            return
        after = rows[-1].id


def _data_keys(connection: sa.Connection) -> Callable[[uuid.UUID], DataKey]:
    """The data key rows, as detached objects for :func:`seal` and :func:`unseal`."""
    table = sa.table(
        "data_key",
        sa.column("id", sa.Uuid()),
        sa.column("kek_id", sa.String()),
        sa.column("wrapped", sa.LargeBinary()),
    )
    cache: dict[uuid.UUID, DataKey] = {}

    def get(data_key_id: uuid.UUID) -> DataKey:
        if data_key_id not in cache:
            row = connection.execute(sa.select(*table.c).where(table.c.id == data_key_id)).one()
            cache[data_key_id] = DataKey(id=row.id, kek_id=row.kek_id, wrapped=row.wrapped)
        return cache[data_key_id]

    return get


def has_sealed_numbers(connection: sa.Connection) -> bool:
    for place in PLACES:
        table = _table(place)
        found = connection.execute(
            sa.select(table.c.id).where(table.c[f"{place.sealed}_ct"].is_not(None)).limit(1)
        ).first()
        if found is not None:
            return True
    return False


def renormalise_phone_numbers(connection: sa.Connection, keyring: KeyRing) -> Report:
    """Write every stored phone number in libphonenumber's E.164 form, with its blind index,
    and move index-only rows (opt-outs, replies) from each old index to the new one."""
    report = Report()
    data_key = _data_keys(connection)
    for place in PLACES:
        table = _table(place)
        column = f"{place.sealed}_ct"
        rewritten = 0
        for row in _rows(connection, place):
            values_of = row._mapping
            key = data_key(row.data_key_id)
            if key.wrapped is None:
                report.left_shredded += 1
                continue
            where = {"keyring": keyring, "table": place.table, "column": place.sealed}
            stored = unseal(key, values_of[column], row_id=row.seal_id, **where)
            try:
                normal = normalise_phone(stored)
            except ValueError:
                report.left_invalid.append((place.table, row.id))
                continue
            values: dict[str, object] = {}
            if normal != stored:
                values[column] = seal(key, normal, row_id=row.seal_id, **where)
            if place.index is not None:
                index = keyring.blind_index(PHONE_INDEX_DOMAIN, normal)
                old = values_of[place.index]
                if old != index:
                    values[place.index] = index
                    if old is not None:
                        report.moved_indexes[old] = index
            if values:
                connection.execute(sa.update(table).where(table.c.id == row.id).values(values))
                rewritten += 1
        report.rewritten[place.table] = rewritten
    _move_index_only_rows(connection, report.moved_indexes)
    return report


def _move_index_only_rows(connection: sa.Connection, moved: dict[str, str]) -> None:
    opt_out = sa.table("sms_opt_out", sa.column("id"), sa.column("phone_index", sa.String()))
    for old, new in moved.items():
        # phone_index is unique: a number opted out under both forms keeps the one row.
        both = connection.execute(
            sa.select(opt_out.c.id).where(opt_out.c.phone_index == new)
        ).first()
        if both is not None:
            connection.execute(sa.delete(opt_out).where(opt_out.c.phone_index == old))
        else:
            connection.execute(
                sa.update(opt_out).where(opt_out.c.phone_index == old).values(phone_index=new)
            )
        for name, column in INDEX_ONLY:
            table = sa.table(name, sa.column(column, sa.String()))
            connection.execute(sa.update(table).where(table.c[column] == old).values({column: new}))


def upgrade() -> None:
    connection = op.get_bind()
    if not has_sealed_numbers(connection):
        return
    keys = context.config.attributes.get("keys")
    if keys is None:
        raise RuntimeError(
            "revision 0015 re-seals the stored phone numbers and needs the key file: run it "
            "with `partnercontact db upgrade`, which loads the key file named by keys.file"
        )
    report = renormalise_phone_numbers(connection, keys())
    for table, count in report.rewritten.items():
        log.info("re-normalised %d phone numbers in %s", count, table)
    for table, row_id in report.left_invalid:
        log.warning("%s %s: the stored phone number is not valid; left as it was", table, row_id)
    if report.left_shredded:
        log.info("%d phone numbers under shredded keys left as they were", report.left_shredded)


def downgrade() -> None:
    pass
