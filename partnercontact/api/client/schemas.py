"""What the client side's operations read and answer: ``<Thing>Out`` for an answer, dumped
from the record the service returned; ``<Action>In`` for a body. No schema here names a field
of the partner side beyond what the client side learns of a hand-over: that it happened, and
when."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, pre_dump, validate

from partnercontact.api.fields import Boolean, Text, day
from partnercontact.api.output import Shown
from partnercontact.client_side.cases.attendance import ATTENDANCE
from partnercontact.client_side.cases.models import Client
from partnercontact.client_side.cases.status import ENDINGS
from partnercontact.client_side.consent import register
from partnercontact.client_side.consent import service as consent
from partnercontact.client_side.consent.forms import SCOPES, all_forms
from partnercontact.client_side.consent.models import Consent
from partnercontact.relay import handover

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

# --- clients ------------------------------------------------------------------------------------


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
    partner = fields.Integer(
        required=True,
        metadata={"description": "Which partner of the period: 1 for the first, 2 for the next"},
    )


class ClientOut(ClientSummaryOut):
    """Dumps a :class:`Client` shown with ``handovers``, the stamps of its hand-overs."""

    personal_id = fields.String(allow_none=True)
    phone = fields.String(required=True)
    episodes = fields.List(fields.Nested(EpisodeOut), required=True)
    handovers = fields.List(
        fields.Nested(HandoverStampOut),
        required=True,
        metadata={"description": "The hand-overs of the partner's details, oldest first"},
    )

    @pre_dump
    def _episodes_in_order(self, client: Client, **kwargs: Any) -> Shown:
        return Shown(client, episodes=sorted(client.episodes, key=lambda e: e.created_at))


class ClientIn(Schema):
    name = Text(required=True, max_length=200)
    personal_id = Text(load_default=None, allow_none=True, max_length=20)
    phone = Text(required=True, max_length=40)
    language = Text(required=True, max_length=8, metadata={"example": "sv"})
    opened_on = day("The first meeting, when not today (moving a caseload in)", allow_none=True)


# --- consents -----------------------------------------------------------------------------------


class ClientConsentOut(Schema):
    """Dumps a :class:`Consent`: its metadata, never the signed copy."""

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

    @pre_dump
    def _as_the_register_names_it(self, record: Consent, **kwargs: Any) -> Shown:
        destroyed_at = record.document_destroyed_at
        return Shown(
            record,
            state=register.state_of(record),
            scopes=[scope for scope in SCOPES if getattr(record, scope)],
            treatment_continues=record.treatment_continues if record.state == "refused" else None,
            signed_copy=register.document_of(record),
            signed_copy_destroyed_on=destroyed_at.date() if destroyed_at else None,
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


# --- the treatment episode and its sessions ----------------------------------------------------


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


# --- the hand-over ------------------------------------------------------------------------------


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
    partner = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "The number of the partner of the open treatment period whose "
            "details this corrects; needed once the period has more than one partner"
        },
    )
    new_partner = Boolean(
        load_default=False,
        metadata={"description": "The details are about a new partner of the client"},
    )
    follow = fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=1),
        metadata={
            "description": "The number of a partner of the client's previous treatment period "
            "whose partner case continues into the open one, instead of a new case"
        },
    )
