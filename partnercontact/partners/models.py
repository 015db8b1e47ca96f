"""The partner's details as the client treater handed them over.

Each hand-over is a note of its own: the first one and every correction after it. Notes are
never edited, so the partner side sees the history of what it was told. The details are
sealed under the partner side's data key, which is not the client's case key: partner
contact can outlive the client's treatment.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import UTCDateTime, db


class PartnerHandover(SealedRecord, db.Model):
    __tablename__ = "partner_handover"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent.id"))
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    # "initial" for the first note of an episode, "correction" for every later one.
    kind: Mapped[str] = mapped_column(String(16))
    handed_over_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    name = encrypted("name")
    phone = encrypted("phone")
    address = encrypted("address")
    # "current" or "former"; sealed with the rest: it is about her, not about the client.
    relation = encrypted("relation")
    children_in_common = encrypted("children_in_common")
    # Stays in the clear so lists, letters and SMS can refuse her without unsealing anything.
    protected_identity: Mapped[bool] = mapped_column(default=False)
