"""The client's consent, his refusal, and their history. Metadata only: the signed paper is
sealed under a data key of its own (``document_key_id``) so it can be destroyed at case end
while this record survives for audit."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import UTCDateTime, db


class Consent(db.Model):
    __tablename__ = "consent"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    # "given" or "refused"; a given consent is later "withdrawn", never deleted or edited back.
    state: Mapped[str] = mapped_column(String(16))
    form_version: Mapped[int] = mapped_column()
    form_language: Mapped[str] = mapped_column(String(8))
    contact_letter: Mapped[bool] = mapped_column(default=False)
    contact_phone: Mapped[bool] = mapped_column(default=False)
    contact_sms: Mapped[bool] = mapped_column(default=False)
    tell_in_treatment: Mapped[bool] = mapped_column(default=False)
    tell_when_ended: Mapped[bool] = mapped_column(default=False)
    # "written" (signed paper) or "verbal" (only where the clinic's policy allows it).
    form_of_consent: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(100))
    signed_on: Mapped[date] = mapped_column()
    attested_details_given: Mapped[bool] = mapped_column(default=False)
    attested_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    # For a refusal: whether the team decided that treatment continues, and when.
    treatment_continues: Mapped[bool | None] = mapped_column()
    team_decided_on: Mapped[date | None] = mapped_column()
    withdrawn_on: Mapped[date | None] = mapped_column()
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    # The signed copy's own data key; NULL while the signature is pending.
    document_key_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("data_key.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        return self.state == "given" and self.withdrawn_on is None

    @property
    def signature_pending(self) -> bool:
        return self.is_active and self.form_of_consent == "written" and not self.document_key_id

    @property
    def allows_partner_contact(self) -> bool:
        """Given, not withdrawn, and either signed or verbal under the clinic's policy."""
        return self.is_active and not self.signature_pending
