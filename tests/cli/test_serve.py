"""`partnercontact serve` as an operator runs it: its request log never carries a credential."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

from gunicorn.config import Config
from sqlalchemy import select

from partnercontact.app import create_app
from partnercontact.auth.models import User
from partnercontact.config import load_config
from partnercontact.db import db
from partnercontact.partner_side.scheduling import feeds
from partnercontact.serving import MaskedGunicornLogger


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310  (our server)
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def _wait_until_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise AssertionError("the server did not start:\n" + log.read_text())


def _feed_secret(env: dict[str, str]) -> str:
    """A new feed of the demo partner-contact treater, made in the served instance."""
    app = create_app(load_config(environ=env))
    with app.app_context():
        owner = db.session.scalar(select(User).where(User.username == "partner.demo"))
        assert owner is not None
        secret = feeds.create_feed(owner).secret
        db.session.commit()
        db.engine.dispose()
    return secret


def test_the_request_log_masks_a_feed_address_and_secret_query_values(tmp_path: Path) -> None:
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")},
        "PARTNERCONTACT_INSTANCE_PATH": str(tmp_path / "instance"),
        "PARTNERCONTACT_SERVER__PORT": str(port),
        "PARTNERCONTACT_WORKER__EMBEDDED": "false",
        "PARTNERCONTACT_AUTH__HASHING_COST": "fast",
        "PYTHONUNBUFFERED": "1",
    }
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "partnercontact.cli", "serve"],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_listening(port, process, log)
        secret = _feed_secret(env)
        base = f"http://127.0.0.1:{port}"
        assert _get(f"{base}/calendar/feed/{secret}.ics") == 200
        # A calendar program that mangles the address still sends the secret.
        assert _get(f"{base}/calendar/feed/{secret}") == 404
        assert _get(f"{base}/login?next=/calendar&token=tok-{secret}&code=123456") == 200
        time.sleep(0.5)  # the request line is written once the answer is sent
    finally:
        process.terminate()
        process.wait(timeout=20)
    written = re.sub(r"\x1b\[[0-9;]*m", "", log.read_text())  # werkzeug's colours
    assert '"GET /calendar/feed/***.ics HTTP/1.1" 200' in written, written
    assert '"GET /calendar/feed/*** HTTP/1.1" 404' in written, written
    assert "/login?next=/calendar&token=***&code=*** HTTP/1.1" in written, written
    assert secret not in written
    assert "123456" not in written


def test_gunicorns_access_log_masks_credentials_with_the_logger_class(tmp_path: Path) -> None:
    """For an installation that turns gunicorn's access log on (the example does not)."""
    access_log = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(access_log))
    config.set(
        "access_log_format",
        '"%(r)s" %(U)s %(q)s %({authorization}i)s %({cookie}i)s %({raw_uri}e)s %(s)s',
    )
    logger = MaskedGunicornLogger(config)
    secret = "s3cretFeedAddress-0123456789abcdefghijklmnopq"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/calendar/feed/{secret}.ics?token=t0ken",
        "PATH_INFO": f"/calendar/feed/{secret}.ics",
        "QUERY_STRING": "token=t0ken",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    request = SimpleNamespace(
        headers=[("AUTHORIZATION", "Bearer pc_apitoken"), ("COOKIE", "pc_session=cookie")]
    )
    response = SimpleNamespace(status="200 OK", headers=[], sent=12)
    logger.access(response, request, environ, timedelta(milliseconds=5))
    written = access_log.read_text()
    assert '"GET /calendar/feed/***.ics?token=*** HTTP/1.1" /calendar/feed/***.ics' in written
    for never in (secret, "t0ken", "pc_apitoken", "cookie"):
        assert never not in written, never
