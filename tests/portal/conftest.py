"""Her portal under test: its own app, on the same database, keys and clock as the staff app
of the test (the ``app`` fixture, whose context stays pushed for the test's own queries)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from partnercontact.portal.app import create_portal_app
from partnercontact.runtime import EXTENSION_KEY


@pytest.fixture
def portal_app(app: Flask) -> Flask:
    runtime = app.extensions[EXTENSION_KEY]
    return create_portal_app(runtime.config, clock=runtime.clock, keyring=runtime.keyring)


@pytest.fixture
def her(portal_app: Flask) -> FlaskClient:
    return portal_app.test_client()
