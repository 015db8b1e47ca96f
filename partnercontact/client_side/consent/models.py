"""The client's consent, his refusal, and their history. Metadata only: the signed paper is
sealed under a data key of its own (``document_key_id``) so it can be destroyed at case end
while this record survives for audit."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import Ciphertext
from partnercontact.db import Model, UTCDateTime


class Consent(Model):
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
    document_attached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The content-free proof that the signed copy was destroyed: when, under which rule, and
    # the digest of the destroyed key's id (see crypto.service.shred_digest).
    document_destroyed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    document_destruction_rule: Mapped[str | None] = mapped_column(String(32))
    document_key_digest: Mapped[str | None] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    @property
    def is_active(self) -> bool:
        # The same rule is read by named columns in partnercontact.relay.reads.consent_terms.
        return self.state == "given" and self.withdrawn_on is None

    @property
    def signature_pending(self) -> bool:
        return (
            self.is_active
            and self.form_of_consent == "written"
            and self.document_attached_at is None
        )

    @property
    def document_destroyed(self) -> bool:
        return self.document_destroyed_at is not None

    @property
    def allows_partner_contact(self) -> bool:
        """Given, not withdrawn, and either signed or verbal under the clinic's policy."""
        return self.is_active and not self.signature_pending


class ConsentDocument(Model):
    """The signed paper itself, sealed under the consent's own data key.

    The row is deleted and the key shredded at case end; what remains is the metadata on
    :class:`Consent`.
    """

    __tablename__ = "consent_document"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    consent_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("consent.id"), unique=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    media_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column()
    content_ct: Mapped[bytes] = mapped_column(Ciphertext)
