"""Finding the client's open episode, and holding it still while it changes.

Status changes and the relay events they cause must happen once per real change, even when
two browser tabs or two people submit at the same moment. A change therefore takes the
episode row's write lock first and re-reads the status under it; whoever comes second sees
the first change and is refused.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from partnercontact.audit.tags import AuditAction
from partnercontact.client_side.cases.errors import ClientInvalid
from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.client_side.cases.service import audit, client_for
from partnercontact.client_side.cases.status import OPEN, EpisodeStatus
from partnercontact.clinics.clock import clinic_today
from partnercontact.db import db, take_write_lock
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.runtime import current_runtime

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


def open_new_episode(
    actor: User, client_id: uuid.UUID, *, opened_on: date | None
) -> TreatmentEpisode:
    """A new treatment period for a client whose last one has ended (he came back after a
    dropout, or for a new course). It starts in assessment with no consent and no partner
    contact: a consent given in an earlier period never carries over, and a partner case
    belongs to the period it was handed over in, until a hand-over in the new period lets it
    follow him (:func:`partnercontact.relay.handover.hand_over`). Only his own treater opens
    one."""
    client = client_for(actor, client_id)
    # Two at once: one opens, the other sees it and is told.
    take_write_lock(Client, Client.id == client.id)
    db.session.execute(select(Client.id).where(Client.id == client.id).with_for_update())
    db.session.refresh(client, ["episodes"])
    if any(episode.status in OPEN for episode in client.episodes):
        raise Conflict(
            _l("The client has an open treatment period: end it before opening a new one."),
            field="opened_on",
        )
    if opened_on is None:
        raise ClientInvalid(_l("Enter the date the new period opened."), field="opened_on")
    if opened_on > clinic_today(actor.clinic):
        raise ClientInvalid(_l("The date cannot be in the future."), field="opened_on")
    last_ended = max((e.ended_on for e in client.episodes if e.ended_on is not None), default=None)
    if last_ended is not None and opened_on < last_ended:
        raise ClientInvalid(
            _l("The new period cannot open before the last one ended (%(day)s).", day=last_ended),
            field="opened_on",
        )
    episode = TreatmentEpisode(
        id=uuid.uuid4(),
        client=client,
        treater_id=client.treater_id,
        status=EpisodeStatus.ASSESSMENT,
        opened_on=opened_on,
        created_at=current_runtime().clock.now(),
    )
    db.session.add(episode)
    db.session.flush()
    audit(AuditAction.EPISODE_OPENED, actor, "episode", episode.id)
    return episode
