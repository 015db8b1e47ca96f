"""Two clinics, three cases, every role: the world the wall tests look at.

Case ``own`` belongs to the client treater and partner treater the tests log in as; case
``colleague`` is another pair's in the same clinic; case ``foreign`` is in another clinic.
Every case has a registered client, a signed consent and a picked-up hand-over.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.models import Consent
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import pick_up
from partnercontact.policy import Role
from partnercontact.relay.handover import PartnerDetails, hand_over
from tests.cases_built import client_of, signed_consent_of
from tests.factories import Account, Factory


@dataclass
class Case:
    client_id: uuid.UUID
    consent_id: uuid.UUID
    case_id: uuid.UUID

    @property
    def url_values(self) -> dict[str, uuid.UUID]:
        return {"client_id": self.client_id, "consent_id": self.consent_id, "case_id": self.case_id}


@dataclass
class World:
    accounts: dict[Role, Account]  # the logged-in user of each role, in the first clinic
    own: Case
    colleague: Case
    foreign: Case

    @property
    def missing(self) -> Case:
        """Ids of records that do not exist."""
        return Case(uuid.uuid4(), uuid.uuid4(), uuid.uuid4())


def _case(factory: Factory, clock, client_treater: Account, partner_treater: Account, name: str):
    client_id = client_of(client_treater.user, name=name)
    consent = signed_consent_of(client_treater.user, client_id, clock)
    hand_over(
        client_treater.user,
        client_id,
        PartnerDetails(
            name=f"Partner till {name}",
            phone="0705550000",
            address="Vägen 1, Lindvik",
            relation="current",
            children_in_common="no",
            protected_identity=False,
        ),
    )
    db.session.commit()
    partner_case = db.session.scalar(
        select(PartnerCase)
        .join(TreatmentEpisode, TreatmentEpisode.id == PartnerCase.episode_id)
        .where(TreatmentEpisode.client_id == client_id)
    )
    pick_up(partner_treater.user, partner_case.id)
    db.session.commit()
    assert db.session.get(Consent, consent.id) is not None
    return Case(client_id, consent.id, partner_case.id)


def build_world(factory: Factory, clock) -> World:
    accounts = {role: factory.account(role) for role in Role}
    own = _case(
        factory, clock, accounts[Role.CLIENT_TREATER], accounts[Role.PARTNER_TREATER], "Egen Klient"
    )
    colleague = _case(
        factory, clock, factory.client_treater(), factory.partner_treater(), "Kollegans Klient"
    )
    elsewhere = factory.clinic()
    foreign = _case(
        factory,
        clock,
        factory.client_treater(clinic=elsewhere),
        factory.partner_treater(clinic=elsewhere),
        "Annan Mottagning",
    )
    return World(accounts, own, colleague, foreign)
