"""Encryption at rest: what an attacker with a copy of the database does not get."""

from __future__ import annotations

import dataclasses
import shutil
import uuid
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Uuid, text, update
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partnercontact.auth.models import User
from partnercontact.crypto.errors import DecryptionFailed, KeyShredded
from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.crypto.keyfile import load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import create_data_key, rotate_kek, shred_data_key
from partnercontact.db import db
from partnercontact.runtime import EXTENSION_KEY, current_runtime
from tests.factories import Factory

SECRET = "JBSWY3DPEHPK3PXPMARKER7Q"


class _TestBase(DeclarativeBase):
    metadata = MetaData()


class Note(SealedRecord, _TestBase):
    """A test-only table with two sealed columns, to move ciphertexts between them."""

    __tablename__ = "crypto_test_note"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    data_key_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    title = encrypted("title")
    body = encrypted("body")


@pytest.fixture
def notes(app):
    Note.metadata.create_all(db.engine, tables=[Note.__table__])
    yield
    db.session.rollback()
    Note.metadata.drop_all(db.engine, tables=[Note.__table__])


def _note(title: str, body: str, data_key: DataKey | None = None) -> Note:
    runtime = current_runtime()
    key = data_key or create_data_key("test", keyring=runtime.keyring, clock=runtime.clock)
    note = Note(id=uuid.uuid4(), data_key_id=key.id)
    note.title, note.body = title, body
    db.session.add(note)
    db.session.commit()
    return note


def _raw(sql: str, **params: object) -> list:
    result = db.session.execute(text(sql), params)
    return list(result) if result.returns_rows else []


def test_the_database_holds_no_plaintext(app, factory: Factory) -> None:
    account = factory.client_treater()
    account.user.totp_secret = SECRET
    db.session.commit()
    rows = _raw("SELECT * FROM user_account WHERE id = :id", id=account.user.id)
    flat = b"".join(value if isinstance(value, bytes) else str(value).encode() for value in rows[0])
    assert SECRET.encode() not in flat
    assert SECRET[:8].encode() not in flat
    db.session.expire_all()
    assert db.session.get(User, account.user.id).totp_secret == SECRET


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(app, factory: Factory) -> None:
    first, second = factory.client_treater(), factory.partner_treater()
    first.user.totp_secret = SECRET
    db.session.commit()
    # Another row under another key, and another row under the same key: both refuse.
    _raw(
        "UPDATE user_account SET totp_secret_ct = "
        "(SELECT totp_secret_ct FROM user_account WHERE id = :src) WHERE id = :dst",
        src=first.user.id,
        dst=second.user.id,
    )
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(DecryptionFailed):
        _ = db.session.get(User, second.user.id).totp_secret
    _raw(
        "UPDATE user_account SET data_key_id = "
        "(SELECT data_key_id FROM user_account WHERE id = :src) WHERE id = :dst",
        src=first.user.id,
        dst=second.user.id,
    )
    db.session.commit()
    db.session.expire_all()
    with pytest.raises(DecryptionFailed):
        _ = db.session.get(User, second.user.id).totp_secret
    assert db.session.get(User, first.user.id).totp_secret == SECRET


def test_a_ciphertext_moved_to_another_column_does_not_decrypt(app, notes) -> None:
    note = _note("Rubrik", "Brödtext om något")
    table = Note.__table__
    db.session.execute(update(table).where(table.c.id == note.id).values(body_ct=table.c.title_ct))
    db.session.commit()
    db.session.expire_all()
    reloaded = db.session.get(Note, note.id)
    assert reloaded.title == "Rubrik"
    with pytest.raises(DecryptionFailed):
        _ = reloaded.body


def test_plain_text_cannot_be_written_into_a_sealed_column(app, notes) -> None:
    note = _note("A", "B")
    note.body_ct = b"plain words"
    with pytest.raises(Exception, match="sealed"):
        db.session.commit()


def test_after_shredding_nothing_under_the_key_can_be_read(app, notes, key_file: Path) -> None:
    runtime = current_runtime()
    key = create_data_key("consent_document", keyring=runtime.keyring, clock=runtime.clock)
    note = _note("Undertecknat samtycke", "skannad sida", data_key=key)
    assert note.body == "skannad sida"
    digest = shred_data_key(key, keyring=runtime.keyring, clock=runtime.clock)
    db.session.commit()
    assert len(digest) == 64 and digest == db.session.get(DataKey, key.id).shred_digest
    db.session.expire_all()
    with pytest.raises(KeyShredded):
        _ = db.session.get(Note, note.id).body
    # A fresh process with the full key file cannot recover it either.
    fresh = dataclasses.replace(runtime, keyring=KeyRing(load_key_file(key_file)))
    app.extensions[EXTENSION_KEY] = fresh
    db.session.expire_all()
    with pytest.raises(KeyShredded):
        _ = db.session.get(Note, note.id).title
    wrapped = _raw("SELECT wrapped FROM data_key WHERE purpose = 'consent_document'")
    assert wrapped == [(None,)]
    # Shredding is idempotent and says which key it was.
    assert (
        shred_data_key(db.session.get(DataKey, key.id), keyring=fresh.keyring, clock=fresh.clock)
        == digest
    )


def test_after_rotation_old_data_reads_without_the_old_key(
    app, factory: Factory, key_file: Path, tmp_path: Path
) -> None:
    own_key_file = tmp_path / "keys.json"
    shutil.copyfile(key_file, own_key_file)
    runtime = dataclasses.replace(current_runtime(), keyring=KeyRing(load_key_file(own_key_file)))
    app.extensions[EXTENSION_KEY] = runtime
    accounts = [factory.client_treater(), factory.manager(), factory.admin()]
    secrets_before = {a.user.id: a.totp_secret for a in accounts}
    ciphertexts_before = dict(_raw("SELECT id, totp_secret_ct FROM user_account"))
    old_kek = runtime.keyring.active_kek_id
    index_before = runtime.keyring.blind_index("phone", "+46701234567")

    count, new_kek = rotate_kek(runtime.keyring, own_key_file)

    assert count == len(accounts)
    rotated = load_key_file(own_key_file)
    assert list(rotated.keks) == [new_kek] and old_kek not in rotated.keks
    app.extensions[EXTENSION_KEY] = dataclasses.replace(runtime, keyring=KeyRing(rotated))
    db.session.expire_all()
    for user_id, secret in secrets_before.items():
        assert db.session.get(User, user_id).totp_secret == secret
    assert dict(_raw("SELECT id, totp_secret_ct FROM user_account")) == ciphertexts_before
    kek_ids = {row[0] for row in _raw("SELECT DISTINCT kek_id FROM data_key")}
    assert kek_ids == {new_kek}
    assert KeyRing(rotated).blind_index("phone", "+46701234567") == index_before


def test_blind_index_is_stable_and_domain_separated(app) -> None:
    keyring = current_runtime().keyring
    assert keyring.blind_index("phone", "+46701234567") == keyring.blind_index(
        "phone", "+46701234567"
    )
    assert keyring.blind_index("phone", "+46701234567") != keyring.blind_index(
        "phone", "+46701234568"
    )
    assert keyring.blind_index("phone", "x") != keyring.blind_index("email", "x")


def test_no_data_key_is_stored_unwrapped(app, factory: Factory) -> None:
    factory.client_treater()
    for (wrapped,) in _raw("SELECT wrapped FROM data_key"):
        assert wrapped is not None and len(bytes(wrapped)) == 12 + 32 + 16
