"""`partnercontact keys …`: create a key file, rotate the key-encryption key.

Nothing here ever prints key material: only paths, key ids and counts.
"""

from __future__ import annotations

from pathlib import Path

import click
from flask import has_app_context

from partnercontact.clock import Clock
from partnercontact.crypto.check import SealCheck, check_sealed_values
from partnercontact.crypto.errors import CryptoError
from partnercontact.crypto.keyfile import generate_key_file, locked_key_file
from partnercontact.crypto.service import retire_old_keks, rotate_kek, stage_new_kek
from partnercontact.db import db


def rotate_keys(key_file: Path, *, clock: Clock, actor_id: int | None = None) -> tuple[int, str]:
    """Rotate the KEK of ``key_file``: returns (data keys re-wrapped, new KEK id). Commits.

    Needs an application context (the database). Under an exclusive lock on the key file:
    :func:`stage_new_kek` (file gets the new KEK beside the old), :func:`rotate_kek`,
    commit, :func:`retire_old_keks` (old KEKs removed once the committed database no longer
    needs them). If anything fails, the session is rolled back and the file still holds
    every KEK any committed data key needs; running again is safe.

    Processes that loaded the key file before the rotation (web, worker) keep the old KEKs
    in memory: they cannot read re-wrapped keys and would wrap new ones under a retired KEK.
    Stop them first and start them afterwards.
    """
    with locked_key_file(key_file):
        staged = stage_new_kek(key_file)
        try:
            count = rotate_kek(staged, clock=clock, actor_id=actor_id)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
        retire_old_keks(key_file, staged)
    return count, staged.active_kek_id


@click.group()
def keys() -> None:
    """Key file and key rotation."""


@keys.command("init")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keys_init(path: Path) -> None:
    """Create a new key file at PATH (mode 0600); never overwrites. Keep a copy offline."""
    try:
        keyfile = generate_key_file(path)
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {path} with key-encryption key {keyfile.active_kek}")


def _rotate_in_app() -> tuple[int, str]:
    from partnercontact.runtime import current_runtime

    runtime = current_runtime()
    return rotate_keys(runtime.config.keys_file, clock=runtime.clock)


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every data key under a new key-encryption key, then drop the old one.

    Rotates the key file named by the configuration (keys.file). Stop the web and worker
    processes first and start them again afterwards: they hold the old key file in memory.
    """
    try:
        if has_app_context():
            count, kek_id = _rotate_in_app()
        else:
            # Imported here: the main command line imports this module to register the group.
            from partnercontact.cli import with_app

            count, kek_id = with_app(_rotate_in_app)()
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"re-wrapped {count} data keys; active key-encryption key is now {kek_id}")
    click.echo("restart every web and worker process so that they load the new key file")


def _verify_in_app() -> SealCheck:
    from partnercontact.runtime import current_runtime

    return check_sealed_values(current_runtime().keyring)


@keys.command("verify")
def keys_verify() -> None:
    """Decrypt every sealed value in the database with the configured key file.

    Prints counts per table, never a value. Exits with status 1 if any value does not
    decrypt: the database and the key file do not belong together (after a restore, say).
    Values under shredded keys (consent documents after case end) are counted apart.
    """
    try:
        if has_app_context():
            check = _verify_in_app()
        else:
            from partnercontact.cli import with_app

            check = with_app(_verify_in_app)()
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from exc
    for table in check.tables:
        click.echo(
            f"{table.table}: {table.decrypted} decrypted, {table.shredded} shredded, "
            f"{table.failed} failed"
        )
    if check.failed:
        raise click.ClickException(f"{check.failed} sealed values did not decrypt")
    click.echo(f"every sealed value decrypts ({check.decrypted} values)")
