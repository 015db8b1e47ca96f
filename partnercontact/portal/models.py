"""The portal's own session table: a row per logged-in portal session, found by the hash of
the random token her cookie carries. Never shared with the staff app's sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime


class PortalSession(Model):
    __tablename__ = "portal_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("portal_access.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
