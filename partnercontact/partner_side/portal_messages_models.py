"""Messages between her and her treater in her own channel
(:mod:`partnercontact.partner_side.portal_messages` works on them).

A message's text is sealed under the partner case's data key, like every record of her case,
and is emptied when it has been kept the clinic's ``portal_message_days``: the row stays, with
no content, so both sides still see that a message was written, when, and whether it was read.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime

TO_HER = "to_her"
FROM_HER = "from_her"
DIRECTIONS = (TO_HER, FROM_HER)


class PortalMessage(SealedRecord, Model):
    """One message of her thread: written to her by staff (``author_id``) or by her (no
    author: she has no account).

    ``read_at`` is when the other side first saw it; ``cleared_at`` when she took it out of
    her own view (her treater still sees it, and that she cleared it); ``body_purged_at``
    when its text was emptied at the end of the clinic's keeping time."""

    __tablename__ = "portal_message"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    # TO_HER or FROM_HER.
    direction: Mapped[str] = mapped_column(String(16))
    body = encrypted("body")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    sent_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    body_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
