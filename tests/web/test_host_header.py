"""Absolute addresses come from ``server.public_url``, never from the request's Host header.

Whoever sends a request chooses its Host (and X-Forwarded-Host). Every page a partner-contact
treater and a manager can reach is read here with a hostile name in both headers; the name
must appear nowhere, neither in a body nor in a header, and the calendar address that is
shown once is the configured one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.datastructures import Headers
from werkzeug.test import TestResponse

from partnercontact.policy import Role
from tests.conftest import IsolatedClient
from tests.factories import Factory
from tests.helpers import log_in, submit, text_of
from tests.web.canary import build_canary_world, reachable

EVIL = "evil.example"
PUBLIC_URL = "https://partnercontact.example.org"
PACKAGE = Path(__file__).resolve().parents[2] / "partnercontact"


class HostileClient(IsolatedClient):
    """A browser, or a script, that names another host in every request. The cookies stay
    the test client's own (they are matched by the address the client opens)."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        headers = Headers(kwargs.pop("headers", None) or {})
        headers["Host"] = EVIL
        headers["X-Forwarded-Host"] = EVIL
        headers["X-Forwarded-Proto"] = "http"
        return super().open(*args, headers=headers, **kwargs)


@pytest.fixture
def config_overrides() -> dict:
    return {"auth": {"second_factor": "required"}, "server": {"public_url": PUBLIC_URL}}


@pytest.fixture
def hostile(app: Flask) -> Flask:
    app.test_client_class = HostileClient
    return app


def _mentions(response: TestResponse) -> bool:
    return EVIL.encode() in response.get_data() + str(response.headers).encode()


@pytest.mark.parametrize("role", [Role.PARTNER_TREATER, Role.MANAGER], ids=lambda r: r.value)
def test_no_page_a_role_reaches_names_the_host_it_was_asked_for(
    hostile: Flask, factory: Factory, clock, role: Role
) -> None:
    world = build_canary_world(factory, clock)
    pages = reachable(hostile, world, role, clock)
    assert len(pages) > 20  # the crawl got somewhere
    assert [url for url, body in pages.items() if EVIL.encode() in body] == []


def test_the_calendar_address_is_the_configured_one(hostile: Flask, factory: Factory, clock):
    account = factory.partner_treater()
    client = hostile.test_client()
    log_in(client, account, clock)
    response = submit(client, "/calendar/feed", {}, "/calendar/feed/new")
    assert response.status_code == 200
    assert not _mentions(response)
    shown = re.search(r'id="feed-url">([^<]+)<', text_of(response))
    assert shown and shown.group(1).startswith(f"{PUBLIC_URL}/calendar/feed/")


def test_pages_without_a_login_do_not_name_the_host_either(hostile: Flask) -> None:
    client = hostile.test_client()
    for url in ("/", "/login", "/login/code", "/partner/", "/no-such-page", "/healthz"):
        response = client.get(url)
        assert response.status_code < 500 and not _mentions(response), url


def test_no_absolute_address_is_built_from_the_request() -> None:
    """The ways Flask and Werkzeug build an address from the request's host, nowhere in the
    package: partnercontact.web.addresses builds them from the configuration instead."""
    forbidden = re.compile(r"_external\s*=\s*True|url_root|host_url|request\.host\b")
    found = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted(PACKAGE.rglob("*"))
        if path.suffix in (".py", ".html")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if forbidden.search(line)
    ]
    assert found == []
