"""The staffing tests' world: a handed-over case its first holder works, a colleague to move
it to, the client's treater and a manager."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.db import db
from partnercontact.partner_side import clinical
from partnercontact.partner_side.scheduling.sessions import book_session, sessions_of
from tests.cases_built import accepted_contact
from tests.factories import Factory
from tests.partners.conftest import handed_over, handed_over_case  # noqa: F401  (a fixture, used by name)
from tests.ratings import rated
from tests.relay.conftest import client_id_of

SCOPES = ["contact_letter", "contact_phone", "contact_sms", "tell_in_treatment"]


class World:
    def __init__(self, factory: Factory, clock, *, protected: bool = False) -> None:
        self.clock = clock
        self.client_treater = factory.client_treater()
        self.old = factory.partner_treater()
        self.new = factory.partner_treater()
        self.manager = factory.manager()
        self.case = handed_over_case(
            factory, clock, client_treater=self.client_treater, scopes=SCOPES, protected=protected
        )
        self.client_id = client_id_of(self.case)


@pytest.fixture
def world(factory: Factory, clock) -> World:
    """A case its first holder works: accepted, a session booked, treatment started (a relay
    task waits), and a high risk result (an urgent task waits)."""
    world = World(factory, clock)
    holder, case_id, today = world.old.user, world.case.id, clock.now().date()
    accepted_contact(holder, case_id, clock)
    session = sessions_of(holder, world.case)[0]
    book_session(
        holder, case_id, session.id, day=today + timedelta(days=7), at=time(10), minutes=60,
        channel="meeting",
    )  # fmt: skip
    start_treatment(world.client_treater.user, world.client_id, started_on=today)
    clinical.record_risk_assessment(
        holder, case_id, instrument="sara", ratings=rated("sara", "present"),
        assessed_on=today, level="high", next_review_on=today + timedelta(days=3), notes=None,
    )  # fmt: skip
    db.session.commit()
    return world
