"""A handed-over case, ready for the partner side."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.relay.handover import PartnerDetails, hand_over
from tests.cases_built import client_of, signed_consent_of
from tests.factories import Account, Factory


@dataclass
class HandedOver:
    client_treater: Account
    partner_treater: Account
    case: PartnerCase


def handed_over_case(
    factory: Factory,
    clock,
    *,
    client_treater: Account | None = None,
    protected: bool = False,
    name: str = "Maja Påhittad",
    phone: str = "070-765 43 21",
    address: str | None = "Storgatan 1, 123 45 Lindvik",
    scopes: list[str] | None = None,
) -> PartnerCase:
    """``scopes``: the client's consent's, when not the usual letter, text and notice."""
    treater = client_treater or factory.client_treater()
    client_id = client_of(treater.user)
    signed_consent_of(treater.user, client_id, clock, **({"scopes": scopes} if scopes else {}))
    hand_over(
        treater.user,
        client_id,
        PartnerDetails(
            name=name,
            phone=phone,
            address=address,
            relation="former",
            children_in_common="yes",
            protected_identity=protected,
        ),
    )
    db.session.commit()
    return db.session.scalar(
        select(PartnerCase)
        .join(TreatmentEpisode, TreatmentEpisode.id == PartnerCase.episode_id)
        .where(TreatmentEpisode.client_id == client_id)
    )


@pytest.fixture
def handed_over(factory: Factory, clock) -> HandedOver:
    client_treater = factory.client_treater()
    partner_case = handed_over_case(factory, clock, client_treater=client_treater)
    return HandedOver(client_treater, factory.partner_treater(), partner_case)
