"""The partner side: cases handed over to partner contact, their work, sessions and the
relay inbox. Every query goes through the partner side's own scopes (the cases the user
holds, or the clinic's waiting hand-overs): nothing of the client side is read here."""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "api_partner_cases",
    __name__,
    url_prefix="/api/v1/partner-cases",
    description="The partner side: cases, contact, sessions and the relay inbox",
)
