"""Clients of the client's treater: the list, one client, registering one."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user

from partnercontact.api.client import blp
from partnercontact.api.client.schemas import ClientIn, ClientOut, ClientSummaryOut
from partnercontact.api.errors import DENIED, INVALID, NOT_FOUND, answers
from partnercontact.api.output import Shown, commits
from partnercontact.client_side.cases import service as cases
from partnercontact.policy import Permission, requires
from partnercontact.relay.handover import handovers_seen_by_client_side


@blp.route("", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@commits
@blp.response(200, ClientSummaryOut(many=True))
@answers(blp, DENIED)
def list_clients() -> list[cases.ListedClient]:
    """The clients you treat, newest first."""
    return cases.clients_of(current_user)


@blp.route("", methods=["POST"])
@requires(Permission.CLIENTS_REGISTER)
@commits
@blp.arguments(ClientIn)
@blp.response(201, ClientOut)
@answers(blp, 400, DENIED, INVALID)
def register_client(body: dict[str, Any]) -> Shown:
    """Register a client you treat; the client's first episode opens in assessment."""
    client = cases.register_client(
        current_user,
        name=body["name"] or "",
        personal_id=body["personal_id"],
        phone=body["phone"] or "",
        language=body["language"] or "",
        opened_on=body["opened_on"],
    )
    return Shown(client, handovers=[])


@blp.route("/<uuid:client_id>", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@commits
@blp.response(200, ClientOut)
@answers(blp, NOT_FOUND)
def get_client(client_id: uuid.UUID) -> Shown:
    """One client you treat, with the episodes of treatment and the hand-overs."""
    client = cases.client_for(current_user, client_id)
    return Shown(client, handovers=handovers_seen_by_client_side(current_user, client_id))
