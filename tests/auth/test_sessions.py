"""Server-side sessions: expiry, rotation and revocation."""

from __future__ import annotations

import secrets

from partnercontact.auth.sessions import COOKIE_NAME
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of

LANDING = "/client/"


def _cookie(client) -> str:
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    return cookie.value


def test_the_session_id_changes_at_login(client, factory: Factory, clock) -> None:
    account = factory.client_treater()
    client.get("/login")
    # Before the password, a visitor holds no session id at all (only a signed cookie with
    # the CSRF token); the password step makes one, for the step between password and code.
    assert client.get_cookie(COOKIE_NAME) is None
    response = submit(
        client, "/login", {"username": account.username, "password": account.password}
    )
    assert response.headers["Location"].endswith("/login/code")
    before = _cookie(client)
    submit(client, "/login/code", {"code": account.code(clock)})
    after = _cookie(client)
    assert before != after
    # The pre-login id is dead: a client holding it is not logged in.
    other = client.application.test_client()
    other.set_cookie(COOKIE_NAME, before)
    assert other.get(LANDING).status_code == 302


def test_a_forged_session_cookie_is_refused(client, factory: Factory, clock) -> None:
    client.set_cookie(COOKIE_NAME, secrets.token_urlsafe(32))
    response = client.get(LANDING)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_a_cookie_captured_before_logout_is_refused_after_it(app, factory: Factory, clock) -> None:
    account = factory.client_treater()
    client = app.test_client()
    log_in(client, account, clock)
    captured = _cookie(client)
    assert client.get(LANDING).status_code == 200
    response = submit(client, LANDING, {}, action="/logout")
    assert response.status_code == 302
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, captured)
    assert thief.get(LANDING).status_code == 302


def test_logout_ends_every_session_of_the_user(app, factory: Factory, clock) -> None:
    account = factory.client_treater()
    desk, laptop = app.test_client(), app.test_client()
    log_in(desk, account, clock)
    clock.advance(seconds=31)
    log_in(laptop, account, clock)
    submit(desk, LANDING, {}, action="/logout")
    assert laptop.get(LANDING).status_code == 302


def test_logout_is_not_possible_by_get(client, factory: Factory, clock) -> None:
    log_in(client, factory.client_treater(), clock)
    assert client.get("/logout").status_code == 405
    assert client.get(LANDING).status_code == 200


def test_an_idle_session_expires(client, factory: Factory, clock) -> None:
    log_in(client, factory.client_treater(), clock)
    clock.advance(minutes=14)
    assert client.get(LANDING).status_code == 200
    clock.advance(minutes=14)
    assert client.get(LANDING).status_code == 200
    clock.advance(minutes=16)
    response = client.get(LANDING)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_active_session_still_ends_at_its_absolute_lifetime(
    client, factory: Factory, clock
) -> None:
    log_in(client, factory.client_treater(), clock)
    for _ in range(59):  # active every 10 minutes for 9 h 50 min
        clock.advance(minutes=10)
        assert client.get(LANDING).status_code == 200
    clock.advance(minutes=11)
    assert client.get(LANDING).status_code == 302


def test_a_password_change_ends_every_session(app, factory: Factory, clock) -> None:
    account = factory.client_treater()
    desk, laptop = app.test_client(), app.test_client()
    log_in(desk, account, clock)
    clock.advance(seconds=31)
    log_in(laptop, account, clock)
    new = "a brand new passphrase"
    response = submit(
        desk,
        "/account/",
        {"current_password": account.password, "new_password": new, "repeat_password": new},
        action="/account/password",
    )
    assert response.status_code == 302
    assert desk.get(LANDING).status_code == 302
    assert laptop.get(LANDING).status_code == 302
    account.password = new
    clock.advance(seconds=31)
    log_in(desk, account, clock)
    assert desk.get(LANDING).status_code == 200


def test_a_wrong_current_password_changes_nothing_and_names_the_field(
    client, factory: Factory, clock
) -> None:
    account = factory.client_treater()
    log_in(client, account, clock)
    new = "a brand new passphrase"
    response = submit(
        client,
        "/account/",
        {"current_password": "not the password", "new_password": new, "repeat_password": new},
        action="/account/password",
    )
    assert response.status_code == 400
    assert "Nuvarande lösenord stämmer inte" in text_of(response)
    assert client.get(LANDING).status_code == 200


def test_disabling_an_account_ends_its_sessions(app, factory: Factory, clock) -> None:
    admin, treater = factory.admin(), factory.client_treater()
    admin_client, treater_client = app.test_client(), app.test_client()
    log_in(admin_client, admin, clock)
    log_in(treater_client, treater, clock)
    page = f"/admin/users/{treater.user.id}/disable"
    assert "Yes" in text_of(admin_client.get(page)) or "Ja" in text_of(admin_client.get(page))
    assert treater_client.get(LANDING).status_code == 200  # the confirmation changed nothing
    response = submit(admin_client, page, {})
    assert response.status_code == 302
    assert treater_client.get(LANDING).status_code == 302


def test_resetting_the_second_factor_ends_sessions_and_asks_for_enrolment(
    app, factory: Factory, clock
) -> None:
    admin, treater = factory.admin(), factory.client_treater()
    admin_client, treater_client = app.test_client(), app.test_client()
    log_in(admin_client, admin, clock)
    log_in(treater_client, treater, clock)
    submit(admin_client, f"/admin/users/{treater.user.id}/reset-second-factor", {})
    assert treater_client.get(LANDING).status_code == 302
    response = submit(
        treater_client, "/login", {"username": treater.username, "password": treater.password}
    )
    assert response.headers["Location"].endswith("/login/enrol")
