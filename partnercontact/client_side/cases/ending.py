"""Ending a treatment episode, and what must happen with it.

At the end of the treatment contact the signed consent is destroyed (docs/domain.md, "Step 13:
closing"): that happens here, in the same transaction as the ending, so an ended episode never keeps
a readable copy.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.episodes import open_episode_of
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.service import audit
from partnercontact.client_side.cases.status import ENDINGS, EpisodeStatus, may_move
from partnercontact.client_side.consent.documents import destroy_signed_copies
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.relay.closing import start_closing
from partnercontact.relay.emit import ENDING_KINDS, relay
from partnercontact.relay.kinds import RelayKind
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from partnercontact.auth.models import User


def end_episode(
    actor: User, client_id: uuid.UUID, *, ended_on: date, outcome: str
) -> TreatmentEpisode:
    """End the client's open episode (completed, dropped out or ended by the clinic), and
    destroy the signed consent copies that belong to it."""
    episode = open_episode_of(actor, client_id, for_change=True)
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
    relay(actor, episode, ENDING_KINDS[episode.status], ended_on)
    start_closing(actor, episode, ended_on)
    destroy_signed_copies(episode, actor_id=actor.id)
    return episode


def start_treatment(actor: User, client_id: uuid.UUID, *, started_on: date) -> TreatmentEpisode:
    """Move the client's episode from assessment into treatment."""
    episode = open_episode_of(actor, client_id, for_change=True)
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
    relay(actor, episode, RelayKind.TREATMENT_STARTED, started_on)
    return episode
