"""The relay's two tables.

``relay_event`` is the channel itself: case, kind, date, who recorded it, and for a risk
signal its reason and urgency. It has no free-text column on purpose, and the database refuses
a kind, reason or urgency outside its closed list, so nothing but those few facts can ever
cross. ``relay_outcome`` is the partner side's record of what it did
with an event; it hangs off the partner case and nothing on the client side reads it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime
from partnercontact.relay.kinds import (
    CONSULTATION_REASONS,
    OUTCOMES,
    RISK_REASONS,
    RISK_URGENCIES,
    SIDES,
    RelayKind,
)


def _one_of(column: str, values: Iterable[object]) -> str:
    listed = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({listed})"


class RelayEvent(Model):
    __tablename__ = "relay_event"
    __table_args__ = (
        # One event per real change: a repeated or racing update finds the row already there.
        UniqueConstraint("episode_id", "kind", "occurred_on"),
        CheckConstraint(_one_of("kind", [kind.value for kind in RelayKind]), name="kind"),
        # A risk signal has a reason and an urgency from their lists; nothing else has either.
        CheckConstraint(
            # IS NOT NULL spelled out: a CHECK that comes out NULL passes.
            f"(kind = '{RelayKind.RISK_SIGNAL.value}' AND reason IS NOT NULL"
            f" AND urgency IS NOT NULL AND {_one_of('reason', RISK_REASONS)}"
            f" AND {_one_of('urgency', RISK_URGENCIES)})"
            f" OR (kind <> '{RelayKind.RISK_SIGNAL.value}' AND reason IS NULL"
            " AND urgency IS NULL)",
            name="risk_signal",
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    occurred_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A risk signal's: keys of RISK_REASONS and RISK_URGENCIES.
    reason: Mapped[str | None] = mapped_column(String(24))
    urgency: Mapped[str | None] = mapped_column(String(8))


class RelayOutcome(Model):
    """What the partner-contact treater did with one event: informed her (and how), she did
    not want to be told, or she could not be reached. Later outcomes are added, never edited."""

    __tablename__ = "relay_outcome"
    __table_args__ = (CheckConstraint(_one_of("outcome", OUTCOMES), name="outcome"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("relay_event.id"), index=True)
    partner_case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("partner_case.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(24))
    outcome_on: Mapped[date] = mapped_column()
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Consultation(Model):
    """One treater asks the other for a talk about the episode's case, and when it was held.

    The one thing that crosses from the partner side to the client side: that her treater asks
    for a talk, with a reason from a closed list that says nothing of her. No column holds
    free text, and nothing here depends on her answer or on whether she was reached."""

    __tablename__ = "consultation"
    __table_args__ = (
        CheckConstraint(_one_of("asked_from", SIDES), name="asked_from"),
        CheckConstraint(_one_of("reason", CONSULTATION_REASONS), name="reason"),
        # Held means all three: the day, who recorded it, when; open means none of them.
        CheckConstraint(
            "(held_on IS NULL AND held_recorded_by_id IS NULL AND held_recorded_at IS NULL)"
            " OR (held_on IS NOT NULL AND held_recorded_by_id IS NOT NULL"
            " AND held_recorded_at IS NOT NULL)",
            name="held",
        ),
        # One open request from each side at a time, even when two race past the services.
        Index(
            "ix_consultation_open_request",
            "episode_id",
            "asked_from",
            unique=True,
            sqlite_where=text("held_on IS NULL"),
            postgresql_where=text("held_on IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    # CLIENT_SIDE or PARTNER_SIDE: who asks.
    asked_from: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(16))
    asked_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    held_on: Mapped[date | None] = mapped_column()
    held_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    held_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
