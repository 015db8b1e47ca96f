"""The partner side of the API, for the partner-contact treater: cases handed over to partner
contact, their work, sessions and the relay inbox. Every query goes through the partner side's
own scopes (the cases the user holds, or the clinic's waiting hand-overs): nothing of the
client side is read here.

This module holds the blueprint alone. Each route module (:mod:`.cases`, :mod:`.clinical`,
:mod:`.contact`, :mod:`.relay`, :mod:`.sessions`) adds its operations to :data:`blp` when
imported, and :mod:`partnercontact.api` imports them, in that order (the order of the
document), before it registers the blueprint. Nothing here imports the client side's API.
"""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "api_partner_cases",
    __name__,
    url_prefix="/api/v1/partner-cases",
    description="The partner side: cases, contact, sessions and the relay inbox",
)
