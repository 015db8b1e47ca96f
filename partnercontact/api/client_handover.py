"""Handing the partner's details over to partner contact, through the same service as the page
(:func:`partnercontact.partners.handover.hand_over`).

Write only: there is no operation that reads the details back, and the answer says only that
they were handed over and when, as the client's page does. What the partner side does with
them (whether she was reached, what she said) never comes back this way.
"""

from __future__ import annotations

import uuid

from flask_login import current_user
from marshmallow import Schema, fields, validate

from partnercontact.api.clients import HandoverStampOut, blp, client_first, handover_out
from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.fields import Boolean, Text
from partnercontact.db import db
from partnercontact.partners import handover
from partnercontact.policy import Permission, requires


class PartnerDetailsIn(Schema):
    partner_name = Text(required=True, max_length=handover.MAX_NAME)
    partner_phone = Text(
        load_default=None,
        allow_none=True,
        max_length=40,
        metadata={"description": "A Swedish number or one starting with +; or give an address"},
    )
    partner_address = Text(
        load_default=None,
        allow_none=True,
        max_length=handover.MAX_ADDRESS,
        multiline=True,
        metadata={"description": "A postal address; or give a phone number"},
    )
    relation = fields.String(
        required=True,
        validate=validate.OneOf(handover.RELATIONS),
        metadata={"description": "Whether she is his current or a former partner"},
    )
    children_in_common = fields.String(
        required=True, validate=validate.OneOf(handover.CHILDREN_IN_COMMON)
    )
    protected_identity = Boolean(
        load_default=False,
        metadata={
            "description": "She is known to have protected personal data or to live in "
            "sheltered housing"
        },
    )


@blp.route("/<uuid:client_id>/handover", methods=["POST"])
@requires(Permission.PARTNER_DETAILS_HAND_OVER)
@client_first
@blp.arguments(PartnerDetailsIn)
@blp.response(201, HandoverStampOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def hand_over_partner(body: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    """Hand the partner's details over under a signed consent; never shown back."""
    details = handover.PartnerDetails(
        name=str(body["partner_name"]),
        phone=body["partner_phone"],  # type: ignore[arg-type]
        address=body["partner_address"],  # type: ignore[arg-type]
        relation=str(body["relation"]),
        children_in_common=str(body["children_in_common"]),
        protected_identity=bool(body["protected_identity"]),
    )
    stamp = handover.hand_over(current_user, client_id, details)
    db.session.commit()
    return handover_out(stamp)
