"""Finding the client's open episode, and holding it still while it changes.

Status changes and the relay events they cause must happen once per real change, even when
two browser tabs or two people submit at the same moment. A change therefore takes the
episode row's write lock first and re-reads the status under it; whoever comes second sees
the first change and is refused.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from sqlalchemy import select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.cases.service import client_for
from partnercontact.client_side.cases.status import OPEN
from partnercontact.db import db, take_write_lock
from partnercontact.errors import Conflict
from partnercontact.i18n import _l

if TYPE_CHECKING:
    from partnercontact.auth.models import User


def _no_open_episode() -> Conflict:
    return Conflict(_l("The client has no open treatment episode."), field="episode")


def open_episode_of(
    actor: User, client_id: uuid.UUID, *, for_change: bool = False
) -> TreatmentEpisode:
    """The client's open episode, for his own treater, or :class:`Conflict`.

    With ``for_change`` the episode is locked for the rest of the transaction and read again
    under the lock, so the caller decides on its current status.
    """
    client = client_for(actor, client_id)
    open_episodes = [episode for episode in client.episodes if episode.status in OPEN]
    if not open_episodes:
        raise _no_open_episode()
    episode = open_episodes[-1]
    if for_change:
        episode = lock_episode(episode.id)
        if episode.status not in OPEN:
            raise _no_open_episode()
    return episode


def lock_episode(episode_id: uuid.UUID) -> TreatmentEpisode:
    """Take the episode's write lock and return it as it now stands."""
    take_write_lock(TreatmentEpisode, TreatmentEpisode.id == episode_id)
    return db.session.scalars(
        select(TreatmentEpisode)
        .where(TreatmentEpisode.id == episode_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()
