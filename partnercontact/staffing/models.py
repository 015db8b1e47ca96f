"""A manager's move of one client or one partner case from one treater to another, and a
colleague's time-limited cover of an absent treater's cases."""

from __future__ import annotations

import uuid
from datetime import date, datetime

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


# Why a colleague covers a treater's cases for a while: a closed list, for the same reason.
COVER_REASONS = {
    "illness": _l("Illness"),
    "holiday": _l("Holiday"),
    "parental": _l("Parental leave"),
    "training": _l("Training or a course"),
    "other": _l("Another absence"),
}


class Cover(Model):
    """A colleague works the cases of an absent treater from one day to another, both days
    included. Nothing moves: the cases stay the absent treater's, and the cover lapses by its
    dates alone (or when a manager ends it early)."""

    __tablename__ = "cover"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("absent_user_id <> cover_user_id", name="someone_else"),
        CheckConstraint(_one_of("reason", COVER_REASONS), name="reason"),
        # Every page of a treater asks whom they cover today.
        Index("ix_cover_cover_user", "cover_user_id", "ends_on"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    absent_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    cover_user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    starts_on: Mapped[date] = mapped_column()
    ends_on: Mapped[date] = mapped_column()
    reason: Mapped[str] = mapped_column(String(16))
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A manager ended it before its last day: it is over from this moment.
    ended_early_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
