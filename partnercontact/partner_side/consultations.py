"""The partner-contact treater and consultation requests: asking the client's treater for a
talk, recording one as held, and seeing those of a case.

Only the treater who holds the case does any of it (:func:`held_case_for`). A request from
here is allowed whatever her answer, and carries nothing but a reason from a list that says
nothing of her: it is the one thing that crosses to the client side (docs/domain.md,
"Consultations"), and it must read the same whether she was reached, accepted or declined.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import held_case_for, lock_case, not_on_case
from partnercontact.relay import consultations
from partnercontact.relay.consultations import ConsultationEntry
from partnercontact.relay.kinds import PARTNER_SIDE
from partnercontact.relay.models import Consultation

if TYPE_CHECKING:
    from partnercontact.auth.models import User


def ask_client_side(actor: User, case_id: uuid.UUID, *, reason: str | None) -> Consultation:
    """Ask the client's treater for a talk about the case."""
    partner_case = held_case_for(actor, case_id, audited=False)
    # Two requests sent at once must not both pass the check for an open one.
    lock_case(partner_case)
    return consultations.ask(actor, partner_case.episode_id, PARTNER_SIDE, reason)


def record_talk_held(
    actor: User, case_id: uuid.UUID, consultation_id: uuid.UUID, *, held_on: date | None
) -> Consultation:
    partner_case = held_case_for(actor, case_id, audited=False)
    return consultations.record_held(
        actor, partner_case.episode_id, consultation_id, held_on, missing=not_on_case()
    )


def consultations_of_case(actor: User, partner_case: PartnerCase) -> list[ConsultationEntry]:
    """The requests on the case, both ways, open ones first. For a page that has loaded (and
    audited) the case through the partner services."""
    return consultations.entries_of([partner_case.episode_id])


def consultation_of_case(
    actor: User, case_id: uuid.UUID, consultation_id: uuid.UUID
) -> ConsultationEntry:
    partner_case = held_case_for(actor, case_id, audited=False)
    for entry in consultations_of_case(actor, partner_case):
        if entry.id == consultation_id:
            return entry
    raise not_on_case()
