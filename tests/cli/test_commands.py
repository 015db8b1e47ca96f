"""The `partnercontact` command, run as an operator runs it: a real process per call."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from partnercontact import migrate


@pytest.fixture
def run(tmp_path: Path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTNERCONTACT_")},
        "PARTNERCONTACT_INSTANCE_PATH": str(tmp_path / "instance"),
    }

    def call(*args: str, expect: int = 0) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "partnercontact.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == expect, result.stdout + result.stderr
        return result.stdout + result.stderr

    return call


def test_an_operator_sets_up_and_audits_an_installation(run, tmp_path: Path) -> None:
    assert f"database at {migrate.head_revision('sqlite://')}" in run("db", "upgrade")
    assert "demo clinic created" in run("demo")
    assert "already holds data" in run("demo", expect=1)

    created = run(
        "users",
        "create",
        "--clinic",
        "Mottagningen Lindvik (demo)",
        "--username",
        "vera.holm",
        "--name",
        "Vera Holm",
        "--role",
        "manager",
    )
    assert "one-time password: " in created
    # The one-time password must be replaced at first login; the demo accounts' need not.
    database = sqlite3.connect(tmp_path / "instance" / "partnercontact.db")
    flags = dict(database.execute("SELECT username, must_change_password FROM user_account"))
    database.close()
    assert flags.pop("vera.holm") == 1
    assert set(flags.values()) == {0}
    assert "no clinic named" in run(
        "users",
        "create",
        "--clinic",
        "Ingenstans",
        "--username",
        "a.b",
        "--name",
        "A B",
        "--role",
        "manager",
        expect=1,
    )
    assert "username" in run(
        "users",
        "create",
        "--clinic",
        "Mottagningen Lindvik (demo)",
        "--username",
        "vera.holm",
        "--name",
        "Vera Holm",
        "--role",
        "manager",
        expect=1,
    )
    assert "disabled vera.holm" in run("users", "disable", "vera.holm")
    assert "second factor of klient.demo reset" in run("users", "reset-mfa", "klient.demo")
    assert "no account named" in run("users", "disable", "nobody", expect=1)

    rotated = run("keys", "rotate")
    assert "re-wrapped 5 data keys" in rotated
    keys = json.loads((tmp_path / "instance" / "keys.json").read_text())
    assert list(keys["keks"]) == [keys["active_kek"]]
    assert keys["active_kek"] in rotated

    verified = run("audit", "verify")
    assert "audit log intact" in verified
    head = tmp_path / "head.json"
    run("audit", "head", "--output", str(head))
    assert json.loads(head.read_text())["seq"] > 0
    assert "removed 0 expired sessions" in run("jobs", "purge-sessions")


def test_a_bad_setting_stops_the_command_naming_the_key(run, tmp_path: Path) -> None:
    config = tmp_path / "site.toml"
    config.write_text("[auth]\nsesion_idle_minutes = 5\n")
    result = subprocess.run(
        [sys.executable, "-m", "partnercontact.cli", "db", "upgrade"],
        env={**os.environ, "PARTNERCONTACT_CONFIG": str(config)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "auth.sesion_idle_minutes" in result.stderr
