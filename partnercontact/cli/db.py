"""``partnercontact db``: migrate the database schema."""

from __future__ import annotations

import click

from partnercontact import migrate
from partnercontact.cli.appcontext import config_or_exit, keyring_or_exit


@click.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    config = config_or_exit()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(config.database_url, revision, keys=lambda: keyring_or_exit(config))
    click.echo(f"database at {migrate.current_revision(config.database_url)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION."""
    config = config_or_exit()
    migrate.downgrade(config.database_url, revision)
    click.echo(f"database at {migrate.current_revision(config.database_url)}")
