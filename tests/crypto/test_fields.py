"""Sealed fields on models: what an attacker with a copy of (or write access to) the database
does not get, on SQLite and PostgreSQL. ``Note`` and ``Memo`` are test-only models; ``User``
is a real one on the migrated schema."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from flask import Flask
from sqlalchemy import MetaData, Uuid, insert
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from partnercontact.auth.models import User
from partnercontact.clock import FixedClock
from partnercontact.crypto.errors import DecryptionFailed, KeyShredded, UnknownKey
from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.crypto.models import DataKey
from partnercontact.crypto.service import Sealed, shred_data_key
from partnercontact.db import db
from tests.crypto.sealed_models import Memo, Note, flatten, new_data_key, raw
from tests.factories import Factory

TITLE = "Anna Lindqvist"
BODY = "Skyddad adress: Storgatan 7, 123 45 Åby"
SECRET = "JBSWY3DPEHPK3PXPMARKER7Q"

pytestmark = pytest.mark.usefixtures("sealed_tables")


def _note(title: str = TITLE, body: str = BODY, data_key: DataKey | None = None) -> Note:
    key = data_key or new_data_key()
    note = Note(title=title, body=body, data_key_id=key.id)  # data_key_id last on purpose
    db.session.add(note)
    db.session.commit()
    return note


def _reload(model: type, row_id: object) -> object:
    db.session.expire_all()
    return db.session.get(model, row_id)


def test_sealed_fields_read_back_after_a_round_trip_through_the_database(app: Flask) -> None:
    note = _note()
    reloaded = _reload(Note, note.id)
    assert (reloaded.title, reloaded.body) == (TITLE, BODY)
    reloaded.body = None
    db.session.commit()
    assert _reload(Note, note.id).body is None


def test_the_mixin_after_the_base_and_an_integer_key_work_alike(app: Flask) -> None:
    key = new_data_key()
    memo = Memo(content=BODY, data_key_id=key.id)
    # The row identity exists before the first value is sealed, long before the insert
    # gives the row its id.
    assert memo.id is None and isinstance(memo.seal_id, uuid.UUID)
    db.session.add(memo)
    db.session.commit()
    assert _reload(Memo, memo.id).content == BODY
    assert BODY.encode() not in flatten(raw("SELECT * FROM crypto_test_memo")[0])


def test_the_database_holds_no_plaintext(app: Flask, factory: Factory) -> None:
    note = _note()
    (row,) = raw("SELECT * FROM crypto_test_note WHERE id = :id", id=note.id)
    stored = flatten(row)
    for text in (TITLE, BODY, "Lindqvist", "Storgatan", "Åby"):
        assert text.encode() not in stored
    # The columns hold envelopes under the note's data key, nothing else.
    (title_ct, body_ct) = raw(
        "SELECT title_ct, body_ct FROM crypto_test_note WHERE id = :id", id=note.id
    )[0]
    assert bytes(title_ct)[1:17] == bytes(body_ct)[1:17] == note.data_key_id.bytes

    account = factory.client_treater()
    account.user.totp_secret = SECRET
    db.session.commit()
    (user_row,) = raw("SELECT * FROM user_account WHERE id = :id", id=account.user.id)
    assert SECRET.encode() not in flatten(user_row)
    assert SECRET[:8].encode() not in flatten(user_row)
    assert _reload(User, account.user.id).totp_secret == SECRET


def test_a_ciphertext_moved_to_another_row_does_not_decrypt(app: Flask) -> None:
    source = _note(body="Rad ett")
    under_other_key = _note(body="Rad två")
    under_same_key = _note(body="Rad tre", data_key=db.session.get(DataKey, source.data_key_id))
    for target in (under_other_key, under_same_key):
        raw(
            "UPDATE crypto_test_note SET body_ct = "
            "(SELECT body_ct FROM crypto_test_note WHERE id = :src) WHERE id = :dst",
            src=source.id,
            dst=target.id,
        )
        db.session.commit()
        with pytest.raises(DecryptionFailed):
            _ = _reload(Note, target.id).body
    # Moving the data key along does not help: the row is bound too.
    raw(
        "UPDATE crypto_test_note SET data_key_id = :key WHERE id = :dst",
        key=source.data_key_id,
        dst=under_other_key.id,
    )
    db.session.commit()
    with pytest.raises(DecryptionFailed):
        _ = _reload(Note, under_other_key.id).body
    assert _reload(Note, source.id).body == "Rad ett"


def test_a_ciphertext_moved_to_another_column_of_the_row_does_not_decrypt(app: Flask) -> None:
    note = _note()
    raw("UPDATE crypto_test_note SET body_ct = title_ct WHERE id = :id", id=note.id)
    db.session.commit()
    reloaded = _reload(Note, note.id)
    assert reloaded.title == TITLE
    with pytest.raises(DecryptionFailed):
        _ = reloaded.body


def test_a_secret_moved_between_real_accounts_does_not_decrypt(
    app: Flask, factory: Factory
) -> None:
    first, second = factory.client_treater(), factory.partner_treater()
    first.user.totp_secret = SECRET
    db.session.commit()
    for column in ("totp_secret_ct", "data_key_id"):
        raw(
            f"UPDATE user_account SET {column} = "
            f"(SELECT {column} FROM user_account WHERE id = :src) WHERE id = :dst",
            src=first.user.id,
            dst=second.user.id,
        )
        db.session.commit()
        with pytest.raises(DecryptionFailed):
            _ = _reload(User, second.user.id).totp_secret
    assert _reload(User, first.user.id).totp_secret == SECRET


@pytest.mark.parametrize("value", [b"Anna Lindqvist", "Anna Lindqvist", bytearray(b"\x01" * 60)])
def test_plaintext_cannot_be_written_into_a_sealed_column(app: Flask, value: object) -> None:
    note = _note()
    (before,) = raw("SELECT body_ct FROM crypto_test_note WHERE id = :id", id=note.id)
    note.body_ct = value
    with pytest.raises(StatementError, match="accepts only sealed values"):
        db.session.commit()
    db.session.rollback()
    assert raw("SELECT body_ct FROM crypto_test_note WHERE id = :id", id=note.id) == [before]
    # Nor through SQLAlchemy Core, nor at construction.
    with pytest.raises(StatementError, match="accepts only sealed values"):
        db.session.execute(
            insert(Note.__table__).values(
                id=uuid.uuid4(), seal_id=uuid.uuid4(), data_key_id=note.data_key_id, body_ct=value
            )
        )
    db.session.rollback()
    db.session.add(Note(data_key_id=note.data_key_id, body_ct=value))
    with pytest.raises(StatementError, match="accepts only sealed values"):
        db.session.commit()
    db.session.rollback()
    assert raw("SELECT count(*) FROM crypto_test_note") == [(1,)]


def test_a_sealed_field_takes_text_only(app: Flask) -> None:
    note = _note()
    with pytest.raises(TypeError, match="takes text"):
        note.body = b"bytes"  # type: ignore[assignment]
    with pytest.raises(TypeError, match="takes text"):
        note.body = 42  # type: ignore[assignment]
    assert isinstance(note.body_ct, Sealed)


def test_a_field_needs_a_data_key(app: Flask) -> None:
    with pytest.raises(UnknownKey, match="no data key"):
        Memo(content="x")
    with pytest.raises(UnknownKey, match="does not exist"):
        Memo(data_key_id=uuid.uuid4(), content="x")


def test_after_shredding_a_field_cannot_be_read_or_written(app: Flask, clock: FixedClock) -> None:
    key = new_data_key("consent_document")
    note = _note(data_key=key)
    note.body = None
    db.session.commit()
    shred_data_key(key, clock=clock)
    db.session.commit()
    reloaded = _reload(Note, note.id)
    with pytest.raises(KeyShredded):
        _ = reloaded.title
    # An empty field says the same, so "destroyed" and "never filled in" cannot be told apart.
    with pytest.raises(KeyShredded):
        _ = reloaded.body
    with pytest.raises(KeyShredded):
        reloaded.body = "new text"
    reloaded.title = None  # clearing needs no key
    db.session.commit()
    assert raw("SELECT title_ct FROM crypto_test_note WHERE id = :id", id=note.id) == [(None,)]


def test_a_sealed_field_cannot_be_queried(app: Flask) -> None:
    with pytest.raises(TypeError, match="cannot be compared or queried"):
        _ = Note.title == TITLE
    with pytest.raises(TypeError, match="cannot be compared or queried"):
        _ = Note.title != TITLE


def _declaration_error(declare: Callable[[], object]) -> str:
    # Python 3.11 wraps an error raised in __set_name__ in a RuntimeError; 3.12 does not.
    with pytest.raises((TypeError, RuntimeError)) as raised:
        declare()
    error = raised.value
    if isinstance(error, RuntimeError):
        assert isinstance(error.__cause__, TypeError)
        error = error.__cause__
    return str(error)


def test_mistakes_in_declaring_a_sealed_field_fail_at_class_creation() -> None:
    class Base(DeclarativeBase):
        metadata = MetaData()

    def without_mixin() -> object:
        class Plain(Base):
            __tablename__ = "plain"
            id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
            name = encrypted("name")

        return Plain

    def with_another_name() -> object:
        class Mismatched(SealedRecord, Base):
            __tablename__ = "mismatched"
            id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
            phone = encrypted("name")

        return Mismatched

    assert "add the SealedRecord mixin" in _declaration_error(without_mixin)
    assert "Mismatched.phone is declared as encrypted('name')" in _declaration_error(
        with_another_name
    )
