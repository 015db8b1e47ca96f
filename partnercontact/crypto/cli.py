"""`partnercontact keys …`: create a key file, rotate the key-encryption key."""

from __future__ import annotations

from pathlib import Path

import click

from partnercontact.crypto.errors import CryptoError
from partnercontact.crypto.keyfile import generate_key_file


@click.group()
def keys() -> None:
    """Key file and key rotation."""


@keys.command("init")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def keys_init(path: Path) -> None:
    """Create a new key file at PATH (mode 0600). Keep a copy offline."""
    try:
        keyfile = generate_key_file(path)
    except CryptoError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"created {path} with key-encryption key {keyfile.active_kek}")


@keys.command("rotate")
def keys_rotate() -> None:
    """Re-wrap every data key under a new key-encryption key and drop the old one."""
    from partnercontact.cli import with_app
    from partnercontact.crypto.service import rotate_kek
    from partnercontact.runtime import current_runtime

    @with_app
    def run() -> tuple[int, str]:
        runtime = current_runtime()
        return rotate_kek(runtime.keyring, runtime.config.keys_file)

    count, kek_id = run()
    click.echo(f"re-wrapped {count} data keys; active key-encryption key is now {kek_id}")
