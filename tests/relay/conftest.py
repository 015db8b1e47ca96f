"""The relay's tests use the partner side's handed-over case."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerCase
from partnercontact.partner_side.service import pick_up
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.partners.conftest import (
    HandedOver,
    handed_over,  # noqa: F401  (a fixture, used by name)
    handed_over_case,
)

# A consent that lets her be told nothing of his treatment: what crosses anyway is a
# consultation between the treaters.
NO_TELLING = ["contact_letter", "contact_phone", "contact_sms"]


@pytest.fixture
def held(factory: Factory, clock) -> HandedOver:
    """A partner case picked up by its treater past the first steps, under a consent that lets
    her be told nothing of his treatment. A module may define its own."""
    client_treater = factory.client_treater()
    case = handed_over_case(factory, clock, client_treater=client_treater, scopes=NO_TELLING)
    held = HandedOver(client_treater, factory.partner_treater(), case)
    pick_up(held.partner_treater.user, case.id)
    first_steps_taken(held.partner_treater.user, case.id, clock)
    db.session.commit()
    return held


def client_id_of(case: PartnerCase) -> uuid.UUID:
    """The client of a partner case, read in a transaction of its own (none left open while
    the pages write)."""
    client_id = db.session.scalar(
        select(TreatmentEpisode.client_id).where(TreatmentEpisode.id == case.episode_id)
    )
    assert client_id is not None
    db.session.rollback()
    return client_id
