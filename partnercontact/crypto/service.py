"""Data keys and field encryption.

Functions flush, never commit. Field ciphertexts have the layout
``version (1) | data key id (16) | nonce (12) | AES-GCM ciphertext and tag``, and their
associated data names the table, column and row they belong to, so a ciphertext moved
anywhere else fails to decrypt instead of showing one person's data as another's.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.clock import Clock
from partnercontact.crypto.errors import DecryptionFailed, KeyShredded, UnknownKey
from partnercontact.crypto.keyfile import KeyFile, new_kek_id, write_key_file
from partnercontact.crypto.keyring import NONCE_BYTES, KeyRing
from partnercontact.crypto.models import DataKey
from partnercontact.db import db

ENVELOPE_VERSION = 1
_HEADER = 1 + 16


def create_data_key(purpose: str, *, keyring: KeyRing, clock: Clock) -> DataKey:
    """A new random data key, stored wrapped under the active KEK."""
    data_key = DataKey(id=uuid.uuid4(), purpose=purpose, created_at=clock.now())
    kek_id, wrapped = keyring.wrap(AESGCM.generate_key(bit_length=256), data_key.id)
    data_key.kek_id, data_key.wrapped = kek_id, wrapped
    db.session.add(data_key)
    db.session.flush()
    return data_key


def shred_data_key(
    data_key: DataKey, *, keyring: KeyRing, clock: Clock, actor_id: int | None = None
) -> str:
    """Destroy ``data_key`` for good and return the digest that proves which key it was.

    Idempotent: shredding twice returns the same digest and changes nothing.
    """
    digest = hashlib.sha256(data_key.id.bytes).hexdigest()
    keyring.forget(data_key.id)
    if data_key.wrapped is not None:
        data_key.wrapped = None
        data_key.shredded_at = clock.now()
        data_key.shred_digest = digest
        db.session.flush()
        record_event(
            AuditAction.DATAKEY_SHREDDED,
            actor_id=actor_id,
            resource_type="data_key",
            resource_id=str(data_key.id),
        )
    return digest


def _aad(table: str, column: str, row_id: object, data_key_id: uuid.UUID) -> bytes:
    return "|".join(("pc-field-v1", table, column, str(row_id), str(data_key_id))).encode()


def _dek(data_key: DataKey, keyring: KeyRing) -> bytes:
    if data_key.wrapped is None:
        keyring.forget(data_key.id)
        raise KeyShredded(f"data key {data_key.id} was shredded")
    return keyring.unwrap(data_key.kek_id, data_key.wrapped, data_key.id)


def seal(
    data_key: DataKey, plaintext: str, *, keyring: KeyRing, table: str, column: str, row_id: object
) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_dek(data_key, keyring)).encrypt(
        nonce, plaintext.encode(), _aad(table, column, row_id, data_key.id)
    )
    return bytes([ENVELOPE_VERSION]) + data_key.id.bytes + nonce + sealed


def envelope_key_id(ciphertext: bytes) -> uuid.UUID:
    if len(ciphertext) < _HEADER + NONCE_BYTES + 16 or ciphertext[0] != ENVELOPE_VERSION:
        raise DecryptionFailed("not a sealed value")
    return uuid.UUID(bytes=ciphertext[1:_HEADER])


def unseal(
    data_key: DataKey,
    ciphertext: bytes,
    *,
    keyring: KeyRing,
    table: str,
    column: str,
    row_id: object,
) -> str:
    if envelope_key_id(ciphertext) != data_key.id:
        raise DecryptionFailed("the value was sealed under another data key")
    nonce = ciphertext[_HEADER : _HEADER + NONCE_BYTES]
    try:
        plain = AESGCM(_dek(data_key, keyring)).decrypt(
            nonce, ciphertext[_HEADER + NONCE_BYTES :], _aad(table, column, row_id, data_key.id)
        )
    except InvalidTag:
        raise DecryptionFailed("the value does not belong here or was altered") from None
    return plain.decode()


def load_data_key(data_key_id: uuid.UUID) -> DataKey:
    data_key = db.session.get(DataKey, data_key_id)
    if data_key is None:
        raise UnknownKey(f"data key {data_key_id} does not exist")
    return data_key


def rewrap_all(old: KeyRing, new: KeyRing) -> int:
    """Re-wrap every live data key from ``old``'s KEKs under ``new``'s active KEK.

    Ciphertexts are untouched: only the small wrapped keys change. Flushes, never commits.
    """
    count = 0
    for data_key in db.session.scalars(select(DataKey).where(DataKey.wrapped.is_not(None))):
        assert data_key.wrapped is not None
        dek = old.unwrap(data_key.kek_id, data_key.wrapped, data_key.id)
        data_key.kek_id, data_key.wrapped = new.wrap(dek, data_key.id)
        count += 1
    db.session.flush()
    return count


def rotate_kek(keyring: KeyRing, key_file: Path, *, actor_id: int | None = None) -> tuple[int, str]:
    """Rotate the key-encryption key: a new KEK wraps every data key; the old one goes.

    The new key is first written to the file beside the old one, so a crash at any point
    leaves a file that can unwrap every data key; the database commit happens here; only
    then is the old KEK removed from the file. Returns (data keys re-wrapped, new KEK id).
    """
    current = keyring.keys
    kek_id = new_kek_id()
    both = KeyFile(
        secret_key=current.secret_key,
        audit_mac_key=current.audit_mac_key,
        blind_index_key=current.blind_index_key,
        active_kek=kek_id,
        keks={**current.keks, kek_id: AESGCM.generate_key(bit_length=256)},
    )
    write_key_file(key_file, both)
    rewrapped = rewrap_all(keyring, KeyRing(both))
    record_event(
        AuditAction.KEYS_ROTATED, actor_id=actor_id, resource_type="key", resource_id=kek_id
    )
    db.session.commit()
    write_key_file(key_file, KeyFile(**{**both.__dict__, "keks": {kek_id: both.keks[kek_id]}}))
    return rewrapped, kek_id
