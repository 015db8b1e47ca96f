"""A photo or a PDF with a message in her own channel
(:mod:`partnercontact.partner_side.portal_attachments` works on them).

The file is sealed under the partner case's data key, like every record of her case, bound to
its row (table, column and the attachment's id are the associated data). Only what was
re-encoded is stored: a photo without its metadata, never the bytes she sent. Her file's name
is not kept at all (a name such as "bruises-kitchen.jpg" tells too much); the kind and the
size say enough to list it. When the message's text expires the file is emptied with it and
the row stays, content-free, so both sides still see that a file was sent.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import Ciphertext
from partnercontact.db import Model, UTCDateTime

JPEG = "image/jpeg"
PNG = "image/png"
PDF = "application/pdf"
MEDIA_TYPES = (JPEG, PNG, PDF)


class PortalAttachment(Model):
    """One file of a :class:`~partnercontact.partner_side.portal_messages_models.PortalMessage`.

    ``media_type`` is what the stored bytes are (sniffed and re-encoded, never what the
    upload claimed); ``size_bytes`` the size of the stored file; ``content_ct`` the sealed
    file, emptied at ``purged_at`` with the message's text."""

    __tablename__ = "portal_attachment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    message_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portal_message.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    media_type: Mapped[str] = mapped_column(String(32))
    size_bytes: Mapped[int] = mapped_column()
    # Deferred: a list of files never loads one.
    content_ct: Mapped[bytes | None] = mapped_column(Ciphertext, deferred=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_photo(self) -> bool:
        return self.media_type != PDF
