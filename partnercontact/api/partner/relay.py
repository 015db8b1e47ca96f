"""What the relay brings the partner side: the events of the cases you hold with their task
"inform her if she wishes", what came of each, and the closing of the contact once the
client's treatment has ended. Nothing here writes to the client side."""

from __future__ import annotations

import uuid
from typing import Any

from flask_login import current_user

from partnercontact.api.errors import DENIED, INVALID, NOT_FOUND, answers
from partnercontact.api.output import Shown, commits
from partnercontact.api.partner import blp
from partnercontact.api.partner.schemas import (
    ClosingIn,
    ClosingOut,
    OwnTreatmentIn,
    RelayInboxOut,
    RelayOutcomeIn,
    RelayOutcomeRecordedOut,
)
from partnercontact.db import db
from partnercontact.partner_side import relay_inbox as tasks
from partnercontact.partner_side import service as partners
from partnercontact.partner_side.models import PartnerCase
from partnercontact.policy import Permission, requires
from partnercontact.relay.models import RelayOutcome


@blp.route("/relay-events", methods=["GET"])
@requires(Permission.PARTNER_SIDE_VIEW)
@commits
@blp.response(200, RelayInboxOut)
@answers(blp, DENIED)
def relay_inbox() -> Shown:
    """The relay inbox: what reached you from the client side on the cases you hold."""
    events = []
    closing = []
    held = partners.held_cases(current_user).order_by(PartnerCase.created_at)
    for partner_case in db.session.scalars(held):
        reference = partners.reference_of(partner_case)
        for event in tasks.relayed_events(current_user, partner_case):
            events.append(Shown(event, case_id=partner_case.id, reference=reference))
        if tasks.closing_open(partner_case):
            closing.append(partner_case)
    events.sort(key=lambda event: event.occurred_on)
    return Shown(events=events, closing=closing)


@blp.route("/<uuid:case_id>/relay-events/<uuid:event_id>/outcomes", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(RelayOutcomeIn)
@blp.response(201, RelayOutcomeRecordedOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_relay_outcome(
    body: dict[str, Any], case_id: uuid.UUID, event_id: uuid.UUID
) -> RelayOutcome:
    """Record what came of a relayed event.

    She was informed (and how), did not want to be told, or could not be reached. A later
    outcome is added, never replaces one."""
    return tasks.record_outcome(
        current_user,
        case_id,
        event_id,
        outcome=body["outcome"] or "",
        outcome_on=body["outcome_on"],
    )


@blp.route("/<uuid:case_id>/closing", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(ClosingIn)
@blp.response(200, ClosingOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def close_contact(body: dict[str, Any], case_id: uuid.UUID) -> PartnerCase:
    """Close the contact after the client's treatment ended."""
    return tasks.record_closing(
        current_user, case_id, outcome=body["outcome"] or "", closed_on=body["closed_on"]
    )


@blp.route("/<uuid:case_id>/own-treatment", methods=["POST"])
@requires(Permission.PARTNER_CASES_WORK)
@commits
@blp.arguments(OwnTreatmentIn)
@blp.response(200, ClosingOut)
@answers(blp, 400, NOT_FOUND, INVALID)
def record_own_treatment(body: dict[str, Any], case_id: uuid.UUID) -> PartnerCase:
    """She started treatment of her own with the clinic: it continues after his ends."""
    return tasks.record_own_treatment(current_user, case_id, since=body["since"])
