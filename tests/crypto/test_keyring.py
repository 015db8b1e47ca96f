"""The key ring: wrapping data keys under the KEK, and blind indexes."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest

from partnercontact.crypto.errors import DecryptionFailed, UnknownKey
from partnercontact.crypto.keyfile import (
    KeyFile,
    generate_key_file,
    load_key_file,
    only_active_kek,
    with_new_kek,
)
from partnercontact.crypto.keyring import WRAPPED_BYTES, KeyRing

PHONE = "+46701234567"


@pytest.fixture
def keys(tmp_path: Path) -> KeyFile:
    return generate_key_file(tmp_path / "keys.json")


def test_a_wrapped_key_unwraps_to_the_same_key(keys: KeyFile) -> None:
    ring = KeyRing(keys)
    dek, data_key_id = os.urandom(32), uuid.uuid4()
    kek_id, wrapped = ring.wrap(dek, data_key_id)
    assert kek_id == keys.active_kek == ring.active_kek_id
    assert len(wrapped) == WRAPPED_BYTES == 60
    assert dek not in wrapped
    assert ring.unwrap(kek_id, wrapped, data_key_id) == dek
    # A fresh nonce every time: wrapping twice gives unrelated bytes.
    assert ring.wrap(dek, data_key_id)[1][:12] != wrapped[:12]


def test_a_wrapped_key_does_not_unwrap_for_another_data_key(keys: KeyFile) -> None:
    ring = KeyRing(keys)
    kek_id, wrapped = ring.wrap(os.urandom(32), uuid.uuid4())
    with pytest.raises(DecryptionFailed):
        ring.unwrap(kek_id, wrapped, uuid.uuid4())


@pytest.mark.parametrize("position", [0, 11, 12, 43, 44, 59])
def test_an_altered_wrapped_key_does_not_unwrap(keys: KeyFile, position: int) -> None:
    ring = KeyRing(keys)
    data_key_id = uuid.uuid4()
    kek_id, wrapped = ring.wrap(os.urandom(32), data_key_id)
    altered = bytearray(wrapped)
    altered[position] ^= 0x01
    with pytest.raises(DecryptionFailed):
        ring.unwrap(kek_id, bytes(altered), data_key_id)
    with pytest.raises(DecryptionFailed, match="wrong length"):
        ring.unwrap(kek_id, wrapped[:-1], data_key_id)


def test_a_key_wrapped_under_a_kek_the_ring_lacks_is_unknown(tmp_path: Path) -> None:
    old = generate_key_file(tmp_path / "keys.json")
    data_key_id = uuid.uuid4()
    kek_id, wrapped = KeyRing(old).wrap(os.urandom(32), data_key_id)
    retired = only_active_kek(with_new_kek(old))
    with pytest.raises(UnknownKey, match=kek_id):
        KeyRing(retired).unwrap(kek_id, wrapped, data_key_id)
    # A ring that still holds the old KEK beside the new one unwraps it.
    assert KeyRing(with_new_kek(old)).unwrap(kek_id, wrapped, data_key_id)


def test_only_data_keys_of_the_right_size_are_wrapped(keys: KeyFile) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyRing(keys).wrap(os.urandom(16), uuid.uuid4())


def test_the_blind_index_is_stable_keyed_hex_and_exact(tmp_path: Path, keys: KeyFile) -> None:
    index = KeyRing(keys).blind_index("partner_phone", PHONE)
    assert re.fullmatch(r"[0-9a-f]{64}", index)
    # The same key file, loaded by another process, gives the same index.
    assert KeyRing(load_key_file(tmp_path / "keys.json")).blind_index("partner_phone", PHONE) == (
        index
    )
    # Another value, even by one digit, gives another index; so does another blind-index key.
    assert KeyRing(keys).blind_index("partner_phone", "+46701234568") != index
    other = generate_key_file(tmp_path / "other.json")
    assert KeyRing(other).blind_index("partner_phone", PHONE) != index


def test_the_blind_index_is_separated_by_domain(keys: KeyFile) -> None:
    ring = KeyRing(keys)
    assert ring.blind_index("partner_phone", PHONE) != ring.blind_index("client_phone", PHONE)
    # A domain cannot contain the separator, so ("a", "b\0c") has no twin ("a\0b", "c").
    with pytest.raises(ValueError, match="domain"):
        ring.blind_index("a\x00b", "c")
    with pytest.raises(ValueError, match="domain"):
        ring.blind_index("", PHONE)


def test_the_blind_index_does_not_depend_on_the_kek(keys: KeyFile) -> None:
    index = KeyRing(keys).blind_index("partner_phone", PHONE)
    rotated = only_active_kek(with_new_kek(keys))
    assert rotated.active_kek != keys.active_kek
    assert KeyRing(rotated).blind_index("partner_phone", PHONE) == index
