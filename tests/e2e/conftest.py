"""Browser tests: Debian's Chromium, driven by Playwright, against a real server process.

Screenshots go to ``test-output/screenshots/`` so a person can look at what was tested.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.axe import AxeWatch

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = PROJECT_ROOT / "test-output" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
# Without these, Chromium keeps trying to reach Google's services from a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEMO_LINE = re.compile(r"^\s+(\w+)\s+(\S+\.demo)\s+(\S+)$")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Served:
    url: str
    demo_logins: dict[str, tuple[str, str]]  # role -> (username, password)
    output: list[str]
    env: dict[str, str]  # runs `partnercontact` commands against the same instance
    instance: Path
    portal_url: str  # her portal, served beside the staff app


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`partnercontact serve` on embedded defaults, in a fresh instance folder."""
    # The port is free when probed, but the server binds it only after migrating and seeding,
    # seconds later; meanwhile another test process (pytest-xdist) may take it. A server that
    # could not bind exits, and starts again, afresh, on another port.
    failures: list[str] = []
    for _attempt in range(3):
        instance = tmp_path_factory.mktemp("instance")
        port = _free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")},
            "PARTNERCONTACT_INSTANCE_PATH": str(instance),
            "PARTNERCONTACT_SERVER__PORT": str(port),
            "PARTNERCONTACT_PORTAL__PORT": str(_free_port()),
            "PYTHONUNBUFFERED": "1",
        }
        process, lines, logins = _start_server(env, port)
        if process.poll() is None and _listening(port):
            break
        process.kill()
        process.wait(timeout=10)
        failures.append("\n".join(lines))
    else:
        pytest.fail("the server did not start:\n" + "\n\n".join(failures))
    url = f"http://127.0.0.1:{port}"
    # Keep reading what the server prints: once the pipe's buffer is full, its next log line
    # would block the server for good.
    assert process.stdout is not None
    drain = threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True)
    drain.start()
    try:
        portal_url = f"http://127.0.0.1:{env['PARTNERCONTACT_PORTAL__PORT']}"
        yield Served(url, logins, lines, env, instance, portal_url)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _cli(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "partnercontact.cli", *arguments],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def production_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """`partnercontact serve` in production mode, set up as docs/operations.md says: its own
    PostgreSQL database, a key file, the public addresses, the schema upgraded by hand, the
    second factor required of everyone; no demo. The clinic and its accounts are made with
    `partnercontact users create`."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_ADMIN_URL, PG_URL, WORKER

    database = "pc_e2e_production" + (f"_{WORKER}" if WORKER else "")
    owner = make_url(PG_URL).username
    admin = create_engine(
        make_url(PG_ADMIN_URL).set(database="postgres"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{database}"'))
        conn.execute(text(f'CREATE DATABASE "{database}" OWNER "{owner}"'))
    admin.dispose()
    instance = tmp_path_factory.mktemp("production")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")},
        "PARTNERCONTACT_MODE": "production",
        "PARTNERCONTACT_INSTANCE_PATH": str(instance),
        "PARTNERCONTACT_DATABASE__URL": make_url(PG_URL)
        .set(database=database)
        .render_as_string(hide_password=False),
        "PARTNERCONTACT_KEYS__FILE": str(instance / "keys.json"),
        "PARTNERCONTACT_SERVER__PORT": str(port),
        "PARTNERCONTACT_SERVER__PUBLIC_URL": "https://behandling.mottagning.test",
        "PARTNERCONTACT_PORTAL__PORT": str(_free_port()),
        "PARTNERCONTACT_PORTAL__PUBLIC_URL": "https://stod.mottagning.test",
        "PYTHONUNBUFFERED": "1",
    }
    _cli(env, "keys", "init", str(instance / "keys.json"))
    _cli(env, "db", "upgrade")
    process, lines, _logins = _start_server(env, port)
    if process.poll() is not None or not _listening(port):
        process.kill()
        pytest.fail("the production server did not start:\n" + "\n".join(lines))
    assert process.stdout is not None
    threading.Thread(target=_drain, args=(process.stdout, lines), daemon=True).start()
    try:
        yield Served(
            f"http://127.0.0.1:{port}", {}, lines, env, instance, "https://stod.mottagning.test"
        )
    finally:
        process.terminate()
        process.wait(timeout=10)


def _start_server(
    env: dict[str, str], port: int
) -> tuple[subprocess.Popen[str], list[str], dict[str, tuple[str, str]]]:
    """Starts the server and reads its output until it has bound ``port`` or gone.

    "serving on" comes before the bind; werkzeug's "Running on" line after it is what shows
    that this process, not another one, listens on the port.
    """
    command = [sys.executable, "-m", "partnercontact.cli", "serve"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []
    logins: dict[str, tuple[str, str]] = {}
    bound = f"Running on http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        match = DEMO_LINE.match(line.rstrip())
        if match:
            logins[match.group(1)] = (match.group(2), match.group(3))
        if bound in line:
            return process, lines, logins
    process.kill()
    process.wait(timeout=10)
    return process, lines, logins


def _drain(stream: IO[str], lines: list[str]) -> None:
    for line in stream:
        lines.append(line.rstrip())


def _listening(port: int) -> bool:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def axe_watch() -> AxeWatch:
    """axe-core on every document the test's pages show; the test fails at its end, naming
    each page and violation, unless none is found."""
    return AxeWatch()


@pytest.fixture
def new_page(browser: Browser, axe_watch: AxeWatch) -> Iterator[Callable[..., Page]]:
    """Opens a page in a browser context of its own (``options`` as for a new context; the
    Swedish locale unless one is given), watched by ``axe_watch``."""
    contexts: list[BrowserContext] = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context(**{"locale": "sv-SE", **options})
        contexts.append(context)
        return axe_watch.watch(context.new_page())

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page: Callable[..., Page]) -> Page:
    return new_page()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """After a test that passed, the last documents its pages show are checked too, and the
    test fails if axe-core found anything on any page it visited."""
    result = yield
    watch = getattr(item, "funcargs", {}).get("axe_watch")
    if isinstance(watch, AxeWatch):
        problems = watch.finish()
        assert not problems, "axe-core found violations:\n" + "\n".join(problems)
    return result


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def verify_audit_log(served: Served) -> None:
    """`partnercontact audit verify` against the served instance must find the log intact."""
    verified = subprocess.run(
        [sys.executable, "-m", "partnercontact.cli", "audit", "verify"],
        env=served.env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "audit log intact" in verified.stdout
