"""Ending a treatment episode, and what must happen with it.

At the end of the treatment contact the signed consent is destroyed (DOMAIN.md, step 8): that
happens here, in the same transaction as the ending, so an ended episode never keeps a
readable copy.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from partnercontact.audit.tags import AuditAction
from partnercontact.cases.errors import ClientInvalid
from partnercontact.cases.models import TreatmentEpisode
from partnercontact.cases.service import audit, client_for
from partnercontact.cases.status import ENDINGS, OPEN, EpisodeStatus, may_move
from partnercontact.consent.documents import destroy_signed_copies
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User


def open_episode_of(actor: User, client_id: uuid.UUID) -> TreatmentEpisode:
    """The client's open episode, for his own treater, or :class:`Conflict`."""
    client = client_for(actor, client_id)
    open_episodes = [episode for episode in client.episodes if episode.status in OPEN]
    if not open_episodes:
        raise Conflict(_l("The client has no open treatment episode."), field="episode")
    return open_episodes[-1]


def end_episode(
    actor: User, client_id: uuid.UUID, *, ended_on: date, outcome: str
) -> TreatmentEpisode:
    """End the client's open episode (completed, dropped out or ended by the clinic), and
    destroy the signed consent copies that belong to it."""
    episode = open_episode_of(actor, client_id)
    if outcome not in ENDINGS:
        raise ClientInvalid(_l("Choose how the treatment ended."), field="outcome")
    if not may_move(episode.status, outcome):
        raise Conflict(
            _l("A treatment that never started cannot be completed: choose another ending."),
            field="outcome",
        )
    if ended_on > current_runtime().clock.now().date():
        raise ClientInvalid(_l("The date cannot be in the future."), field="ended_on")
    if ended_on < episode.opened_on:
        raise ClientInvalid(
            _l("The treatment cannot end before the episode opened."), field="ended_on"
        )
    episode.status = EpisodeStatus(outcome)
    episode.ended_on = ended_on
    db.session.flush()
    audit(AuditAction.EPISODE_ENDED, actor, "episode", episode.id)
    destroy_signed_copies(episode, actor_id=actor.id)
    return episode


def start_treatment(actor: User, client_id: uuid.UUID, *, started_on: date) -> TreatmentEpisode:
    """Move the client's episode from assessment into treatment."""
    episode = open_episode_of(actor, client_id)
    if not may_move(episode.status, EpisodeStatus.IN_TREATMENT):
        raise Conflict(_l("The treatment has already started."), field="episode")
    if started_on > current_runtime().clock.now().date():
        raise ClientInvalid(_l("The date cannot be in the future."), field="started_on")
    if started_on < episode.opened_on:
        raise ClientInvalid(
            _l("The treatment cannot start before the episode opened."), field="started_on"
        )
    episode.status = EpisodeStatus.IN_TREATMENT
    episode.started_on = started_on
    db.session.flush()
    audit(AuditAction.EPISODE_STARTED, actor, "episode", episode.id)
    return episode
