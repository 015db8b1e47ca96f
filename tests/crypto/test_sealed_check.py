"""`partnercontact keys verify`: after a restore, proof that every sealed value of the
database decrypts with the key file at hand, told in counts, never in values."""

from __future__ import annotations

import dataclasses

from click.testing import CliRunner
from flask import Flask
from sqlalchemy import select

from partnercontact.cli.keys import keys
from partnercontact.crypto.check import check_sealed_values, sealed_tables
from partnercontact.crypto.keyfile import generate_key_file, load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.partner_side.models import PartnerHandover
from partnercontact.runtime import EXTENSION_KEY, current_runtime
from tests.factories import Factory
from tests.web.canary import build_canary_world


def test_every_sealed_value_of_a_full_world_decrypts_and_nothing_is_printed(
    app: Flask, factory: Factory, clock
) -> None:
    world = build_canary_world(factory, clock)
    result = CliRunner().invoke(keys, ["verify"])
    assert result.exit_code == 0, result.output
    assert "every sealed value decrypts" in result.output
    check = check_sealed_values(current_runtime().keyring)
    # The world puts values in every kind of record the partner side and client side keep.
    decrypted = {table.table for table in check.tables if table.decrypted}
    assert {"client", "partner_handover", "user_account", "safety_plan"} <= decrypted
    assert {table.name for table in sealed_tables()} == {t.table for t in check.tables}
    for case in world.cases:
        for marker in case.markers:
            assert marker not in result.output


def test_a_wrong_key_file_or_a_moved_value_fails_the_check(
    app: Flask, factory: Factory, clock, tmp_path
) -> None:
    build_canary_world(factory, clock)
    first, second = db.session.scalars(select(PartnerHandover).limit(2))
    # A value copied into another row: well formed, but sealed for the other row.
    first.name_ct = second.name_ct
    db.session.commit()
    result = CliRunner().invoke(keys, ["verify"])
    assert result.exit_code == 1
    assert "partner_handover: " in result.output
    assert "1 sealed values did not decrypt" in result.output

    other = tmp_path / "other-keys.json"
    generate_key_file(other)
    runtime = current_runtime()
    app.extensions[EXTENSION_KEY] = dataclasses.replace(
        runtime, keyring=KeyRing(load_key_file(other))
    )
    check = check_sealed_values(current_runtime().keyring)
    assert check.decrypted == 0 and check.failed > 0


def test_progress_counts_every_sealed_row_and_a_log_gets_only_the_counts(
    app: Flask, factory: Factory, clock
) -> None:
    build_canary_world(factory, clock)
    calls: list[tuple[int, int | None]] = []

    check_sealed_values(
        current_runtime().keyring, on_progress=lambda done, total: calls.append((done, total))
    )

    total = calls[-1][1]
    assert total is not None and total > 0
    assert calls[-1] == (total, total)
    result = CliRunner().invoke(keys, ["verify"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert all("\r" not in line for line in lines)
    assert len(lines) == len(sealed_tables()) + 1
    assert lines[-1].startswith("every sealed value decrypts")
