"""The client's consent to partner contact: its history as metadata, recording a consent or a
refusal, and withdrawing a consent, through the same service as the pages
(:mod:`partnercontact.consent.service`).

The signed copy's upload and the printable consent form (a PDF) are files: they stay on the
pages, and nothing here reads or returns the signed document itself.
"""

from __future__ import annotations

import uuid
from datetime import date

from flask_login import current_user
from marshmallow import Schema, fields, validate

from partnercontact.api.clients import blp, client_first
from partnercontact.api.errors import INVALID, NOT_FOUND, answers
from partnercontact.api.fields import Boolean, Text
from partnercontact.consent import register
from partnercontact.consent import service as consent
from partnercontact.consent.forms import SCOPES, all_forms
from partnercontact.consent.models import Consent
from partnercontact.db import db
from partnercontact.policy import Permission, requires

# The languages a consent form is published in.
FORM_LANGUAGES = sorted({form.language for form in all_forms()})
FORMS_OF_CONSENT = ("written", "verbal")
SIGNED_COPY = (
    register.DOCUMENT_PENDING,
    register.DOCUMENT_ATTACHED,
    register.DOCUMENT_DESTROYED,
    register.DOCUMENT_VERBAL,
    register.DOCUMENT_NONE,
    register.DOCUMENT_NOT_APPLICABLE,
)


class ClientConsentOut(Schema):
    id = fields.UUID(required=True)
    state = fields.String(
        required=True,
        validate=validate.OneOf(register.STATES),
        metadata={
            "description": "given (in force), signature_pending (in force once the signed "
            "copy is attached), withdrawn, or refused"
        },
    )
    form_version = fields.Integer(required=True)
    form_language = fields.String(required=True)
    form_of_consent = fields.String(required=True, validate=validate.OneOf(FORMS_OF_CONSENT))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        metadata={"description": "What the client consented to; empty for a refusal"},
    )
    place = fields.String(required=True)
    signed_on = fields.Date(
        required=True, metadata={"description": "The day of the consent, or of the refusal"}
    )
    withdrawn_on = fields.Date(required=True, allow_none=True)
    treatment_continues = fields.Boolean(
        required=True,
        allow_none=True,
        metadata={"description": "For a refusal: whether the team decided treatment continues"},
    )
    signed_copy = fields.String(
        required=True,
        validate=validate.OneOf(SIGNED_COPY),
        metadata={"description": "What became of the signed paper (never the paper itself)"},
    )
    signed_copy_destroyed_on = fields.Date(required=True, allow_none=True)
    allows_partner_contact = fields.Boolean(
        required=True,
        metadata={"description": "In force and signed: the partner's details may be handed over"},
    )


class ClientConsentIn(Schema):
    language = fields.String(
        required=True,
        validate=validate.OneOf(FORM_LANGUAGES),
        metadata={"description": "The language of the form; the version in force today is used"},
    )
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        required=True,
        metadata={"description": "At least one thing the client consents to"},
    )
    place = Text(required=True, max_length=consent.MAX_PLACE)
    signed_on = fields.Date(required=True, metadata={"description": "Not in the future"})
    attested_details_given = Boolean(
        required=True,
        metadata={
            "description": "The client attests that he gave the partner's name, address and "
            "phone number; must be true"
        },
    )
    form_of_consent = fields.String(
        load_default="written",
        validate=validate.OneOf(FORMS_OF_CONSENT),
        metadata={
            "description": "written (a signed copy is attached on the page afterwards), or "
            "verbal where the clinic's policy allows it"
        },
    )


class ConsentRefusalIn(Schema):
    language = fields.String(required=True, validate=validate.OneOf(FORM_LANGUAGES))
    place = Text(required=True, max_length=consent.MAX_PLACE)
    refused_on = fields.Date(required=True, metadata={"description": "Not in the future"})
    treatment_continues = Boolean(
        required=True,
        metadata={"description": "The team's decision: treatment goes on without partner contact"},
    )
    team_decided_on = fields.Date(required=True, metadata={"description": "Not in the future"})


class ConsentWithdrawalIn(Schema):
    withdrawn_on = fields.Date(
        required=True,
        metadata={"description": "Not in the future, nor before the consent was given"},
    )


def _consent_out(record: Consent) -> dict[str, object]:
    destroyed_at = record.document_destroyed_at
    return {
        "id": record.id,
        "state": register.state_of(record),
        "form_version": record.form_version,
        "form_language": record.form_language,
        "form_of_consent": record.form_of_consent,
        "scopes": [scope for scope in SCOPES if getattr(record, scope)],
        "place": record.place,
        "signed_on": record.signed_on,
        "withdrawn_on": record.withdrawn_on,
        "treatment_continues": record.treatment_continues if record.state == "refused" else None,
        "signed_copy": register.document_of(record),
        "signed_copy_destroyed_on": destroyed_at.date() if destroyed_at else None,
        "allows_partner_contact": record.allows_partner_contact,
    }


@blp.route("/<uuid:client_id>/consents", methods=["GET"])
@requires(Permission.CLIENT_SIDE_VIEW)
@blp.response(200, ClientConsentOut(many=True))
@answers(blp, NOT_FOUND)
def list_consents(client_id: uuid.UUID) -> list[dict[str, object]]:
    """The client's consents and refusals, newest first: metadata, never the signed copy."""
    records = consent.consents_of_client(current_user, client_id)
    answer = [_consent_out(record) for record in records]
    db.session.commit()  # the audit entry of the read
    return answer


@blp.route("/<uuid:client_id>/consents", methods=["POST"])
@requires(Permission.CONSENT_RECORD)
@client_first
@blp.arguments(ClientConsentIn)
@blp.response(201, ClientConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_consent(body: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    """Record the client's consent on the form version in force today."""
    record = consent.record_consent(
        current_user,
        client_id,
        language=str(body["language"]),
        scopes=list(body["scopes"]),  # type: ignore[call-overload]
        place=str(body["place"]),
        signed_on=body["signed_on"],  # type: ignore[arg-type]
        attested_details_given=bool(body["attested_details_given"]),
        verbal=body["form_of_consent"] == "verbal",
    )
    answer = _consent_out(record)
    db.session.commit()
    return answer


@blp.route("/<uuid:client_id>/refusals", methods=["POST"])
@requires(Permission.CONSENT_RECORD)
@client_first
@blp.arguments(ConsentRefusalIn)
@blp.response(201, ClientConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_refusal(body: dict[str, object], client_id: uuid.UUID) -> dict[str, object]:
    """Record that the client refused consent, with the team's decision on his treatment."""
    record = consent.record_refusal(
        current_user,
        client_id,
        language=str(body["language"]),
        place=str(body["place"]),
        refused_on=body["refused_on"],  # type: ignore[arg-type]
        treatment_continues=bool(body["treatment_continues"]),
        team_decided_on=body["team_decided_on"],  # type: ignore[arg-type]
    )
    answer = _consent_out(record)
    db.session.commit()
    return answer


@blp.route("/<uuid:client_id>/consents/<uuid:consent_id>/withdrawal", methods=["POST"])
@requires(Permission.CONSENT_RECORD)
@client_first
@blp.arguments(ConsentWithdrawalIn)
@blp.response(200, ClientConsentOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def withdraw_consent(
    body: dict[str, date], client_id: uuid.UUID, consent_id: uuid.UUID
) -> dict[str, object]:
    """Withdraw a consent in force; it cannot be undone. The partner side is told."""
    record = consent.withdraw_consent(
        current_user, client_id, consent_id, withdrawn_on=body["withdrawn_on"]
    )
    answer = _consent_out(record)
    db.session.commit()
    return answer
