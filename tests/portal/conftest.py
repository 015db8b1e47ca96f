"""Her portal under test: its own app, on the same database, keys and clock as the staff app
of the test (the ``app`` fixture, whose context stays pushed for the test's own queries)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from partnercontact.db import db
from partnercontact.portal.app import create_portal_app
from partnercontact.runtime import EXTENSION_KEY
from tests.cases_built import first_steps_taken
from tests.factories import Factory
from tests.messaging.sending import Held, held_for_sms


@pytest.fixture
def portal_app(app: Flask) -> Flask:
    runtime = app.extensions[EXTENSION_KEY]
    return create_portal_app(runtime.config, clock=runtime.clock, keyring=runtime.keyring)


@pytest.fixture
def her(portal_app: Flask) -> FlaskClient:
    return portal_app.test_client()


@pytest.fixture
def held(factory: Factory, clock) -> Held:
    """A case her treater holds, every safety step taken, with a number to text: ready for
    her portal."""
    held = held_for_sms(factory, clock)
    first_steps_taken(held.holder.user, held.case.id, clock)
    db.session.commit()
    return held
