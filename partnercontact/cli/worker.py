"""``partnercontact worker``: run the scheduled duties in this process."""

from __future__ import annotations

import click

from partnercontact.cli.appcontext import build_app
from partnercontact.worker import build_scheduler, tick


@click.command()
def worker() -> None:
    """Run the scheduled duties in this process until stopped."""
    app = build_app()
    # Catch up at once on whatever fell due while no worker ran.
    tick(app)
    click.echo("worker running (stop with Ctrl+C)")
    build_scheduler(app, blocking=True).start()
