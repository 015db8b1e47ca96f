"""The client side of the API, for the client's treater: clients, their consents, their
treatment episode and sessions, and handing the partner's details over.

This module holds the blueprint alone. Each route module (:mod:`.clients`, :mod:`.consents`,
:mod:`.episodes`, :mod:`.handover`) adds its operations to :data:`blp` when imported, and
:mod:`partnercontact.api` imports them, in that order (the order of the document), before it
registers the blueprint. Nothing here imports the partner side's API.
"""

from __future__ import annotations

from flask_smorest import Blueprint

blp = Blueprint(
    "api_clients", __name__, url_prefix="/api/v1/clients", description="The client side: clients"
)
