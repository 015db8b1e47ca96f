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


class ClientRiskAssessment(SealedRecord, Model):
    """The client's treater's assessment of the risk he poses, item by item
    (:mod:`partnercontact.assessments.instruments`), with the summary level and the next
    review. Ratings and notes are sealed under the client's data key. Never changed: a new
    assessment is a new row, so the history stays as it was recorded."""

    __tablename__ = "client_risk_assessment"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id"), index=True)
    episode_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("treatment_episode.id"))
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    instrument: Mapped[str] = mapped_column(String(32))
    instrument_version: Mapped[int] = mapped_column()
    assessed_on: Mapped[date] = mapped_column()
    level: Mapped[str] = mapped_column(String(16))
    next_review_on: Mapped[date | None] = mapped_column()
    ratings = encrypted("ratings")
    notes = encrypted("notes")
    # The risk signal a high result sent to the partner side, when one was sent.
    risk_signal_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("relay_event.id"))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ClientConcernReport(Model):
    """A concern report (orosanmälan, 14 kap. 1 § SoL) the client's treater made: when, to
    which social welfare board, why. Which child it concerned stays in the report itself."""

    __tablename__ = "client_concern_report"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    client_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("client.id"), index=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    reported_on: Mapped[date] = mapped_column()
    board: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str] = mapped_column(String(32))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
