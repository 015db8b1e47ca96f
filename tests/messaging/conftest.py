"""Fixtures for talking to Twilio without Twilio: a fake Twilio API and the app served over
real HTTP, so the fake can post signed webhooks back to it.

A module that sends through Twilio overrides ``config_overrides`` with
``twilio_config_overrides``::

    @pytest.fixture
    def config_overrides(twilio_config_overrides: dict) -> dict:
        return twilio_config_overrides

and takes ``served_app`` (instead of, or besides, ``app``) when the fake must reach the app.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from partnercontact.clock import FixedClock
from tests.fakes.twilio import FakeTwilio

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-twilio-auth-token-0123456789"
MESSAGING_SERVICE_SID = "MG" + "fedcba9876543210" * 2
# The client's timeout: the fake's SLOW fault waits longer than this.
TIMEOUT_SECONDS = 1


class LiveServer:
    """The app over HTTP on 127.0.0.1. It listens before the app exists (its address goes
    into the app's configuration as ``public_url``); :meth:`serve` hands it the app."""

    def __init__(self) -> None:
        self._app: Flask | None = None
        self._server: BaseWSGIServer = make_server("127.0.0.1", 0, self._wsgi, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def _wsgi(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self._app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"the app is not served yet\n"]
        return self._app(environ, start_response)

    def start(self) -> None:
        self._thread.start()

    def serve(self, app: Flask | None) -> None:
        self._app = app

    def stop(self) -> None:
        self._app = None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def live_server() -> Iterator[LiveServer]:
    server = LiveServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_twilio(clock: FixedClock) -> Iterator[FakeTwilio]:
    """The fake Twilio, on its own port, stamping messages with the test's clock."""
    fake = FakeTwilio(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, now=clock.now)
    fake.slow_seconds = TIMEOUT_SECONDS + 1.5
    fake.start()
    yield fake
    fake.stop()


def twilio_settings(fake: FakeTwilio, public_url: str, **changes: object) -> dict[str, object]:
    """``messaging.twilio`` settings pointing at ``fake``; ``changes`` override them (e.g.
    ``messaging_service_sid="", from_number="+46700000009"``)."""
    return {
        "account_sid": fake.account_sid,
        "auth_token": fake.auth_token,
        "messaging_service_sid": MESSAGING_SERVICE_SID,
        "from_number": "",
        "public_url": public_url,
        "api_base_url": fake.url,
        "timeout_seconds": TIMEOUT_SECONDS,
        **changes,
    }


@pytest.fixture
def twilio_config_overrides(fake_twilio: FakeTwilio, live_server: LiveServer) -> dict:
    """Configuration for the ``app`` fixture: the Twilio transport, talking to the fake, with
    the live server's address as the public URL."""
    return {
        "auth": {"second_factor": "required"},
        "messaging": {
            "sms_transport": "twilio",
            "twilio": twilio_settings(fake_twilio, live_server.url),
        },
    }


@pytest.fixture
def served_app(app: Flask, live_server: LiveServer) -> Iterator[Flask]:
    """The test's ``app``, reachable over HTTP at ``live_server.url``. Requests there run in
    the server's threads with their own database sessions: commit before the fake posts, and
    roll back (or commit) before reading what a request wrote."""
    live_server.serve(app)
    yield app
    live_server.serve(None)
