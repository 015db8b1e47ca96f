"""The `partnercontact` command.

One module per command group; each command that needs the application gets its context from
:mod:`partnercontact.cli.appcontext`.
"""

from __future__ import annotations

import logging

import click

from partnercontact.cli import audit, db, demo, jobs, keys, serve, users, worker


@click.group()
def main() -> None:
    """Partner contact: consent, hand-over, contact and the relay between treaters."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


for _command in (
    db.db,
    serve.serve,
    worker.worker,
    demo.demo,
    users.users,
    jobs.jobs,
    audit.audit,
    keys.keys,
):
    main.add_command(_command)
