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

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from partnercontact.db import Model, UTCDateTime
from partnercontact.relay.kinds import OUTCOMES, RISK_REASONS, RISK_URGENCIES, RelayKind


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
