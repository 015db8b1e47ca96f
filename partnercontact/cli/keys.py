"""``partnercontact keys``: create a key file, rotate the key-encryption key, verify.

Nothing here ever prints key material: only paths, key ids and counts.
"""

from __future__ import annotations

from pathlib import Path

import click

from partnercontact.cli.appcontext import app_context
from partnercontact.cli.progress import terminal_progress
from partnercontact.crypto.check import check_sealed_values
from partnercontact.crypto.errors import CryptoError
from partnercontact.crypto.keyfile import generate_key_file
from partnercontact.crypto.rotation import rotate_keys
from partnercontact.runtime import current_runtime


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


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every data key under a new key-encryption key, then drop the old one.

    Rotates the key file named by the configuration (keys.file). Stop the web and worker
    processes first and start them again afterwards: they hold the old key file in memory.
    """
    # The application is built inside the try: a key file it cannot load is reported as
    # any other key error is, without a traceback.
    try:
        with app_context(), terminal_progress("keys rotate", "data keys") as progress:
            runtime = current_runtime()
            count, kek_id = rotate_keys(
                runtime.config.keys_file, clock=runtime.clock, on_progress=progress
            )
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"re-wrapped {count} data keys; active key-encryption key is now {kek_id}")
    click.echo("restart every web and worker process so that they load the new key file")


@keys.command("verify")
def keys_verify() -> None:
    """Decrypt every sealed value in the database with the configured key file.

    Prints counts per table, never a value. Exits with status 1 if any value does not
    decrypt: the database and the key file do not belong together (after a restore, say).
    Values under shredded keys (consent documents after case end) are counted apart.
    """
    try:
        with app_context(), terminal_progress("keys verify") as progress:
            check = check_sealed_values(current_runtime().keyring, on_progress=progress)
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
