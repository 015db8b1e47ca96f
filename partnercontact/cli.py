"""The `partnercontact` command."""

from __future__ import annotations

import logging
import secrets
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask
from sqlalchemy import select

from partnercontact import migrate
from partnercontact.config import ConfigError, load_config

log = logging.getLogger("partnercontact")


def _build_app() -> Flask:
    from partnercontact.app import create_app

    try:
        return create_app(load_config())
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


def with_app(command: Callable[..., Any]) -> Callable[..., Any]:
    """Run the command inside an application context."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        app = _build_app()
        with app.app_context():
            return command(*args, **kwargs)

    return wrapper


@click.group()
def main() -> None:
    """Partner contact: consent, hand-over, contact and the relay between treaters."""
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )


# --- database ---------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Migrate the database to REVISION (default: the newest)."""
    config = _config()
    config.instance_path.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(config.database_url, revision)
    click.echo(f"database at {migrate.current_revision(config.database_url)}")


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Migrate the database back to REVISION."""
    config = _config()
    migrate.downgrade(config.database_url, revision)
    click.echo(f"database at {migrate.current_revision(config.database_url)}")


def _config():  # type: ignore[no-untyped-def]
    try:
        return load_config()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


# --- serving ------------------------------------------------------------------------------


def _prepare_database() -> None:
    config = _config()
    if config.is_development:
        config.instance_path.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(config.database_url)
    elif not migrate.is_at_head(config.database_url):
        raise click.ClickException(
            "the database schema is not current: run `partnercontact db upgrade` first"
        )


def _announce_demo(app: Flask) -> None:
    from partnercontact.db import db as database
    from partnercontact.demo import database_is_empty, demo_logins_present, seed_demo

    runtime = app.extensions["partnercontact"]
    if not runtime.config.is_development:
        return
    if database_is_empty():
        seed_demo(is_development=True)
        database.session.commit()
        click.echo("created the demo clinic and one demo account per role")
    logins = demo_logins_present()
    if logins:
        click.echo("demo logins (development only, invented people):")
        for login in logins:
            click.echo(f"  {login.role.value:16} {login.username:14} {login.password}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (default from config).")
@click.option("--port", default=None, type=int, help="Port (default from config).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web app with an embedded worker (development and small installations)."""
    _prepare_database()
    app = _build_app()
    config = app.extensions["partnercontact"].config
    with app.app_context():
        _announce_demo(app)
    if config.worker.embedded:
        from partnercontact.worker import build_scheduler

        build_scheduler(app, blocking=False).start()
    host = host or config.server.host
    port = port or config.server.port
    click.echo(f"serving on http://{host}:{port}/  (stop with Ctrl+C)")
    from werkzeug.serving import run_simple

    from partnercontact.serving import MaskedRequestHandler

    # The request log masks credentials in addresses (a calendar feed's secret): see
    # partnercontact.logsafe.
    run_simple(
        host,
        port,
        app,
        threaded=True,
        use_reloader=False,
        use_debugger=False,
        request_handler=MaskedRequestHandler,
    )


@main.command()
def worker() -> None:
    """Run the scheduled duties in this process until stopped."""
    from partnercontact.worker import build_scheduler, tick

    app = _build_app()
    # Catch up at once on whatever fell due while no worker ran.
    tick(app)
    click.echo("worker running (stop with Ctrl+C)")
    build_scheduler(app, blocking=True).start()


@main.command()
@with_app
def demo() -> None:
    """Seed the demo clinic and accounts into an empty development database."""
    from partnercontact.db import db as database
    from partnercontact.demo import DemoRefused, seed_demo

    runtime = _runtime()
    try:
        seed_demo(is_development=runtime.config.is_development)
    except DemoRefused as exc:
        raise click.ClickException(str(exc)) from exc
    database.session.commit()
    click.echo("demo clinic created")


def _runtime():  # type: ignore[no-untyped-def]
    from partnercontact.runtime import current_runtime

    return current_runtime()


# --- accounts -------------------------------------------------------------------------------


@main.group()
def users() -> None:
    """Staff accounts."""


def _user(username: str):  # type: ignore[no-untyped-def]
    from partnercontact.auth.models import User
    from partnercontact.auth.service import normalise_username
    from partnercontact.db import db as database

    user = database.session.scalar(
        select(User).where(User.username == normalise_username(username))
    )
    if user is None:
        raise click.ClickException(f"no account named {username!r}")
    return user


@users.command("create")
@click.option("--clinic", "clinic_name", required=True, help="Name of the clinic.")
@click.option("--username", required=True)
@click.option("--name", "display_name", required=True, help="The person's name.")
@click.option(
    "--role",
    required=True,
    type=click.Choice(["client_treater", "partner_treater", "manager", "admin"]),
)
@click.option(
    "--create-clinic",
    "neutral_sender",
    default=None,
    help="Create the clinic too, with this neutral sender name.",
)
@with_app
def users_create(
    clinic_name: str, username: str, display_name: str, role: str, neutral_sender: str | None
) -> None:
    """Create an account. A one-time password is printed once; the user changes it."""
    from partnercontact.auth.service import create_user
    from partnercontact.clinics.service import clinic_by_name, create_clinic
    from partnercontact.db import db as database
    from partnercontact.errors import DomainError

    clinic = clinic_by_name(clinic_name)
    try:
        if clinic is None:
            if not neutral_sender:
                raise click.ClickException(
                    f"no clinic named {clinic_name!r} (use --create-clinic SENDER to create it)"
                )
            clinic = create_clinic(clinic_name, neutral_sender)
        password = secrets.token_urlsafe(15)
        create_user(
            None,
            clinic,
            username=username,
            display_name=display_name,
            role=role,
            password=password,
            must_change_password=True,
        )
    except DomainError as exc:
        database.session.rollback()
        raise click.ClickException(f"{exc.field or 'input'}: {exc.message}") from exc
    database.session.commit()
    click.echo(f"created {username}; one-time password: {password}")


@users.command("disable")
@click.argument("username")
@with_app
def users_disable(username: str) -> None:
    """Disable an account and end all its sessions."""
    from partnercontact.auth.service import disable_user
    from partnercontact.db import db as database

    disable_user(None, _user(username))
    database.session.commit()
    click.echo(f"disabled {username}")


@users.command("reset-mfa")
@click.argument("username")
@with_app
def users_reset_mfa(username: str) -> None:
    """Remove an account's second factor; it enrols again at next login."""
    from partnercontact.auth.service import reset_second_factor
    from partnercontact.db import db as database

    reset_second_factor(None, _user(username))
    database.session.commit()
    click.echo(f"second factor of {username} reset")


# --- jobs, audit, keys -------------------------------------------------------------------


@main.group()
def jobs() -> None:
    """Run one scheduled duty now."""


@jobs.command("purge-sessions")
@with_app
def jobs_purge_sessions() -> None:
    from partnercontact.auth.jobs import purge_sessions

    click.echo(f"removed {purge_sessions()} expired sessions")


@jobs.command("run-due")
@click.option(
    "--limit", type=click.IntRange(min=1), default=None, help="Take at most this many tasks."
)
@with_app
def jobs_run_due(limit: int | None) -> None:
    """Run the scheduled tasks that are due now, batch after batch, until none is left.

    For catching up by hand (after an outage, say) or from a timer where no `worker` process
    runs. It runs the tasks only: a text message a task queues is sent by the worker's send
    duty. Safe beside running workers and other runs of this command: each batch claims its
    tasks with FOR UPDATE SKIP LOCKED (PostgreSQL), so no task runs twice, and a run stopped
    mid-batch leaves that batch's tasks to the next run. A task that fails is retried later,
    as the worker does. Prints how many tasks this run took and what came of them:
    "ran 120 tasks: 118 done, 0 waiting, 2 to retry, 0 failed". Exits 0 even when tasks
    failed: they are on the administrators' task page.
    """
    from partnercontact.scheduling.tasks import dispatch_due

    counts = dict.fromkeys(("done", "waiting", "retrying", "failed"), 0)
    deferred = 0
    while limit is None or sum(counts.values()) < limit:
        report = dispatch_due(None if limit is None else limit - sum(counts.values()))
        taken = 0
        for name in counts:
            counts[name] += len(getattr(report, name))
            taken += len(getattr(report, name))
        deferred += report.contended
        # Nothing taken: nothing is due (or, on SQLite, another writer held the database).
        # dispatch_due stops at a short batch, which another worker's claim can cause too.
        if taken == 0:
            break
    click.echo(
        f"ran {sum(counts.values())} tasks: {counts['done']} done, {counts['waiting']} waiting, "
        f"{counts['retrying']} to retry, {counts['failed']} failed"
        + (f" ({deferred} batches left to another writer)" if deferred else "")
    )


def _register_groups() -> None:
    from partnercontact.audit.cli import audit
    from partnercontact.crypto.cli import keys

    main.add_command(audit)
    main.add_command(keys)


_register_groups()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
