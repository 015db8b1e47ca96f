"""Personal API tokens: made on the account page and shown once, stored hashed, acting with
the owner's role, refused once revoked, expired, or when the owner's role or account changed."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.auth.models import ApiToken
from partnercontact.auth.service import disable_user
from partnercontact.db import db
from partnercontact.policy import Role
from tests.factories import Factory
from tests.helpers import api_token, csrf_token, log_in, submit, text_of

_SECRET = re.compile(r'value="(pc_[A-Za-z0-9_-]{43})"')


def _bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def test_a_token_made_on_the_account_page_is_shown_once_and_opens_the_api(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    browser = app.test_client()
    log_in(browser, treater, clock)
    response = submit(browser, "/account/tokens", {"label": "Journalkoppling", "days": "30"})
    assert response.status_code == 200
    secret = _SECRET.search(text_of(response)).group(1)
    # Only the hash is kept, and the list never shows the token again.
    stored = db.session.scalar(select(ApiToken))
    assert stored.token_hash != secret and secret not in stored.token_hash
    assert stored.expires_at == clock.now() + timedelta(days=30)
    listing = text_of(browser.get("/account/tokens"))
    assert "Journalkoppling" in listing and secret not in listing

    api = app.test_client()
    assert api.get("/api/v1/clients").status_code == 401
    answer = api.get("/api/v1/clients", headers=_bearer(secret))
    assert answer.status_code == 200 and answer.get_json() == []
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"auth.api_token_issued", "client.viewed"} <= actions


def test_bad_token_input_names_the_field_and_makes_nothing(
    app: Flask, factory: Factory, clock
) -> None:
    browser = app.test_client()
    log_in(browser, factory.client_treater(), clock)
    response = submit(browser, "/account/tokens", {"label": "Koppling", "days": "400"})
    assert response.status_code == 400
    assert 'id="days-error"' in text_of(response)
    response = submit(browser, "/account/tokens", {"label": "  ", "days": "30"})
    assert response.status_code == 400 and 'id="label-error"' in text_of(response)
    assert db.session.scalar(select(ApiToken)) is None


def test_a_revoked_token_stops_working_after_a_confirmation(
    app: Flask, factory: Factory, clock
) -> None:
    treater = factory.client_treater()
    secret = api_token(treater)
    token_id = db.session.scalar(select(ApiToken.id))
    browser = app.test_client()
    log_in(browser, treater, clock)
    confirmation = browser.get(f"/account/tokens/{token_id}/revoke")
    assert confirmation.status_code == 200 and "Testintegration" in text_of(confirmation)
    assert app.test_client().get("/api/v1/clients", headers=_bearer(secret)).status_code == 200
    token = csrf_token(browser, f"/account/tokens/{token_id}/revoke")
    response = browser.post(f"/account/tokens/{token_id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert app.test_client().get("/api/v1/clients", headers=_bearer(secret)).status_code == 401


def test_someone_elses_token_cannot_be_revoked_or_seen(app: Flask, factory: Factory, clock) -> None:
    api_token(factory.client_treater())
    token_id = db.session.scalar(select(ApiToken.id))
    browser = app.test_client()
    log_in(browser, factory.client_treater(), clock)
    assert browser.get(f"/account/tokens/{token_id}/revoke").status_code == 404
    assert "Testintegration" not in text_of(browser.get("/account/tokens"))


def test_a_token_dies_with_its_expiry_a_disabled_account_and_a_changed_role(
    app: Flask, factory: Factory, clock
) -> None:
    api = app.test_client()
    expiring, disabled, moved = (factory.client_treater() for _ in range(3))
    expiring_secret = api_token(expiring)
    disabled_secret, moved_secret = api_token(disabled), api_token(moved)
    for secret in (expiring_secret, disabled_secret, moved_secret):
        assert api.get("/api/v1/clients", headers=_bearer(secret)).status_code == 200

    disable_user(None, disabled.user)
    moved.user.role = Role.PARTNER_TREATER.value
    db.session.commit()
    clock.advance(days=91)
    for secret in (expiring_secret, disabled_secret, moved_secret):
        answer = api.get("/api/v1/clients", headers=_bearer(secret))
        assert answer.status_code == 401, secret
        assert answer.get_json()["status"] == 401


def test_the_api_ignores_the_browser_session(app: Flask, factory: Factory, clock) -> None:
    browser = app.test_client()
    log_in(browser, factory.client_treater(), clock)
    assert browser.get("/client/").status_code == 200
    assert browser.get("/api/v1/clients").status_code == 401
    for malformed in ("Bearer", "Bearer pc_short", "Basic dXNlcjpwYXNz", "pc_" + "a" * 43):
        headers = {"Authorization": malformed}
        assert app.test_client().get("/api/v1/clients", headers=headers).status_code == 401
