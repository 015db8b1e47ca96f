"""KEK rotation and the `keys` commands, on SQLite and PostgreSQL.

Each test has a key file of its own (tests/crypto/conftest.py), which the app's configuration
names, so rotating it touches nothing outside the test.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from sqlalchemy import update

from partnercontact.auth.models import User
from partnercontact.cli.keys import keys
from partnercontact.clock import FixedClock
from partnercontact.crypto.errors import CryptoError, UnknownKey
from partnercontact.crypto.keyfile import load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.rotation import rotate_keys
from partnercontact.crypto.service import (
    create_data_key,
    retire_old_keks,
    rotate_kek,
    shred_data_key,
    stage_new_kek,
)
from partnercontact.db import db
from partnercontact.runtime import EXTENSION_KEY, current_runtime
from tests.crypto.sealed_models import Note, new_data_key, raw
from tests.factories import Factory

PHONE = "+46701234567"

pytestmark = pytest.mark.usefixtures("sealed_tables")


def _use_key_file(app: Flask, key_file: Path) -> KeyRing:
    """Restart, as far as the keys go: a key ring loaded from the key file as it is now."""
    keyring = KeyRing(load_key_file(key_file))
    app.extensions[EXTENSION_KEY] = dataclasses.replace(current_runtime(), keyring=keyring)
    db.session.expire_all()
    return keyring


def _notes(count: int) -> dict[uuid.UUID, str]:
    notes = []
    for number in range(count):
        key = new_data_key()
        notes.append(Note(data_key_id=key.id, title=f"Person {number}", body=f"Adress {number}"))
    db.session.add_all(notes)
    db.session.commit()
    return {note.id: note.body for note in notes}


def _read_all(texts: dict[uuid.UUID, str]) -> dict[uuid.UUID, str]:
    db.session.expire_all()
    return {note_id: db.session.get(Note, note_id).body for note_id in texts}


def test_after_rotation_old_data_reads_with_a_key_file_without_the_old_kek(
    app: Flask, factory: Factory, key_file: Path, clock: FixedClock
) -> None:
    texts = _notes(3)
    account = factory.client_treater()
    shredded = new_data_key("consent_document")
    shred_data_key(shredded, clock=clock)
    db.session.commit()
    old = load_key_file(key_file)
    ciphertexts = raw("SELECT id, title_ct, body_ct FROM crypto_test_note ORDER BY id")
    live = raw("SELECT count(*) FROM data_key WHERE wrapped IS NOT NULL")[0][0]
    index = current_runtime().keyring.blind_index("partner_phone", PHONE)

    count, new_kek_id = rotate_keys(key_file, clock=clock)

    assert count == live
    rotated = load_key_file(key_file)
    assert list(rotated.keks) == [new_kek_id] == [rotated.active_kek]
    assert old.active_kek not in rotated.keks
    assert base64.b64encode(old.keks[old.active_kek]).decode() not in key_file.read_text()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    # Only the wrapping changed: the sealed values are byte for byte what they were.
    assert raw("SELECT id, title_ct, body_ct FROM crypto_test_note ORDER BY id") == ciphertexts
    assert raw("SELECT DISTINCT kek_id FROM data_key WHERE wrapped IS NOT NULL") == [(new_kek_id,)]
    assert raw("SELECT wrapped FROM data_key WHERE id = :id", id=shredded.id) == [(None,)]

    keyring = _use_key_file(app, key_file)
    assert _read_all(texts) == texts
    assert account.totp_secret
    assert db.session.get(User, account.user.id).totp_secret == account.totp_secret
    # Blind indexes do not depend on the KEK.
    assert keyring.blind_index("partner_phone", PHONE) == index
    # A key ring with only the old KEK can no longer unwrap anything.
    (kek_id, wrapped, data_key_id) = raw(
        "SELECT kek_id, wrapped, id FROM data_key WHERE wrapped IS NOT NULL"
    )[0]
    with pytest.raises(UnknownKey):
        KeyRing(old).unwrap(kek_id, bytes(wrapped), uuid.UUID(str(data_key_id)))


def test_a_shred_followed_by_a_rotation_also_defeats_an_old_backup(
    app: Flask, key_file: Path, clock: FixedClock
) -> None:
    key = new_data_key("consent_document")
    db.session.commit()
    backup = raw("SELECT kek_id, wrapped FROM data_key WHERE id = :id", id=key.id)[0]
    old_ring = KeyRing(load_key_file(key_file))
    # Before the rotation, the old key file still opens the backup's copy of the key ...
    assert old_ring.unwrap(backup[0], bytes(backup[1]), key.id)
    shred_data_key(key, clock=clock)
    db.session.commit()
    rotate_keys(key_file, clock=clock)
    # ... after it, the key file in use does not.
    with pytest.raises(UnknownKey):
        KeyRing(load_key_file(key_file)).unwrap(backup[0], bytes(backup[1]), key.id)


def test_a_failed_re_wrap_keeps_every_key_and_every_record_readable(
    app: Flask, key_file: Path, clock: FixedClock
) -> None:
    texts = _notes(2)
    old = load_key_file(key_file)
    # A data key wrapped under a KEK the key file does not hold: the re-wrap cannot finish.
    orphan = new_data_key()
    raw("UPDATE data_key SET kek_id = 'kek-lost' WHERE id = :id", id=orphan.id)
    db.session.commit()
    with pytest.raises(UnknownKey, match="kek-lost"):
        rotate_keys(key_file, clock=clock)
    # Nothing committed; the file still holds the old KEK (and the staged new one).
    assert raw("SELECT DISTINCT kek_id FROM data_key ORDER BY kek_id") == sorted(
        [(old.active_kek,), ("kek-lost",)]
    )
    assert old.active_kek in load_key_file(key_file).keks
    _use_key_file(app, key_file)
    assert _read_all(texts) == texts


def test_old_keks_are_not_retired_before_the_re_wrap_is_committed(
    app: Flask, key_file: Path, clock: FixedClock
) -> None:
    texts = _notes(2)
    old = load_key_file(key_file)
    staged = stage_new_kek(key_file)
    assert rotate_kek(staged, clock=clock) == 2  # flushed, not committed
    with pytest.raises(CryptoError, match=f"2 under {old.active_kek}"):
        retire_old_keks(key_file, staged)
    db.session.rollback()
    assert old.active_kek in load_key_file(key_file).keks
    _use_key_file(app, key_file)
    assert _read_all(texts) == texts


def test_a_data_key_made_with_the_old_key_file_meanwhile_stops_the_retirement(
    app: Flask, key_file: Path, clock: FixedClock
) -> None:
    old_ring = current_runtime().keyring  # a web process still running on the old file
    texts = _notes(1)
    staged = stage_new_kek(key_file)
    rotate_kek(staged, clock=clock)
    db.session.commit()
    straggler = create_data_key("case", keyring=old_ring, clock=clock)
    note = Note(data_key_id=straggler.id, body="Skapad under rotationen")
    db.session.add(note)
    db.session.commit()
    texts[note.id] = note.body
    with pytest.raises(CryptoError, match=f"1 under {old_ring.active_kek_id}"):
        retire_old_keks(key_file, staged)
    assert old_ring.active_kek_id in load_key_file(key_file).keks
    # Running the rotation again (processes restarted) re-wraps it and then retires.
    count, _ = rotate_keys(key_file, clock=clock)
    assert count == 2
    assert len(load_key_file(key_file).keks) == 1
    _use_key_file(app, key_file)
    assert _read_all(texts) == texts


class _ShreddingKeyRing(KeyRing):
    """A key ring during whose re-wrap another process shreds ``victim``: at the first wrap,
    after the rotation has read the data keys and before it writes any."""

    victim: uuid.UUID
    shredded = False

    def wrap(self, dek: bytes, data_key_id: uuid.UUID) -> tuple[str, bytes]:
        if not self.shredded:
            self.shredded = True
            with db.engine.begin() as other:
                other.execute(update(DataKey).where(DataKey.id == self.victim).values(wrapped=None))
        return super().wrap(dek, data_key_id)


def test_a_key_shredded_during_the_re_wrap_stays_shredded(
    app: Flask, key_file: Path, clock: FixedClock
) -> None:
    keep, victim = new_data_key(), new_data_key()
    db.session.commit()
    staged = stage_new_kek(key_file)
    racing = _ShreddingKeyRing(staged.keys)
    racing.victim = victim.id
    assert rotate_kek(racing, clock=clock) == 1
    assert racing.shredded
    db.session.commit()
    assert raw("SELECT wrapped FROM data_key WHERE id = :id", id=victim.id) == [(None,)]
    assert raw("SELECT kek_id FROM data_key WHERE id = :id", id=keep.id) == [
        (staged.active_kek_id,)
    ]


def test_keys_init_creates_a_private_key_file_once(tmp_path: Path) -> None:
    path = tmp_path / "offline" / "keys.json"
    result = CliRunner().invoke(keys, ["init", str(path)])
    assert result.exit_code == 0, result.output
    created = load_key_file(path)
    assert created.active_kek in result.output
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = CliRunner().invoke(keys, ["init", str(path)])
    assert again.exit_code == 1
    assert "already exists" in again.output
    assert load_key_file(path) == created


def test_keys_rotate_rotates_the_configured_key_file_and_prints_no_key(
    app: Flask, key_file: Path
) -> None:
    _notes(2)
    old = load_key_file(key_file)
    assert current_runtime().config.keys_file == key_file
    result = CliRunner().invoke(keys, ["rotate"])
    assert result.exit_code == 0, result.output
    rotated = load_key_file(key_file)
    assert f"re-wrapped 2 data keys; active key-encryption key is now {rotated.active_kek}" in (
        result.output
    )
    assert old.active_kek not in rotated.keks
    for keyfile in (old, rotated):
        for key in (*keyfile.keks.values(), keyfile.secret_key, keyfile.blind_index_key):
            assert base64.b64encode(key).decode() not in result.output
            assert key.hex() not in result.output
    assert json.loads(key_file.read_text())["active_kek"] == rotated.active_kek
    assert not [name for name in os.listdir(key_file.parent) if name.endswith(".tmp")]


def test_rotation_reports_its_progress_by_batch(app: Flask, key_file: Path) -> None:
    _notes(5)
    calls: list[tuple[int, int | None]] = []

    count, _ = rotate_keys(
        key_file,
        clock=current_runtime().clock,
        on_progress=lambda done, total: calls.append((done, total)),
    )

    assert count == 5
    assert calls == [(5, 5)]
    result = CliRunner().invoke(keys, ["rotate"])
    assert result.exit_code == 0, result.output
    # Without a terminal, only the usual two lines.
    assert len(result.output.splitlines()) == 2
