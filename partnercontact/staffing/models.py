"""A manager's move of one client or one partner case from one treater to another."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime
from partnercontact.i18n import _l

CLIENT = "client"
PARTNER = "partner"

# Why a manager moves a client or a case: a closed list, so no word about anyone is stored.
REASSIGNMENT_REASONS = {
    "left": _l("The treater has left the clinic"),
    "absence": _l("The treater is away for a long time"),
    "workload": _l("Sharing out the workload"),
    "conflict": _l("A conflict of interest or a safety reason"),
    "back": _l("The treater is back"),
}


def _one_of(column: str, values: object) -> str:
    return f"{column} IN ({', '.join(repr(value) for value in values)})"  # type: ignore[attr-defined]


class Reassignment(Model):
    """One move: the client (with his open episode) or the partner case, from whom (None for
    a case nobody held) to whom, why, decided by which manager, when."""

    __tablename__ = "reassignment"
    __table_args__ = (
        CheckConstraint(
            f"(side = '{CLIENT}' AND client_id IS NOT NULL AND partner_case_id IS NULL)"
            f" OR (side = '{PARTNER}' AND partner_case_id IS NOT NULL AND client_id IS NULL)",
            name="one_subject",
        ),
        CheckConstraint(_one_of("reason", REASSIGNMENT_REASONS), name="reason"),
        # "Moved to you": a treater's newest moves, read with their lists.
        Index("ix_reassignment_to_user", "to_user_id", "decided_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    side: Mapped[str] = mapped_column(String(8))
    client_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("client.id"), index=True)
    partner_case_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("partner_case.id"), index=True
    )
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    to_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    reason: Mapped[str] = mapped_column(String(16))
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime)
