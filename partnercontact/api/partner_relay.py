"""What the relay brings the partner side: the events of the cases you hold with their task
"inform her if she wishes", what came of each, and the closing of the contact once the
client's treatment has ended. Nothing here writes to the client side."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user
from marshmallow import Schema, fields

from partnercontact.api.errors import DENIED, INVALID, NOT_FOUND, answers
from partnercontact.api.fields import choice, day
from partnercontact.api.partner_cases import (
    ClosingOut,
    RelayEventOut,
    blp,
    closing_out,
    relay_event_out,
)
from partnercontact.db import db
from partnercontact.partners import service as partners
from partnercontact.partners.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.relay import tasks
from partnercontact.relay.kinds import CLOSING_OUTCOMES, OUTCOMES


class InboxEventOut(RelayEventOut):
    case_id = fields.UUID(required=True)
    reference = fields.String(required=True)


class ClosingTaskOut(Schema):
    case_id = fields.UUID(required=True)
    reference = fields.String(required=True)
    closing_since = fields.Date(required=True)


class RelayInboxOut(Schema):
    events = fields.List(
        fields.Nested(InboxEventOut),
        required=True,
        metadata={"description": "The relayed events of your cases, oldest first"},
    )
    closing = fields.List(
        fields.Nested(ClosingTaskOut),
        required=True,
        metadata={
            "description": "Your cases whose client's treatment has ended: offer a closing "
            "session, then close the contact"
        },
    )


@blp.route("/relay-events", methods=["GET"])
@requires(Permission.PARTNER_SIDE_VIEW)
@blp.response(200, RelayInboxOut)
@answers(blp, DENIED)
def relay_inbox() -> dict[str, object]:
    """The relay inbox: what reached you from the client side on the cases you hold."""
    events = []
    closing = []
    held = partners.held_cases(current_user).order_by(PartnerCase.created_at)
    for partner_case in db.session.scalars(held):
        reference = partners.reference_of(partner_case)
        for event in tasks.relayed_events(current_user, partner_case):
            events.append(
                relay_event_out(event) | {"case_id": partner_case.id, "reference": reference}
            )
        if tasks.closing_open(partner_case):
            closing.append(
                {
                    "case_id": partner_case.id,
                    "reference": reference,
                    "closing_since": partner_case.closing_since,
                }
            )
    events.sort(key=lambda event: event["occurred_on"])  # type: ignore[arg-type, return-value]
    db.session.commit()  # the audit entries of the reads
    return {"events": events, "closing": closing}


class RelayOutcomeIn(Schema):
    outcome = choice(OUTCOMES, "What came of the event")
    outcome_on = day("The date, not before the event")


class RelayOutcomeRecordedOut(Schema):
    event_id = fields.UUID(required=True)
    outcome = fields.String(required=True)
    outcome_on = fields.Date(required=True)
    recorded_at = fields.DateTime(required=True)


@blp.route("/<uuid:case_id>/relay-events/<uuid:event_id>/outcomes", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(RelayOutcomeIn)
@blp.response(201, RelayOutcomeRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_relay_outcome(
    body: dict[str, Any], case_id: uuid.UUID, event_id: uuid.UUID
) -> dict[str, object]:
    """Record what came of a relayed event.

    She was informed (and how), did not want to be told, or could not be reached. A later
    outcome is added, never replaces one."""
    row = tasks.record_outcome(
        current_user,
        case_id,
        event_id,
        outcome=body["outcome"] or "",
        outcome_on=body["outcome_on"],
    )
    answer = {
        "event_id": row.event_id,
        "outcome": row.outcome,
        "outcome_on": row.outcome_on,
        "recorded_at": row.recorded_at,
    }
    db.session.commit()
    return answer


class ClosingIn(Schema):
    outcome = choice(CLOSING_OUTCOMES, "How the closing went")
    closed_on = day("The date the contact closed, not before the treatment ended")


@blp.route("/<uuid:case_id>/closing", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(ClosingIn)
@blp.response(200, ClosingOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def close_contact(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """Close the contact after the client's treatment ended."""
    partner_case = tasks.record_closing(
        current_user, case_id, outcome=body["outcome"] or "", closed_on=body["closed_on"]
    )
    answer = closing_out(partner_case)
    db.session.commit()
    return answer


class OwnTreatmentIn(Schema):
    since = day("The date her own treatment started")


@blp.route("/<uuid:case_id>/own-treatment", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@blp.arguments(OwnTreatmentIn)
@blp.response(200, ClosingOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_own_treatment(body: dict[str, Any], case_id: uuid.UUID) -> dict[str, object]:
    """She started treatment of her own with the clinic: it continues after his ends."""
    partner_case = tasks.record_own_treatment(current_user, case_id, since=body["since"])
    answer = closing_out(partner_case)
    db.session.commit()
    return answer
