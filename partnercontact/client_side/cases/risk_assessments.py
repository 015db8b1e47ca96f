"""The client's treater assesses the risk the client poses: SARA, SAM or a clinical judgement,
item by item, with a summary level and the date of the next review.

An assessment rated high tells the partner side at once: it sends an urgent risk signal
(:func:`~partnercontact.client_side.cases.risk_signals.send_signal`), which says
that and nothing more; the ratings and notes stay here.

Contracts:

- only the client's own treater records or reads an assessment; anyone else gets the answer
  for a client that does not exist;
- every input is checked before anything is written, the ratings item by item
  (:func:`~partnercontact.assessments.instruments.checked_ratings`); a refusal names its field;
- an assessment is never changed: a new one is a new row; ratings and notes are sealed under
  the client's data key; each write and each opening of one is audited with its id only.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from partnercontact.assessments.instruments import (
    CLIENT_SIDE_INSTRUMENTS,
    HIGH,
    INSTRUMENTS,
    RISK_LEVELS,
    checked_ratings,
    sealed_form,
)
from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.episodes import open_episode_of
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import ClientRiskAssessment
from partnercontact.client_side.cases.risk_signals import send_signal, why_no_signal
from partnercontact.client_side.cases.service import audit, not_the_actors
from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.relay.kinds import HIGH_ASSESSMENT, URGENT
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User
    from partnercontact.client_side.cases.models import Client

MAX_NOTES = 10_000


@dataclass(frozen=True)
class Recorded:
    assessment: ClientRiskAssessment
    # For a high result: why no signal went, when none did (a message for the treater).
    no_signal_because: object | None = None


def record_client_assessment(
    actor: User,
    client_id: uuid.UUID,
    *,
    instrument: str | None,
    assessed_on: date | None,
    ratings: Mapping[str, str | None],
    level: str | None,
    next_review_on: date | None,
    notes: str | None,
) -> Recorded:
    """Record an assessment in the client's open episode; a high one signals the partner
    side."""
    episode = open_episode_of(actor, client_id, for_change=True)
    if instrument not in CLIENT_SIDE_INSTRUMENTS:
        raise ClientInvalid(_l("Choose the instrument used."), field="instrument")
    chosen = INSTRUMENTS[instrument]
    today = clinic_today(actor.clinic)
    if assessed_on is None:
        raise ClientInvalid(_l("Enter the date of the assessment."), field="assessed_on")
    if assessed_on > today:
        raise ClientInvalid(_l("The date cannot be in the future."), field="assessed_on")
    checked = checked_ratings(chosen, ratings)
    if level not in RISK_LEVELS:
        raise ClientInvalid(_l("Choose the risk level."), field="level")
    if next_review_on is not None and next_review_on <= assessed_on:
        raise ClientInvalid(
            _l("The next review must come after the assessment."), field="next_review_on"
        )
    clean_notes = (notes or "").strip()
    if len(clean_notes) > MAX_NOTES:
        raise ClientInvalid(
            _l("The notes are too long (at most 10,000 characters)."), field="notes"
        )

    client = episode.client
    assessment = ClientRiskAssessment(
        id=uuid.uuid4(),
        client_id=client.id,
        episode_id=episode.id,
        data_key_id=client.data_key_id,
        instrument=chosen.key,
        instrument_version=chosen.version,
        assessed_on=assessed_on,
        level=level,
        next_review_on=next_review_on,
        recorded_by_id=actor.id,
        recorded_at=current_runtime().clock.now(),
    )
    assessment.ratings = sealed_form(checked)
    assessment.notes = clean_notes or None
    no_signal_because = None
    if level == HIGH:
        no_signal_because = why_no_signal(actor, episode)
        if no_signal_because is None:
            signal = send_signal(actor, episode, HIGH_ASSESSMENT, URGENT)
            assessment.risk_signal_id = signal.id
    db.session.add(assessment)
    db.session.flush()
    audit(
        AuditAction.CLIENT_RISK_ASSESSMENT_RECORDED, actor, "client_risk_assessment", assessment.id
    )
    return Recorded(assessment, no_signal_because)


@dataclass(frozen=True)
class ClientRisk:
    assessments: list[ClientRiskAssessment]
    # The newest assessment's review date, when it has come without a newer assessment.
    review_due_since: date | None


def client_risk(actor: User, client: Client) -> ClientRisk:
    """The client's assessments, newest first, and whether a review is due; for a page that
    has loaded (and audited) the client through ``client_for``."""
    assessments = list(
        db.session.scalars(
            select(ClientRiskAssessment)
            .where(ClientRiskAssessment.client_id == client.id)
            .order_by(
                ClientRiskAssessment.assessed_on.desc(), ClientRiskAssessment.recorded_at.desc()
            )
        )
    )
    due = None
    review = assessments[0].next_review_on if assessments else None
    if review is not None and review <= clinic_today(actor.clinic):
        due = review
    return ClientRisk(assessments, due)


def client_assessment(
    actor: User, client: Client, assessment_id: uuid.UUID
) -> ClientRiskAssessment:
    """One assessment of the client, for a page that has loaded the client through
    ``client_for``; audited as opened. Any other id: the answer for a client not the actor's."""
    assessment = db.session.get(ClientRiskAssessment, assessment_id)
    if assessment is None or assessment.client_id != client.id:
        raise not_the_actors()
    audit(AuditAction.CLIENT_RISK_ASSESSMENT_VIEWED, actor, "client_risk_assessment", assessment.id)
    return assessment
