"""Security headers are on every response, the error pages included."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from partnercontact.policy import public

REQUIRED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}


def _assert_headers(response) -> None:
    for name, value in REQUIRED.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_headers_on_a_page(client) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    _assert_headers(response)
    assert "Strict-Transport-Security" not in response.headers


def test_headers_on_a_404(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    _assert_headers(response)
    assert "finns inte" in response.get_data(as_text=True)


def test_headers_on_a_500_without_leaking_the_error(app: Flask, client) -> None:
    @public
    def explode() -> str:
        raise RuntimeError("Anna Andersson, Storgatan 1")

    app.add_url_rule("/explode", "explode", explode)
    response = client.get("/explode")
    assert response.status_code == 500
    _assert_headers(response)
    body = response.get_data(as_text=True)
    assert "Storgatan" not in body and "Traceback" not in body


def test_healthz_reports_the_database(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "reachable"}
    _assert_headers(response)


@pytest.mark.parametrize(
    "config_overrides", [{"auth": {"second_factor": "required"}, "server": {"tls": True}}]
)
def test_hsts_and_secure_cookie_when_served_over_tls(client) -> None:
    response = client.get("/login", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie


@pytest.mark.parametrize(
    "config_overrides", [{"auth": {"second_factor": "required"}, "server": {"tls": True}}]
)
def test_a_form_posts_over_tls_although_browsers_send_no_referrer(client, factory, clock) -> None:
    """Browsers follow our no-referrer policy: a form over HTTPS carries no Referer header."""
    account = factory.client_treater()
    page = client.get("/login", base_url="https://localhost")
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    response = client.post(
        "/login",
        base_url="https://localhost",
        data={
            "csrf_token": token.group(1),
            "username": account.username,
            "password": account.password,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login/code")
