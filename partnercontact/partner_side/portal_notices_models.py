"""Her setting for notices of a new message in her own channel
(:mod:`partnercontact.partner_side.portal_notices` works on it; the safety gate reads it,
:func:`partnercontact.partner_side.rules.notice_setting_in_force`).

A notice is a text message that says only that there is something to read: by default the
sender name she expects, or a short phrase she chose herself (``words``, sealed under the
partner case's data key like every record of her case). The setting belongs to her access: a
new access (a new invitation, because someone may have seen her codename) starts with notices
off, since whoever saw the codename may have seen the words too.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime


class PortalNoticeSetting(SealedRecord, Model):
    """Whether she wants a notice by text when her treater writes to her, and the words it
    carries (None: the sender name she expects). No row: notices are off."""

    __tablename__ = "portal_notice_setting"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    # One setting per access.
    access_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portal_access.id"), unique=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    enabled: Mapped[bool] = mapped_column(default=False)
    words = encrypted("words")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
