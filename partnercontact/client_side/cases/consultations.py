"""The client's treater and consultation requests: asking the partner-contact treater for a
talk, recording one as held, and seeing those of his clients.

Only the client's own treater does any of it (through :func:`client_for` and
:func:`open_episode_of`); anyone else gets the answer for a client that does not exist. What
he sees of a request from the partner side is that it was made, why (a closed list that says
nothing of her) and when the talk was held: the one thing that crosses that way.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import select

from partnercontact.client_side.cases.episodes import open_episode_of
from partnercontact.client_side.cases.models import Client, TreatmentEpisode
from partnercontact.client_side.cases.service import client_for, not_the_actors
from partnercontact.db import db
from partnercontact.errors import Conflict
from partnercontact.i18n import _l
from partnercontact.relay import consultations
from partnercontact.relay.consultations import ConsultationEntry
from partnercontact.relay.emit import partner_contacts_of
from partnercontact.relay.kinds import CLIENT_SIDE
from partnercontact.relay.models import Consultation

if TYPE_CHECKING:
    from partnercontact.auth.models import User


def ask_partner_side(actor: User, client_id: uuid.UUID, *, reason: str | None) -> Consultation:
    """Ask the partner-contact treater for a talk about the client's open episode."""
    episode = open_episode_of(actor, client_id, for_change=True)
    if not partner_contacts_of(episode.id):
        raise Conflict(
            _l(
                "No partner contact has been handed over for this client, so there is no "
                "partner-contact treater to talk to."
            ),
            field="reason",
        )
    return consultations.ask(actor, episode.id, CLIENT_SIDE, reason)


def record_talk_held(
    actor: User, client_id: uuid.UUID, consultation_id: uuid.UUID, *, held_on: date | None
) -> Consultation:
    """The talk of a request on one of the client's episodes was held on ``held_on``."""
    client = client_for(actor, client_id)
    episode_id = db.session.scalar(
        select(Consultation.episode_id)
        .join(TreatmentEpisode, TreatmentEpisode.id == Consultation.episode_id)
        .where(Consultation.id == consultation_id, TreatmentEpisode.client_id == client.id)
    )
    if episode_id is None:
        raise not_the_actors()
    return consultations.record_held(
        actor, episode_id, consultation_id, held_on, missing=not_the_actors()
    )


def consultations_of_client(client: Client) -> list[ConsultationEntry]:
    """The requests on the client's episodes, both ways, open ones first; for a page that
    has loaded (and audited) the client through :func:`client_for`."""
    return consultations.entries_of([episode.id for episode in client.episodes])


def consultation_of_client(client: Client, consultation_id: uuid.UUID) -> ConsultationEntry:
    """One request on the client's episodes, for a page that has loaded the client through
    :func:`client_for`; any other id gets the answer for a client that is not the actor's."""
    for entry in consultations_of_client(client):
        if entry.id == consultation_id:
            return entry
    raise not_the_actors()
