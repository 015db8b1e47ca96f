"""Data keys, sealed envelopes and crypto-shredding, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import update

from partnercontact.clock import FixedClock
from partnercontact.crypto.errors import DecryptionFailed, KeyShredded
from partnercontact.crypto.keyfile import load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import (
    MIN_ENVELOPE_BYTES,
    Sealed,
    seal,
    shred_data_key,
    shred_digest,
    unseal,
)
from partnercontact.db import db
from partnercontact.runtime import current_runtime
from tests.crypto.sealed_models import new_data_key, raw

TEXT = "Anna Lindqvist, Storgatan 7"
PLACE = {"table": "client", "column": "name", "row_id": uuid.UUID(int=7)}


def _seal(data_key: DataKey, text: str = TEXT, **place: object) -> Sealed:
    return seal(data_key, text, keyring=current_runtime().keyring, **{**PLACE, **place})


def _unseal(data_key: DataKey, ciphertext: bytes, **place: object) -> str:
    return unseal(data_key, ciphertext, keyring=current_runtime().keyring, **{**PLACE, **place})


def test_a_data_key_is_stored_only_wrapped_under_the_active_kek(
    app: Flask, clock: FixedClock
) -> None:
    key = new_data_key("consent_document")
    db.session.commit()
    ((purpose, kek_id, wrapped, created_at),) = raw(
        "SELECT purpose, kek_id, wrapped, created_at FROM data_key WHERE id = :id", id=key.id
    )
    assert purpose == "consent_document"
    assert kek_id == current_runtime().keyring.active_kek_id
    assert len(bytes(wrapped)) == 60
    assert db.session.get(DataKey, key.id).created_at == clock.now()
    with pytest.raises(ValueError, match="purpose"):
        new_data_key("Case; DROP")


def test_a_sealed_value_reads_back_and_holds_no_plaintext(app: Flask) -> None:
    key = new_data_key()
    for text in (TEXT, "", "Åsa Öberg ☎ 070-123 45 67"):
        sealed = _seal(key, text)
        assert _unseal(key, sealed) == text
        assert len(sealed) == MIN_ENVELOPE_BYTES + len(text.encode())
        if text:
            assert text.encode() not in sealed
    sealed = _seal(key)
    # Layout: version byte, then the data key id; a fresh nonce each time.
    assert sealed[0] == 1
    assert sealed[1:17] == key.id.bytes
    assert _seal(key) != sealed


@pytest.mark.parametrize(
    "elsewhere",
    [
        {"table": "partner"},
        {"column": "phone"},
        {"row_id": uuid.UUID(int=8)},
        {"row_id": "00000000-0000-0000-0000-000000000007x"},
    ],
    ids=["table", "column", "row", "row-text"],
)
def test_a_value_sealed_for_one_place_does_not_open_in_another(
    app: Flask, elsewhere: dict[str, object]
) -> None:
    key = new_data_key()
    sealed = _seal(key)
    with pytest.raises(DecryptionFailed):
        _unseal(key, sealed, **elsewhere)


def test_a_value_sealed_under_one_data_key_does_not_open_under_another(app: Flask) -> None:
    first, second = new_data_key(), new_data_key()
    sealed = _seal(first)
    with pytest.raises(DecryptionFailed, match="another data key"):
        _unseal(second, sealed)
    # Rewriting the header to name the other key does not help: it is authenticated.
    forged = sealed[:1] + second.id.bytes + sealed[17:]
    with pytest.raises(DecryptionFailed):
        _unseal(second, forged)


@pytest.mark.parametrize("position", [0, 1, 16, 17, 28, 29, -17, -1])
def test_an_altered_or_truncated_value_does_not_open(app: Flask, position: int) -> None:
    key = new_data_key()
    sealed = bytearray(_seal(key))
    sealed[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        _unseal(key, bytes(sealed))
    with pytest.raises(DecryptionFailed):
        _unseal(key, _seal(key)[:-1])


def test_ambiguous_places_are_refused(app: Flask) -> None:
    key = new_data_key()
    with pytest.raises(ValueError, match="row_id"):
        _seal(key, row_id="7|name")
    with pytest.raises(ValueError, match="identifier"):
        _seal(key, table="client|name")
    with pytest.raises(TypeError, match="text"):
        seal(key, b"bytes", keyring=current_runtime().keyring, **PLACE)  # type: ignore[arg-type]


def test_after_shredding_nothing_sealed_under_the_key_can_be_read(
    app: Flask, clock: FixedClock, key_file: Path
) -> None:
    key, other = new_data_key("consent_document"), new_data_key("case")
    sealed = _seal(key)
    wrapped_before = bytes(key.wrapped or b"")
    db.session.commit()

    clock.advance(days=1)
    digest = shred_data_key(key, clock=clock)
    db.session.commit()

    assert digest == hashlib.sha256(key.id.bytes).hexdigest()
    assert raw(
        "SELECT wrapped, shredded_at IS NOT NULL, shred_digest FROM data_key WHERE id = :id",
        id=key.id,
    ) == [(None, True, digest)]
    db.session.expire_all()
    with pytest.raises(KeyShredded):
        _unseal(db.session.get(DataKey, key.id), sealed)
    with pytest.raises(KeyShredded):
        _seal(db.session.get(DataKey, key.id))
    # A fresh key ring with every key of the key file gets no further: the wrapped key is no
    # longer anywhere in the database, and no other row's wrapped key stands in for it.
    full = KeyRing(load_key_file(key_file))
    rows = raw("SELECT kek_id, wrapped FROM data_key WHERE wrapped IS NOT NULL")
    assert rows and all(bytes(wrapped) != wrapped_before for _, wrapped in rows)
    for kek_id, wrapped in rows:
        with pytest.raises(DecryptionFailed):
            full.unwrap(kek_id, bytes(wrapped), key.id)
    with pytest.raises(KeyShredded):
        unseal(db.session.get(DataKey, key.id), sealed, keyring=full, **PLACE)
    # The other key is untouched.
    assert _unseal(other, _seal(other)) == TEXT


def test_shredding_is_idempotent_and_keeps_the_first_time(app: Flask, clock: FixedClock) -> None:
    key = new_data_key()
    db.session.commit()
    shredded_at = clock.now()
    first = shred_data_key(key, clock=clock)
    db.session.commit()
    clock.advance(hours=3)
    assert shred_data_key(db.session.get(DataKey, key.id), clock=clock) == first
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(DataKey, key.id).shredded_at == shredded_at
    events = raw("SELECT resource_id FROM audit_event WHERE action = 'datakey.shredded'")
    assert events == [(str(key.id),)]


def test_a_key_shredded_by_another_process_is_not_shredded_again(
    app: Flask, clock: FixedClock
) -> None:
    key = new_data_key()
    db.session.commit()
    stale = db.session.get(DataKey, key.id)
    assert stale.wrapped is not None  # loaded into this session, then destroyed elsewhere
    with db.engine.begin() as other:
        other.execute(
            update(DataKey)
            .where(DataKey.id == key.id)
            .values(wrapped=None, shredded_at=clock.now(), shred_digest=shred_digest(key.id))
        )
    clock.advance(hours=1)
    assert shred_data_key(stale, clock=clock) == shred_digest(key.id)
    db.session.commit()
    assert stale.shredded_at == clock.now() - timedelta(hours=1)
    assert raw("SELECT count(*) FROM audit_event WHERE action = 'datakey.shredded'") == [(0,)]
