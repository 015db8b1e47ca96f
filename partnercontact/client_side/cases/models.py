"""Clients and treatment episodes. Names and numbers are sealed under the case's data key."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from sqlalchemy import ForeignKey, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime


class Client(SealedRecord, Model):
    __tablename__ = "client"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    treater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    name = encrypted("name")
    personal_id = encrypted("personal_id")
    phone = encrypted("phone")
    language: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    episodes: Mapped[list[TreatmentEpisode]] = relationship(
        back_populates="client", order_by="TreatmentEpisode.opened_on"
    )


class TreatmentEpisode(Model):
    __tablename__ = "treatment_episode"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id"), index=True)
    treater_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"), index=True)
    status: Mapped[str] = mapped_column(String(32))
    opened_on: Mapped[date] = mapped_column()
    started_on: Mapped[date | None] = mapped_column()
    ended_on: Mapped[date | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship(back_populates="episodes")
    sessions: Mapped[list[TreatmentSession]] = relationship(
        back_populates="episode", order_by="TreatmentSession.held_on"
    )


class TreatmentSession(Model):
    """One planned treatment session and what came of it: attended, cancelled in advance, or
    missed (a no-show)."""

    __tablename__ = "treatment_session"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"), index=True)
    held_on: Mapped[date] = mapped_column()
    attendance: Mapped[str] = mapped_column(String(16))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

    episode: Mapped[TreatmentEpisode] = relationship(back_populates="sessions")
