"""The client's consent to partner contact: its history as metadata, recording a consent or a
refusal, and withdrawing a consent, through the same service as the pages
(:mod:`partnercontact.client_side.consent.service`).

The signed copy's upload and the printable consent form (a PDF) are files: they stay on the
pages, and nothing here reads or returns the signed document itself.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask_login import current_user

from partnercontact.api.client import blp
from partnercontact.api.client.access import client_first
from partnercontact.api.client.schemas import (
    ClientConsentIn,
    ClientConsentOut,
    ConsentRefusalIn,
    ConsentWithdrawalIn,
)
from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.output import commits
from partnercontact.client_side.consent import service as consent
from partnercontact.client_side.consent.models import Consent
from partnercontact.policy import Permission, requires


@blp.route("/<uuid:client_id>/consents", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@commits
@blp.response(200, ClientConsentOut(many=True))
@answers(blp, NOT_FOUND)
def list_consents(client_id: uuid.UUID) -> list[Consent]:
    """The client's consents and refusals, newest first: metadata, never the signed copy."""
    return consent.consents_of_client(current_user, client_id)


@blp.route("/<uuid:client_id>/consents", methods=["POST"])
@requires(Permission.CONSENT_RECORD)
@client_first
@commits
@blp.arguments(ClientConsentIn)
@blp.response(201, ClientConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_consent(body: dict[str, object], client_id: uuid.UUID) -> Consent:
    """Record the client's consent on the form version in force today."""
    return consent.record_consent(
        current_user,
        client_id,
        language=str(body["language"]),
        scopes=list(body["scopes"]),  # type: ignore[call-overload]
        place=str(body["place"]),
        signed_on=body["signed_on"],  # type: ignore[arg-type]
        attested_details_given=bool(body["attested_details_given"]),
        verbal=body["form_of_consent"] == "verbal",
    )


@blp.route("/<uuid:client_id>/refusals", methods=["POST"])
@requires(Permission.CONSENT_RECORD)
@client_first
@commits
@blp.arguments(ConsentRefusalIn)
@blp.response(201, ClientConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_refusal(body: dict[str, object], client_id: uuid.UUID) -> Consent:
    """Record that the client refused consent, with the team's decision on his treatment."""
    return consent.record_refusal(
        current_user,
        client_id,
        language=str(body["language"]),
        place=str(body["place"]),
        refused_on=body["refused_on"],  # type: ignore[arg-type]
        treatment_continues=bool(body["treatment_continues"]),
        team_decided_on=body["team_decided_on"],  # type: ignore[arg-type]
    )


@blp.route("/<uuid:client_id>/consents/<uuid:consent_id>/withdrawal", methods=["POST"])
@requires(Permission.CONSENT_RECORD)
@client_first
@commits
@blp.arguments(ConsentWithdrawalIn)
@blp.response(200, ClientConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def withdraw_consent(body: dict[str, date], client_id: uuid.UUID, consent_id: uuid.UUID) -> Consent:
    """Withdraw a consent in force; it cannot be undone. The partner side is told."""
    return consent.withdraw_consent(
        current_user, client_id, consent_id, withdrawn_on=body["withdrawn_on"]
    )
