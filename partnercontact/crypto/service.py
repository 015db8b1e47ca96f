"""Data keys, field encryption, crypto-shredding and KEK rotation.

Functions here flush, never commit, and take their keys and clock as arguments; none needs a
request. A sealed field value (an *envelope*) is laid out as::

    version (1) | data key id (16) | nonce (12) | AES-256-GCM ciphertext | tag (16)

sealed under the data key with associated data naming the table, column, row (the record's
``seal_id``) and data key it belongs to. A ciphertext copied anywhere else fails with
:class:`DecryptionFailed` instead of showing one person's data as another's.

KEK rotation is three steps, and the order is what keeps every record readable whatever
moment a crash or a failed commit happens at:

1. :func:`stage_new_kek` writes the key file with a new KEK, active, *beside* the old ones;
2. :func:`rotate_kek` re-wraps every live data key under it (the caller then commits);
3. :func:`retire_old_keks`, once the commit is durable, checks the committed database holds
   no live data key under any other KEK and only then writes the file without them.

:func:`partnercontact.crypto.rotation.rotate_keys` runs the three under a lock.
"""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import CursorResult, func, inspect, select, update
from sqlalchemy.orm import Session, scoped_session

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.clock import Clock
from partnercontact.crypto.errors import CryptoError, DecryptionFailed, KeyShredded, UnknownKey
from partnercontact.crypto.keyfile import (
    KEY_BYTES,
    KeyFile,
    load_key_file,
    only_active_kek,
    with_new_kek,
    write_key_file,
)
from partnercontact.crypto.keyring import NONCE_BYTES, TAG_BYTES, KeyRing
from partnercontact.crypto.models import DataKey
from partnercontact.db import db

ENVELOPE_VERSION = 1
_KEY_ID_BYTES = 16
_HEADER_BYTES = 1 + _KEY_ID_BYTES
MIN_ENVELOPE_BYTES = _HEADER_BYTES + NONCE_BYTES + TAG_BYTES
# The associated data is "label|table|column|row|data key". Table and column are identifiers
# and a row id may not contain "|", so the encoding is unambiguous: no two different places
# share associated data. The label names the format, so a future version's envelopes can
# never authenticate as this one's.
_AAD_LABEL = "pc-field-v1"
IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,31}")

RowId = uuid.UUID | int | str


class Sealed(bytes):
    """An envelope made by :func:`seal` or read back from a sealed column.

    Sealed columns accept nothing else (:class:`partnercontact.crypto.fields.Ciphertext`), so
    plain text or arbitrary bytes cannot be stored in them by mistake. A marker against
    accidents, not a security boundary: authenticity comes from AES-GCM.
    """


# --- data keys --------------------------------------------------------------------------


def create_data_key(purpose: str, *, keyring: KeyRing, clock: Clock) -> DataKey:
    """Add a new random data key, wrapped under the active KEK, to the session; flush.

    ``purpose`` is a short lowercase label ("case", "consent_document", "account"). The key
    itself exists unwrapped only for the length of this call.
    """
    if not _PURPOSE.fullmatch(purpose):
        raise ValueError("purpose is a short lowercase label such as 'case'")
    # The id is generated here, not by the database: it is the associated data of the wrap.
    data_key = DataKey(id=uuid.uuid4(), purpose=purpose, created_at=clock.now())
    # 256 bits from the OS CSPRNG (AESGCM.generate_key uses os.urandom).
    dek = AESGCM.generate_key(bit_length=KEY_BYTES * 8)
    data_key.kek_id, data_key.wrapped = keyring.wrap(dek, data_key.id)
    db.session.add(data_key)
    db.session.flush()
    return data_key


_LOADED_KEYS = "partnercontact.loaded_data_keys"


def load_data_key(
    data_key_id: uuid.UUID | None, *, session: Session | scoped_session[Any] | None = None
) -> DataKey:
    """The data key row ``data_key_id``; :class:`UnknownKey` if there is none."""
    if data_key_id is None:
        raise UnknownKey("the record has no data key")
    session = session or db.session
    # The identity map holds rows only while something refers to them: without this, a page
    # that reads twenty fields of one case would load its data key twenty times. The row is
    # the session's own, so a rollback or a shredding in this session is seen through it.
    loaded = session.info.setdefault(_LOADED_KEYS, {})
    data_key = loaded.get(data_key_id)
    if data_key is not None and not inspect(data_key).detached:
        return data_key
    with session.no_autoflush:
        data_key = session.get(DataKey, data_key_id)
    if data_key is None:
        raise UnknownKey(f"data key {data_key_id} does not exist")
    loaded[data_key_id] = data_key
    return data_key


def load_data_keys(
    data_key_ids: Iterable[uuid.UUID], *, session: Session | scoped_session[Any] | None = None
) -> None:
    """Load the data key rows of many records in one query, for a page that unseals a field
    of each: :func:`load_data_key` then finds them without a query per record."""
    wanted = set(data_key_ids)
    if not wanted:
        return
    session = session or db.session
    loaded = session.info.setdefault(_LOADED_KEYS, {})
    with session.no_autoflush:
        for data_key in session.scalars(select(DataKey).where(DataKey.id.in_(wanted))):
            loaded[data_key.id] = data_key


def keep_data_keys(
    data_keys: Iterable[DataKey | None], *, session: Session | scoped_session[Any] | None = None
) -> None:
    """Data key rows a page loaded along with its records (joined into its own query), for
    :func:`load_data_key` to find without a query of its own."""
    loaded = (session or db.session).info.setdefault(_LOADED_KEYS, {})
    for data_key in data_keys:
        if data_key is not None:
            loaded[data_key.id] = data_key


def shred_digest(data_key_id: uuid.UUID) -> str:
    """Hex SHA-256 of the 16 bytes of ``data_key_id``: names a destroyed key, reveals nothing.

    Anyone holding the id can check it, so an audit can prove *which* key was destroyed; it
    is derived from the id only, so it says nothing about the key or what it protected.
    """
    return hashlib.sha256(data_key_id.bytes).hexdigest()


def shred_data_key(data_key: DataKey, *, clock: Clock, actor_id: int | None = None) -> str:
    """Destroy ``data_key`` for good and return its :func:`shred_digest`.

    Sets ``wrapped`` to NULL and records ``shredded_at`` and ``shred_digest`` and an audit
    event, then flushes; once the caller commits, nothing sealed under the key can be read by
    anyone holding the database and every key file. Idempotent: shredding a shredded key
    returns the same digest and changes nothing (no new time, no new audit event).

    What this cannot reach: copies of the wrapped key made *before* the commit (database
    backups, PostgreSQL row versions not yet vacuumed, SQLite free pages and WAL without
    ``secure_delete``). Each is still wrapped under a KEK, so the shred is final against
    those copies too once every KEK that ever wrapped this key has been rotated away
    (``partnercontact keys rotate`` after shredding, and old key-file copies destroyed).
    """
    # Read the row afresh (and lock it on PostgreSQL): a stale object could say "not yet
    # shredded" about a key another process already shredded, and shredding it again would
    # overwrite the original time of destruction.
    if inspect(data_key).persistent:
        db.session.refresh(data_key, with_for_update=True)
    digest = shred_digest(data_key.id)
    if data_key.wrapped is None:
        return digest
    data_key.wrapped = None
    data_key.shredded_at = clock.now()
    data_key.shred_digest = digest
    db.session.flush()
    record_event(
        AuditAction.DATAKEY_SHREDDED,
        actor_id=actor_id,
        resource_type="data_key",
        resource_id=str(data_key.id),
        clock=clock,
    )
    return digest


def _dek(data_key: DataKey, keyring: KeyRing) -> bytes:
    if data_key.wrapped is None:
        raise KeyShredded(f"data key {data_key.id} was shredded")
    return keyring.unwrap(data_key.kek_id, data_key.wrapped, data_key.id)


# --- field envelopes --------------------------------------------------------------------


def _aad(table: str, column: str, row_id: RowId, data_key_id: uuid.UUID) -> bytes:
    if not IDENTIFIER.fullmatch(table) or not IDENTIFIER.fullmatch(column):
        raise ValueError("table and column are lowercase SQL identifiers")
    if isinstance(row_id, bool) or not isinstance(row_id, uuid.UUID | int | str):
        raise TypeError("row_id is a UUID, an int or a string")
    row = str(row_id)
    if not row or "|" in row:
        raise ValueError("row_id must be non-empty and may not contain '|'")
    return "|".join((_AAD_LABEL, table, column, row, str(data_key_id))).encode("utf-8")


def seal(
    data_key: DataKey,
    plaintext: str,
    *,
    keyring: KeyRing,
    table: str,
    column: str,
    row_id: RowId,
) -> Sealed:
    """Encrypt ``plaintext`` under ``data_key`` for one place: ``table``.``column`` of the row
    ``row_id``. Only :func:`unseal` with the same data key and place reads it back.

    Raises :class:`KeyShredded` if the key is shredded. Two seals of the same text differ
    (random nonce). The length of the envelope reveals the length of the text (UTF-8 bytes +
    45); nothing else about it.
    """
    if not isinstance(plaintext, str):
        raise TypeError("seal takes text")
    return seal_bytes(
        data_key,
        plaintext.encode("utf-8"),
        keyring=keyring,
        table=table,
        column=column,
        row_id=row_id,
    )


def seal_bytes(
    data_key: DataKey,
    plaintext: bytes,
    *,
    keyring: KeyRing,
    table: str,
    column: str,
    row_id: RowId,
) -> Sealed:
    """:func:`seal` for binary content (a scanned document); read back with
    :func:`unseal_bytes`."""
    if not isinstance(plaintext, bytes):
        raise TypeError("seal_bytes takes bytes")
    aad = _aad(table, column, row_id, data_key.id)
    # A random 96-bit nonce per value. One data key seals the fields of one case (a few
    # hundred values over its life, re-sealed on every edit), far below the 2**32 messages
    # at which random GCM nonces under one key start to risk a collision.
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_dek(data_key, keyring)).encrypt(nonce, plaintext, aad)
    return Sealed(bytes([ENVELOPE_VERSION]) + data_key.id.bytes + nonce + sealed)


def envelope_key_id(ciphertext: bytes) -> uuid.UUID:
    """The data key id in an envelope's header; :class:`DecryptionFailed` if ``ciphertext``
    is not shaped like an envelope of this version. Checks the shape only, not authenticity.
    """
    if (
        not isinstance(ciphertext, bytes | bytearray | memoryview)
        or len(ciphertext) < MIN_ENVELOPE_BYTES
        or ciphertext[0] != ENVELOPE_VERSION
    ):
        raise DecryptionFailed("not a sealed value")
    return uuid.UUID(bytes=bytes(ciphertext[1:_HEADER_BYTES]))


def unseal(
    data_key: DataKey,
    ciphertext: bytes,
    *,
    keyring: KeyRing,
    table: str,
    column: str,
    row_id: RowId,
) -> str:
    """The text that :func:`seal` sealed as ``ciphertext`` for this data key and place.

    Raises :class:`KeyShredded` if the key is shredded, and :class:`DecryptionFailed` if the
    envelope was altered or truncated, names another data key, or was sealed for another
    table, column or row.
    """
    plain = unseal_bytes(
        data_key, ciphertext, keyring=keyring, table=table, column=column, row_id=row_id
    )
    return plain.decode("utf-8")


def unseal_bytes(
    data_key: DataKey,
    ciphertext: bytes,
    *,
    keyring: KeyRing,
    table: str,
    column: str,
    row_id: RowId,
) -> bytes:
    """The bytes that :func:`seal_bytes` sealed; raises as :func:`unseal` does."""
    ciphertext = bytes(ciphertext)
    if envelope_key_id(ciphertext) != data_key.id:
        raise DecryptionFailed("the value was sealed under another data key")
    aad = _aad(table, column, row_id, data_key.id)
    nonce = ciphertext[_HEADER_BYTES : _HEADER_BYTES + NONCE_BYTES]
    body = ciphertext[_HEADER_BYTES + NONCE_BYTES :]
    try:
        return AESGCM(_dek(data_key, keyring)).decrypt(nonce, body, aad)
    except InvalidTag:
        raise DecryptionFailed("the value does not belong here or was altered") from None


# --- KEK rotation -----------------------------------------------------------------------


def stage_new_kek(key_file: Path) -> KeyRing:
    """Step 1: write ``key_file`` with a new random KEK, active, beside every existing KEK.

    Returns a key ring of the new file. Nothing in the database changes; everything still
    unwraps, and new data keys (made by a process that loaded this file) use the new KEK.
    """
    staged = with_new_kek(load_key_file(key_file))
    write_key_file(key_file, staged)
    return KeyRing(staged)


def rotate_kek(
    keyring: KeyRing,
    *,
    clock: Clock,
    actor_id: int | None = None,
    batch_size: int = 500,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> int:
    """Step 2: re-wrap every live data key not yet under ``keyring``'s active KEK under it.

    Returns how many were re-wrapped; records an audit event; flushes, never commits.
    Shredded keys stay shredded and field ciphertexts are not touched: a data key is the same
    key after re-wrapping, only its wrapping changes. Raises :class:`UnknownKey` if a data key
    is wrapped under a KEK ``keyring`` lacks; the caller must then roll back.

    ``on_progress(done, total)``, if given, is called after each batch with the data keys
    handled so far and those to re-wrap (one count at the start).
    """
    target = keyring.active_kek_id
    count = 0
    done = 0
    total: int | None = None
    if on_progress is not None:
        total = db.session.scalar(
            select(func.count())
            .select_from(DataKey)
            .where(DataKey.wrapped.is_not(None), DataKey.kek_id != target)
        )
    last: uuid.UUID | None = None
    while True:
        query = (
            select(DataKey.id, DataKey.kek_id, DataKey.wrapped)
            .where(DataKey.wrapped.is_not(None), DataKey.kek_id != target)
            .order_by(DataKey.id)
            .limit(batch_size)
        )
        if last is not None:
            query = query.where(DataKey.id > last)
        rows = db.session.execute(query).all()
        if not rows:
            break
        for data_key_id, kek_id, wrapped in rows:
            if wrapped is None:  # not selected: a shredded key has nothing to re-wrap
                continue
            dek = keyring.unwrap(kek_id, wrapped, data_key_id)
            new_kek_id, new_wrapped = keyring.wrap(dek, data_key_id)
            # Compare-and-swap: the row is updated only if it still holds what was read. A
            # key shredded by another process in between stays shredded instead of being
            # brought back to life by this write; the shred wins and the key is skipped.
            result = db.session.execute(
                update(DataKey)
                .where(
                    DataKey.id == data_key_id,
                    DataKey.kek_id == kek_id,
                    DataKey.wrapped == wrapped,
                )
                .values(kek_id=new_kek_id, wrapped=new_wrapped)
                .execution_options(synchronize_session=False)
            )
            assert isinstance(result, CursorResult)
            count += result.rowcount
            last = data_key_id
        done += len(rows)
        if on_progress is not None:
            on_progress(done, total)
    # Data key objects already in the session hold the old wrapping; reload on next access.
    for instance in list(db.session.identity_map.values()):
        if isinstance(instance, DataKey):
            db.session.expire(instance)
    db.session.flush()
    record_event(
        AuditAction.KEYS_ROTATED,
        actor_id=actor_id,
        resource_type="key",
        resource_id=target,
        clock=clock,
    )
    return count


def data_keys_by_kek() -> dict[str, int]:
    """Live (un-shredded) data keys per KEK id, as *committed* in the database.

    Read on a connection of its own, so work flushed but not committed in the session does not
    count: what this reports is what survives a crash now.
    """
    with db.engine.connect() as connection:
        rows = connection.execute(
            select(DataKey.kek_id, func.count())
            .where(DataKey.wrapped.is_not(None))
            .group_by(DataKey.kek_id)
        ).all()
    return {kek_id: count for kek_id, count in rows}


def retire_old_keks(key_file: Path, keyring: KeyRing) -> KeyFile:
    """Step 3, after the re-wrap has committed: remove every KEK but the active one.

    ``keyring`` is the ring :func:`stage_new_kek` returned. Refuses with :class:`CryptoError`,
    leaving the file as it is, if the key file's active KEK is no longer ``keyring``'s or if
    any committed live data key is still wrapped under another KEK (the re-wrap was not
    committed, or a process still running with the old key file created one since). Removing
    the KEK then would make those keys, and all they protect, unreadable for ever.
    """
    current = load_key_file(key_file)
    active = keyring.active_kek_id
    if current.active_kek != active or current.keks[active] != keyring.keys.keks[active]:
        raise CryptoError(f"{key_file} changed during the rotation; no key was removed")
    left = {kek_id: n for kek_id, n in data_keys_by_kek().items() if kek_id != active}
    if left:
        listed = ", ".join(f"{n} under {kek_id}" for kek_id, n in sorted(left.items()))
        raise CryptoError(
            f"live data keys are still wrapped under other KEKs ({listed}); no key was "
            "removed. Stop every web and worker process and run the rotation again."
        )
    retired = only_active_kek(current)
    write_key_file(key_file, retired)
    return retired
