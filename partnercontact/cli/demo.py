"""``partnercontact demo``: seed the demo clinic into an empty development database."""

from __future__ import annotations

import click

from partnercontact.cli.appcontext import with_app
from partnercontact.db import db
from partnercontact.demo import DemoRefused, seed_demo
from partnercontact.runtime import current_runtime


@click.command()
@with_app
def demo() -> None:
    """Seed the demo clinic and accounts into an empty development database."""
    try:
        seed_demo(is_development=current_runtime().config.is_development)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo("demo clinic created")
