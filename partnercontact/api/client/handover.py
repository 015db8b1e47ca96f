"""Handing the partner's details over to partner contact, through the same service as the page
(:func:`partnercontact.relay.handover.hand_over`).

Write only: there is no operation that reads the details back, and the answer says only that
they were handed over and when, as the client's page does. What the partner side does with
them (whether she was reached, what she said) never comes back this way.
"""

from __future__ import annotations

import uuid

from flask_login import current_user

from partnercontact.api.client import blp
from partnercontact.api.client.access import client_first
from partnercontact.api.client.schemas import HandoverStampOut, PartnerDetailsIn
from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.output import commits
from partnercontact.policy import Permission, requires
from partnercontact.relay import handover


@blp.route("/<uuid:client_id>/handover", methods=["POST"])
@requires(Permission.PARTNER_DETAILS_HAND_OVER)
@client_first
@commits
@blp.arguments(PartnerDetailsIn)
@blp.response(201, HandoverStampOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def hand_over_partner(body: dict[str, object], client_id: uuid.UUID) -> handover.HandoverStamp:
    """Hand the partner's details over under a signed consent; never shown back."""
    details = handover.PartnerDetails(
        name=str(body["partner_name"]),
        phone=body["partner_phone"],  # type: ignore[arg-type]
        address=body["partner_address"],  # type: ignore[arg-type]
        relation=str(body["relation"]),
        children_in_common=str(body["children_in_common"]),
        protected_identity=bool(body["protected_identity"]),
    )
    return handover.hand_over(
        current_user,
        client_id,
        details,
        partner=body["partner"],  # type: ignore[arg-type]
        new_partner=bool(body["new_partner"]),
        follow=body["follow"],  # type: ignore[arg-type]
    )
