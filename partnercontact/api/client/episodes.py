"""The client's treatment episode: starting the treatment, its sessions and their attendance,
and ending the episode, through the same services as the pages
(:mod:`partnercontact.client_side.cases.ending`,
:mod:`partnercontact.client_side.cases.attendance`).

Those services relay what may cross to the partner side (treatment started, a run of missed
sessions, dropout, completion, an ending by the clinic) in the same transaction, as far as
the consent allows: an operation here passes on exactly what the page would, and nothing else.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask_login import current_user

from partnercontact.api.client import blp
from partnercontact.api.client.access import client_first
from partnercontact.api.client.schemas import (
    EndEpisodeIn,
    EpisodeOut,
    StartTreatmentIn,
    TreatmentSessionIn,
    TreatmentSessionOut,
)
from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.output import commits
from partnercontact.client_side.cases import service as cases
from partnercontact.client_side.cases.attendance import record_session
from partnercontact.client_side.cases.ending import end_episode, start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode, TreatmentSession
from partnercontact.policy import Permission, requires


@blp.route("/<uuid:client_id>/episode/start", methods=["POST"])
@requires(Permission.EPISODES_END)
@client_first
@commits
@blp.arguments(StartTreatmentIn)
@blp.response(200, EpisodeOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def start_episode_treatment(body: dict[str, date], client_id: uuid.UUID) -> TreatmentEpisode:
    """Start the treatment of the client's episode in assessment."""
    return start_treatment(current_user, client_id, started_on=body["started_on"])


@blp.route("/<uuid:client_id>/episode/end", methods=["POST"])
@requires(Permission.EPISODES_END)
@client_first
@commits
@blp.arguments(EndEpisodeIn)
@blp.response(200, EpisodeOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def end_open_episode(body: dict[str, object], client_id: uuid.UUID) -> TreatmentEpisode:
    """End the client's open episode; the signed copies of its consents are destroyed."""
    return end_episode(
        current_user,
        client_id,
        ended_on=body["ended_on"],  # type: ignore[arg-type]
        outcome=str(body["outcome"]),
    )


@blp.route("/<uuid:client_id>/sessions", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@commits
@blp.response(200, TreatmentSessionOut(many=True))
@answers(blp, NOT_FOUND)
def list_sessions(client_id: uuid.UUID) -> list[TreatmentSession]:
    """The sessions of the client's treatment, newest first, with their attendance."""
    client = cases.client_for(current_user, client_id)
    sessions = [session for episode in client.episodes for session in episode.sessions]
    sessions.sort(key=lambda session: (session.held_on, session.recorded_at), reverse=True)
    return sessions


@blp.route("/<uuid:client_id>/sessions", methods=["POST"])
@requires(Permission.EPISODES_END)
@client_first
@commits
@blp.arguments(TreatmentSessionIn)
@blp.response(201, TreatmentSessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def add_session(body: dict[str, object], client_id: uuid.UUID) -> TreatmentSession:
    """Record a session of the treatment and whether he came."""
    return record_session(
        current_user,
        client_id,
        held_on=body["held_on"],  # type: ignore[arg-type]
        attendance=str(body["attendance"]),
    )
