"""On the embedded defaults, as `scripts/serve` runs: every account sets up a TOTP second
factor, except the demo accounts in development mode (README, Quick start)."""

from __future__ import annotations

import pytest

from partnercontact.auth.service import create_user
from partnercontact.db import db
from partnercontact.runtime import current_runtime
from tests.factories import PASSWORD, Factory
from tests.helpers import submit


@pytest.fixture
def config_overrides() -> dict:
    return {}  # config/default.toml as it is


def test_a_non_demo_account_must_enrol_a_second_factor(client, factory: Factory) -> None:
    assert current_runtime().config.is_development
    account = factory.client_treater(second_factor=False)
    response = submit(
        client, "/login", {"username": account.username, "password": account.password}
    )
    assert response.headers["Location"].endswith("/login/enrol")
    assert client.get("/client/").status_code == 302


def test_a_demo_account_logs_in_with_a_password_in_development(client, factory: Factory) -> None:
    demo = create_user(
        None,
        factory.default_clinic,
        username="klient.demo",
        display_name="Demo Klient",
        role="client_treater",
        password=PASSWORD,
        is_demo=True,
    )
    db.session.commit()
    response = submit(client, "/login", {"username": demo.username, "password": PASSWORD})
    assert response.headers["Location"].endswith("/client/")
    assert client.get("/client/").status_code == 200
