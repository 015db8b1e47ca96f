"""Declaring encrypted fields on models, one line per field::

    class Client(SealedRecord, db.Model):          # either order of the bases works
        __tablename__ = "client"
        id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=uuid.uuid4)
        data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
        name = encrypted("name")

``encrypted("name")`` adds a nullable binary column ``name_ct`` that holds only envelopes,
and makes ``client.name`` seal on assignment and unseal on read, under the row's data key
(``data_key_id``) with the key ring of :func:`partnercontact.runtime.current_runtime`.

The row in the associated data is the record's ``seal_id``: a UUID column that
:class:`SealedRecord` adds and assigns when the object is constructed, so it is known before
the first value is sealed even where the primary key is an integer the database assigns at
insert. ``seal_id`` is unique and must never change; a value sealed for one ``seal_id``
does not read under another.

Contracts:

- reading a field whose data key is shredded raises :class:`KeyShredded`, whether or not the
  field holds a value; a field moved to another row, column or data key raises
  :class:`DecryptionFailed`;
- setting a field needs ``data_key_id`` set (:class:`UnknownKey` otherwise); constructor
  keywords may come in any order;
- the ``_ct`` columns accept only :class:`Sealed` envelopes: plain text or bytes written to
  them, through the ORM or SQLAlchemy Core, fail at flush with ``TypeError``;
- sealed fields cannot be compared or queried (``Client.name == "x"`` raises): look rows up
  by a blind index instead.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any, overload

from sqlalchemy import LargeBinary, Uuid, event
from sqlalchemy.orm import Mapped, configure_mappers, mapped_column, object_session
from sqlalchemy.types import TypeDecorator

from partnercontact.crypto.errors import KeyShredded
from partnercontact.crypto.service import (
    IDENTIFIER,
    Sealed,
    envelope_key_id,
    load_data_key,
    seal,
    unseal,
)
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.crypto.models import DataKey


class Ciphertext(TypeDecorator[bytes]):
    """A binary column that stores sealed envelopes and nothing else.

    On the way in, anything but a :class:`Sealed` with a well-formed header raises
    ``TypeError`` (so a slip such as ``client.name_ct = b"Anna"`` or a Core ``insert`` with
    raw bytes fails instead of storing plaintext); on the way out, values come back as
    :class:`Sealed`, so copying between sealed columns is possible (and then fails to
    decrypt, as it should, unless it lands in the very place it was sealed for).
    """

    impl = LargeBinary
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> bytes | None:
        if value is None:
            return None
        if not isinstance(value, Sealed):
            raise TypeError(
                "an encrypted column accepts only sealed values from seal(), never plain "
                "text or bytes; assign the field (client.name = ...), not its _ct column"
            )
        envelope_key_id(value)  # the header must be well formed
        return bytes(value)

    def process_result_value(self, value: Any, dialect: Any) -> Sealed | None:
        if value is None:
            return None
        return Sealed(value)


class SealedRecord:
    """Mixin for models with :func:`encrypted` fields.

    Adds the ``seal_id`` column and assigns it when an object is constructed. The model must
    declare ``data_key_id`` (the data key its fields are sealed under).
    """

    seal_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, unique=True, nullable=False, default=uuid.uuid4
    )

    if TYPE_CHECKING:
        data_key_id: uuid.UUID | None
        __table__: Any


@event.listens_for(SealedRecord, "init", propagate=True)
def _on_init(target: SealedRecord, args: Any, kwargs: dict[str, Any]) -> None:
    # Runs before the constructor. Attribute instrumentation exists only once the mappers are
    # configured, and this listener can run before SQLAlchemy's own that configures them.
    configure_mappers()
    # The row identity of the associated data must exist before any field is sealed.
    if kwargs.get("seal_id") is None:
        kwargs.pop("seal_id", None)
        target.seal_id = uuid.uuid4()
    # The constructor sets keywords in order; data_key_id goes first so that
    # Client(name=..., data_key_id=...) seals under the given key whatever the order.
    if "data_key_id" in kwargs:
        rest = {name: value for name, value in kwargs.items() if name != "data_key_id"}
        first = kwargs["data_key_id"]
        kwargs.clear()
        kwargs["data_key_id"] = first
        kwargs.update(rest)


class encrypted:  # noqa: N801  (reads as a field declaration)
    """A text field stored sealed in the column ``<name>_ct``. See the module docstring."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name
        self.column_attr = f"{name}_ct"

    def __set_name__(self, owner: type, attribute: str) -> None:
        if self.name is None:
            self.name = attribute
        if self.name != attribute:
            raise TypeError(f"{owner.__name__}.{attribute} is declared as encrypted({self.name!r})")
        if not issubclass(owner, SealedRecord):
            raise TypeError(f"{owner.__name__} has encrypted fields; add the SealedRecord mixin")
        if not IDENTIFIER.fullmatch(attribute):
            raise TypeError(f"encrypted field name {attribute!r} is not a lowercase identifier")
        self.column_attr = f"{attribute}_ct"
        if self.column_attr in vars(owner):
            raise TypeError(f"{owner.__name__} declares {self.column_attr} itself")
        # Added while the class is being created, before SQLAlchemy maps it, so the column is
        # mapped like any declared one.
        setattr(owner, self.column_attr, mapped_column(Ciphertext, nullable=True))

    def __repr__(self) -> str:
        return f"encrypted({self.name!r})"

    # A sealed field has no meaning in SQL: `Client.name == "x"` would otherwise compare this
    # descriptor with a string, give False, and silently match nothing.
    def __eq__(self, other: object) -> bool:
        raise TypeError(f"{self.name} is sealed and cannot be compared or queried")

    def __ne__(self, other: object) -> bool:
        raise TypeError(f"{self.name} is sealed and cannot be compared or queried")

    __hash__ = object.__hash__

    def _place(self, instance: SealedRecord) -> dict[str, Any]:
        return self._place_in(instance.__table__.name, instance.seal_id)

    def _place_in(self, table: str, row_id: uuid.UUID) -> dict[str, Any]:
        return {
            "keyring": current_runtime().keyring,
            "table": table,
            "column": self.name,
            "row_id": row_id,
        }

    @staticmethod
    def _data_key(instance: SealedRecord) -> DataKey:
        return load_data_key(instance.data_key_id, session=object_session(instance))

    @overload
    def __get__(self, instance: None, owner: type) -> encrypted: ...
    @overload
    def __get__(self, instance: SealedRecord, owner: type) -> str | None: ...
    def __get__(self, instance: SealedRecord | None, owner: type) -> encrypted | str | None:
        if instance is None:
            return self
        return self.unseal_column(
            self._data_key(instance),
            getattr(instance, self.column_attr),
            table=instance.__table__.name,
            seal_id=instance.seal_id,
        )

    def unseal_column(
        self, data_key: DataKey, ciphertext: bytes | None, *, table: str, seal_id: uuid.UUID
    ) -> str | None:
        """The field's text from its column read without its record (a list that selects
        the columns it shows), with the checks of reading it on the record."""
        # Checked before looking at the value: after shredding, an empty field and a
        # destroyed one must not be told apart.
        if data_key.is_shredded:
            raise KeyShredded(f"data key {data_key.id} was shredded")
        if ciphertext is None:
            return None
        return unseal(data_key, ciphertext, **self._place_in(table, seal_id))

    def __set__(self, instance: SealedRecord, value: str | None) -> None:
        if value is None:
            setattr(instance, self.column_attr, None)
            return
        if not isinstance(value, str):
            raise TypeError(f"{self.name} takes text or None")
        data_key = self._data_key(instance)
        if instance.seal_id is None:
            instance.seal_id = uuid.uuid4()
        setattr(instance, self.column_attr, seal(data_key, value, **self._place(instance)))
