"""Declaring encrypted fields on models.

    class User(SealedRecord, db.Model):
        data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
        totp_secret = encrypted("totp_secret")

``encrypted("x")`` adds a binary column ``x_ct`` holding only ciphertext, and an attribute
``x`` that seals on assignment and unseals on read, under the row's data key. The
associated data binds table, column and the row's ``seal_id`` (a UUID assigned before the
first value is sealed), so ciphertexts cannot be swapped between rows or columns.
Only :class:`Ciphertext` values reach the column: assigning plain text to ``x_ct`` fails.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import LargeBinary, Uuid
from sqlalchemy.orm import mapped_column
from sqlalchemy.types import TypeDecorator

from partnercontact.crypto.errors import DecryptionFailed
from partnercontact.crypto.service import envelope_key_id, load_data_key, seal, unseal
from partnercontact.runtime import current_runtime


class Ciphertext(TypeDecorator[bytes]):
    """A column that accepts only sealed envelopes, never text."""

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, bytes):
            raise TypeError("an encrypted column accepts only sealed bytes")
        envelope_key_id(value)  # raises unless it is a sealed envelope
        return value


class encrypted:  # noqa: N801  (reads as a field declaration)
    def __init__(self, name: str) -> None:
        self.name = name
        self.column_attr = f"{name}_ct"

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        ciphertext = getattr(instance, self.column_attr)
        if ciphertext is None:
            return None
        return unseal(
            load_data_key(instance.data_key_id),
            ciphertext,
            keyring=current_runtime().keyring,
            table=instance.__tablename__,
            column=self.name,
            row_id=instance.seal_id,
        )

    def __set__(self, instance: Any, value: str | None) -> None:
        if value is None:
            setattr(instance, self.column_attr, None)
            return
        if not isinstance(value, str):
            raise TypeError(f"{self.name} takes text")
        if instance.data_key_id is None:
            raise DecryptionFailed(f"set data_key_id before sealing {self.name}")
        if instance.seal_id is None:
            instance.seal_id = uuid.uuid4()
        sealed = seal(
            load_data_key(instance.data_key_id),
            value,
            keyring=current_runtime().keyring,
            table=instance.__tablename__,
            column=self.name,
            row_id=instance.seal_id,
        )
        setattr(instance, self.column_attr, sealed)


class SealedRecord:
    """Mixin for models with encrypted fields; list it before ``db.Model``."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        fields = [value for value in list(vars(cls).values()) if isinstance(value, encrypted)]
        if fields and "seal_id" not in vars(cls):
            cls.seal_id = mapped_column(Uuid, unique=True, nullable=False, default=uuid.uuid4)
        for field in fields:
            setattr(cls, field.column_attr, mapped_column(Ciphertext, nullable=True))
        super().__init_subclass__(**kwargs)
