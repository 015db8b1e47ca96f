"""Data keys: one per case, consent document or account, stored wrapped by the KEK."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import LargeBinary, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import UTCDateTime, db


class DataKey(db.Model):
    __tablename__ = "data_key"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    purpose: Mapped[str] = mapped_column(String(32))
    kek_id: Mapped[str] = mapped_column(String(64))
    # NULL once shredded: with the wrapped key gone, nothing sealed under it can be read.
    wrapped: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    shredded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # SHA-256 of the key's id: proof of which key was destroyed, with no key material.
    shred_digest: Mapped[str | None] = mapped_column(String(64))

    @property
    def is_shredded(self) -> bool:
        return self.wrapped is None
