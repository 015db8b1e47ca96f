"""The client's treatment episode: starting the treatment, its sessions and their attendance,
and ending the episode, through the same services as the pages
(:mod:`partnercontact.cases.ending`, :mod:`partnercontact.cases.attendance`).

Those services relay what may cross to the partner side (treatment started, a run of missed
sessions, dropout, completion, an ending by the clinic) in the same transaction, as far as
the consent allows: an operation here passes on exactly what the page would, and nothing else.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask_login import current_user
from marshmallow import Schema, fields, validate

from partnercontact.api.clients import EpisodeOut, blp, client_first
from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.cases import service as cases
from partnercontact.cases.attendance import ATTENDANCE, record_session
from partnercontact.cases.ending import end_episode, start_treatment
from partnercontact.cases.models import TreatmentEpisode, TreatmentSession
from partnercontact.cases.status import ENDINGS
from partnercontact.db import db
from partnercontact.policy import Permission, requires


class StartTreatmentIn(Schema):
    started_on = fields.Date(
        required=True,
        metadata={"description": "Not in the future, nor before the episode opened"},
    )


class EndEpisodeIn(Schema):
    outcome = fields.String(
        required=True,
        validate=validate.OneOf([ending.value for ending in ENDINGS]),
        metadata={
            "description": "completed (only once the treatment has started), dropped_out "
            "(he ended it early) or ended_by_clinic. The partner side is told of a dropout "
            "or an ending if the consent lets her be told."
        },
    )
    ended_on = fields.Date(
        required=True,
        metadata={"description": "Not in the future, nor before the episode opened"},
    )


class TreatmentSessionIn(Schema):
    held_on = fields.Date(
        required=True,
        metadata={"description": "Not in the future, nor before the treatment started"},
    )
    attendance = fields.String(
        required=True,
        validate=validate.OneOf(list(ATTENDANCE)),
        metadata={
            "description": "attended, cancelled (in advance) or missed (a no-show). A run "
            "of missed sessions as long as the clinic has set is passed on to the partner "
            "side if the consent lets her be told."
        },
    )


class TreatmentSessionOut(Schema):
    id = fields.UUID(required=True)
    episode_id = fields.UUID(required=True)
    held_on = fields.Date(required=True)
    attendance = fields.String(required=True, validate=validate.OneOf(list(ATTENDANCE)))


def _episode_out(episode: TreatmentEpisode) -> dict[str, object]:
    return {
        "id": episode.id,
        "status": episode.status,
        "opened_on": episode.opened_on,
        "started_on": episode.started_on,
        "ended_on": episode.ended_on,
    }


def _session_out(session: TreatmentSession) -> dict[str, object]:
    return {
        "id": session.id,
        "episode_id": session.episode_id,
        "held_on": session.held_on,
        "attendance": session.attendance,
    }


@blp.route("/<uuid:client_id>/episode/start", methods=["POST"])
@requires(Permission.EPISODES_END)
@client_first
@blp.arguments(StartTreatmentIn)
@blp.response(200, EpisodeOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def start_episode_treatment(body: dict[str, date], client_id: uuid.UUID) -> dict[str, object]:
    """Start the treatment of the client's episode in assessment."""
    episode = start_treatment(current_user, client_id, started_on=body["started_on"])
    answer = _episode_out(episode)
    db.session.commit()
    return answer


@blp.route("/<uuid:client_id>/episode/end", methods=["POST"])
@requires(Permission.EPISODES_END)
@client_first
@blp.arguments(EndEpisodeIn)
@blp.response(200, EpisodeOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def end_open_episode(body: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    """End the client's open episode; the signed copies of its consents are destroyed."""
    episode = end_episode(
        current_user,
        client_id,
        ended_on=body["ended_on"],  # type: ignore[arg-type]
        outcome=str(body["outcome"]),
    )
    answer = _episode_out(episode)
    db.session.commit()
    return answer


@blp.route("/<uuid:client_id>/sessions", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@blp.response(200, TreatmentSessionOut(many=True))
@answers(blp, NOT_FOUND)
def list_sessions(client_id: uuid.UUID) -> list[dict[str, object]]:
    """The sessions of the client's treatment, newest first, with their attendance."""
    client = cases.client_for(current_user, client_id)
    sessions = [session for episode in client.episodes for session in episode.sessions]
    sessions.sort(key=lambda session: (session.held_on, session.recorded_at), reverse=True)
    answer = [_session_out(session) for session in sessions]
    db.session.commit()  # the audit entry of the read
    return answer


@blp.route("/<uuid:client_id>/sessions", methods=["POST"])
@requires(Permission.EPISODES_END)
@client_first
@blp.arguments(TreatmentSessionIn)
@blp.response(201, TreatmentSessionOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def add_session(body: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    """Record a session of the treatment and whether he came."""
    session = record_session(
        current_user,
        client_id,
        held_on=body["held_on"],  # type: ignore[arg-type]
        attendance=str(body["attendance"]),
    )
    answer = _session_out(session)
    db.session.commit()
    return answer
