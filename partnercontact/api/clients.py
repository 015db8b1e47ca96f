"""Clients of the client's treater: the list, one client, registering one.

The rest of the client side's operations add themselves to :data:`blp` from the
``client_*`` modules imported at the end of this one.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import BadRequest, UnprocessableEntity

from partnercontact.api.errors import DENIED, INVALID, NOT_FOUND, answers
from partnercontact.api.fields import Text
from partnercontact.cases import service as cases
from partnercontact.cases.models import Client
from partnercontact.db import db
from partnercontact.partners.handover import HandoverStamp, handovers_seen_by_client_side
from partnercontact.policy import Permission, requires

F = TypeVar("F", bound=Callable[..., Any])

blp = Blueprint(
    "api_clients", __name__, url_prefix="/api/v1/clients", description="The client side: clients"
)


class EpisodeOut(Schema):
    id = fields.UUID(required=True)
    status = fields.String(required=True)
    opened_on = fields.Date(required=True)
    started_on = fields.Date(allow_none=True)
    ended_on = fields.Date(allow_none=True)


class ClientSummaryOut(Schema):
    id = fields.UUID(required=True)
    name = fields.String(required=True)
    language = fields.String(required=True)
    created_at = fields.DateTime(required=True)


class HandoverStampOut(Schema):
    """All the client side learns of a hand-over: that it happened, and when."""

    kind = fields.String(
        required=True,
        validate=validate.OneOf(["initial", "correction"]),
        metadata={"description": "The first hand-over, or corrected details handed over later"},
    )
    handed_over_on = fields.Date(required=True)


class ClientOut(ClientSummaryOut):
    personal_id = fields.String(allow_none=True)
    phone = fields.String(required=True)
    episodes = fields.List(fields.Nested(EpisodeOut), required=True)
    handovers = fields.List(
        fields.Nested(HandoverStampOut),
        required=True,
        metadata={"description": "The hand-overs of the partner's details, oldest first"},
    )


class ClientIn(Schema):
    name = Text(required=True, max_length=200)
    personal_id = Text(load_default=None, allow_none=True, max_length=20)
    phone = Text(required=True, max_length=40)
    language = Text(required=True, max_length=8, metadata={"example": "sv"})


def client_first(view: F) -> F:
    """Look the client up before judging the input, as the pages do.

    Goes between ``requires`` and ``blp.arguments``. Input that cannot be read (400, 422)
    about a client who is not the caller's own answers 404, the same answer as for valid
    input: whether someone else's client exists, and what is wrong with what was sent about
    him, are told to his own treater only.
    """

    @functools.wraps(view)
    def checked(*args: Any, **kwargs: Any) -> Any:
        try:
            return view(*args, **kwargs)
        except (BadRequest, UnprocessableEntity):
            cases.client_for(current_user, kwargs["client_id"])
            raise

    return checked  # type: ignore[return-value]


def handover_out(stamp: HandoverStamp) -> dict[str, object]:
    return {"kind": stamp.kind, "handed_over_on": stamp.handed_over_on}


def _client_out(client: Client, handovers: list[HandoverStamp]) -> dict[str, object]:
    return {
        "id": client.id,
        "name": client.name,
        "language": client.language,
        "created_at": client.created_at,
        "personal_id": client.personal_id,
        "phone": client.phone,
        "episodes": sorted(client.episodes, key=lambda episode: episode.created_at),
        "handovers": [handover_out(stamp) for stamp in handovers],
    }


@blp.route("", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@blp.response(200, ClientSummaryOut(many=True))
@answers(blp, DENIED)
def list_clients() -> list[Client]:
    """The clients you treat, newest first."""
    clients = cases.clients_of(current_user)
    db.session.commit()  # the audit entry of the read
    return clients


@blp.route("", methods=["POST"])
@requires(Permission.CLIENTS_REGISTER)
@blp.arguments(ClientIn)
@blp.response(201, ClientOut)
@answers(blp, 400, DENIED, INVALID)
def register_client(body: dict[str, str | None]) -> dict[str, object]:
    """Register a client you treat; the client's first episode opens in assessment."""
    client = cases.register_client(
        current_user,
        name=body["name"] or "",
        personal_id=body["personal_id"],
        phone=body["phone"] or "",
        language=body["language"] or "",
    )
    answer = _client_out(client, [])
    db.session.commit()
    return answer


@blp.route("/<uuid:client_id>", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@blp.response(200, ClientOut)
@answers(blp, NOT_FOUND)
def get_client(client_id: uuid.UUID) -> dict[str, object]:
    """One client you treat, with the episodes of treatment and the hand-overs."""
    client = cases.client_for(current_user, client_id)
    answer = _client_out(client, handovers_seen_by_client_side(current_user, client_id))
    db.session.commit()
    return answer


# Each module adds its operations to blp when imported.
from partnercontact.api import client_consents, client_episodes, client_handover  # noqa: E402, F401
