"""Anonymous visitors: their CSRF token and language live in a signed cookie, not in the
database, until they log in; and under TLS every session cookie is a ``__Host-`` cookie."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from partnercontact.auth.models import WebSession
from partnercontact.auth.sessions import ANONYMOUS_COOKIE_NAME, COOKIE_NAME
from partnercontact.db import db
from tests.factories import Factory
from tests.helpers import csrf_token, log_in, submit, text_of

LANDING = "/client/"
EXPIRED = "Formuläret hade gått ut eller skickades inte från den här webbplatsen"
TLS = {"auth": {"second_factor": "required"}, "server": {"tls": True}}


def _rows() -> int:
    db.session.rollback()  # a fresh look at what other connections committed
    return db.session.scalar(select(func.count()).select_from(WebSession)) or 0


def _switch_language(client: FlaskClient, locale: str, back_to: str = "/login") -> TestResponse:
    return submit(client, back_to, {"locale": locale, "next": back_to}, action="/language")


def _set_cookies(response: TestResponse) -> dict[str, str]:
    """The Set-Cookie headers of ``response``, by cookie name."""
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def test_anonymous_page_views_write_no_session_row(client: FlaskClient, factory: Factory) -> None:
    account = factory.client_treater()
    for round_ in range(5):
        assert client.get("/login").status_code == 200
        assert client.get(f"/no-such-page-{round_}").status_code == 404
        assert _switch_language(client, "en" if round_ % 2 else "sv").status_code == 302
        # submit() fetched the login page once more: 20 anonymous page views in all.
    assert _rows() == 0
    assert client.get_cookie(ANONYMOUS_COOKIE_NAME) is not None
    assert client.get_cookie(COOKIE_NAME) is None
    # A visitor who never came before writes nothing either.
    for _ in range(5):
        assert client.application.test_client().get("/login").status_code == 200
    assert _rows() == 0
    # The language chosen last (Swedish) holds, and the CSRF token in the cookie still works.
    response = submit(client, "/login", {"username": account.username, "password": "x" * 12})
    assert response.status_code == 401 and "Inloggningen misslyckades" in text_of(response)
    assert _rows() == 0


def test_a_login_makes_exactly_one_row_and_drops_the_anonymous_cookie(
    client: FlaskClient, factory: Factory, clock
) -> None:
    account = factory.client_treater()
    client.get("/login")
    _switch_language(client, "en")
    assert "Username" in text_of(client.get("/login"))
    log_in(client, account, clock)
    assert _rows() == 1
    assert client.get_cookie(COOKIE_NAME) is not None
    assert client.get_cookie(ANONYMOUS_COOKIE_NAME) is None
    page = client.get(LANDING)
    assert page.status_code == 200
    # The language chosen before logging in came along into the session.
    assert 'lang="en"' in text_of(page)
    assert _rows() == 1


def test_logout_clears_both_cookies(client: FlaskClient, factory: Factory, clock) -> None:
    account = factory.client_treater()
    log_in(client, account, clock)
    # An anonymous cookie a browser kept from before, sent along after logging in.
    other = client.application.test_client()
    other.get("/login")
    stale = other.get_cookie(ANONYMOUS_COOKIE_NAME)
    assert stale is not None
    client.set_cookie(ANONYMOUS_COOKIE_NAME, stale.value)
    response = submit(client, LANDING, {}, action="/logout")
    assert response.status_code == 302
    cleared = _set_cookies(response)
    assert {COOKIE_NAME, ANONYMOUS_COOKIE_NAME} <= set(cleared)
    assert all("Expires=Thu, 01 Jan 1970" in header for header in cleared.values())
    assert client.get_cookie(COOKIE_NAME) is None
    assert client.get_cookie(ANONYMOUS_COOKIE_NAME) is None
    assert _rows() == 0


def test_an_expired_anonymous_cookie_fails_csrf_with_the_ordinary_answer(
    client: FlaskClient, factory: Factory, clock
) -> None:
    account = factory.client_treater()
    token = csrf_token(client, "/login")
    clock.advance(hours=2, minutes=1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": account.username, "password": account.password},
    )
    assert response.status_code == 400
    assert EXPIRED in text_of(response)
    assert _rows() == 0
    # A fresh form works again.
    log_in(client, account, clock)
    assert client.get(LANDING).status_code == 200


def test_a_form_an_hour_old_still_works_and_a_language_chosen_is_kept_while_visiting(
    client: FlaskClient, factory: Factory, clock
) -> None:
    account = factory.client_treater()
    _switch_language(client, "en")
    for _ in range(4):  # a visitor who comes back every 50 minutes keeps her language
        clock.advance(minutes=50)
        assert "Username" in text_of(client.get("/login"))
    token = csrf_token(client, "/login")
    clock.advance(hours=1)
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": account.username, "password": account.password},
    )
    assert response.status_code == 302


def test_a_forged_anonymous_cookie_is_ignored(client: FlaskClient, factory: Factory) -> None:
    account = factory.client_treater()
    token = csrf_token(client, "/login")
    forged = client.get_cookie(ANONYMOUS_COOKIE_NAME)
    assert forged is not None
    client.set_cookie(ANONYMOUS_COOKIE_NAME, forged.value[:-2] + "xx")
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": account.username, "password": account.password},
    )
    assert response.status_code == 400 and EXPIRED in text_of(response)


def test_without_tls_the_cookies_keep_their_plain_names(
    client: FlaskClient, factory: Factory, clock
) -> None:
    anonymous = _set_cookies(client.get("/login"))
    assert set(anonymous) == {ANONYMOUS_COOKIE_NAME}
    assert "Secure" not in anonymous[ANONYMOUS_COOKIE_NAME]
    response = log_in(client, factory.client_treater(), clock)
    assert COOKIE_NAME in _set_cookies(response)
    assert "Secure" not in _set_cookies(response)[COOKIE_NAME]
    assert not [c for c in _set_cookies(response) if c.startswith("__Host-")]


@pytest.mark.parametrize("config_overrides", [TLS], ids=["tls"])
def test_under_tls_every_session_cookie_is_a_host_cookie(
    app: Flask, factory: Factory, clock
) -> None:
    client = app.test_client()
    account = factory.client_treater()
    first = _set_cookies(client.get("/login"))
    assert set(first) == {f"__Host-{ANONYMOUS_COOKIE_NAME}"}
    logged_in = log_in(client, account, clock)
    cookies = _set_cookies(logged_in)
    assert f"__Host-{COOKIE_NAME}" in cookies
    for header in [*first.values(), *cookies.values()]:
        attributes = [part.strip().lower() for part in header.split(";")[1:]]
        # What a browser demands of a __Host- cookie: Secure, Path=/ and no Domain.
        assert "secure" in attributes and "path=/" in attributes, header
        assert not [a for a in attributes if a.startswith("domain")], header
    assert client.get(LANDING).status_code == 200
    assert client.get_cookie(COOKIE_NAME) is None  # no plain-named cookie anywhere
    assert client.get_cookie(ANONYMOUS_COOKIE_NAME) is None
    assert _rows() == 1
    response = submit(client, LANDING, {}, action="/logout")
    assert set(_set_cookies(response)) == {
        f"__Host-{COOKIE_NAME}",
        f"__Host-{ANONYMOUS_COOKIE_NAME}",
    }
    assert client.get(LANDING).status_code == 302
