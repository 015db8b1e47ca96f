"""Tasks for her treater that her own acts in the portal open
(:mod:`partnercontact.partner_side.portal_tasks` works on them).

Each task names one kind from a closed list and, where the act concerns another record (a
booked session, a proposed plan, a message), that record's id. What she wrote with it (a time
window, a few words) is sealed under the partner case's data key like every record of her case.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime


class PortalTask(SealedRecord, Model):
    """Something she did or asked for in her portal that her treater must see to.

    ``kind`` is one of :data:`partnercontact.partner_side.portal_tasks.TASK_KINDS`;
    ``subject_id`` the record it concerns, if any; ``details`` her own words or the window she
    chose (sealed); ``urgent`` puts it first on her treater's pages. ``handled_at`` is when her
    treater marked it seen to."""

    __tablename__ = "portal_task"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    kind: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    details = encrypted("details")
    if TYPE_CHECKING:
        details_ct: Mapped[bytes | None]  # the column encrypted("details") adds
    urgent: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
