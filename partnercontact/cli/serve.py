"""``partnercontact serve``: the web app with an embedded worker."""

from __future__ import annotations

import threading

import click
from flask import Flask
from werkzeug.serving import make_server, run_simple

from partnercontact import migrate
from partnercontact.cli.appcontext import build_app, config_or_exit, keyring_or_exit
from partnercontact.db import db
from partnercontact.demo import database_is_empty, demo_logins_present, seed_demo
from partnercontact.portal.app import create_portal_app
from partnercontact.runtime import current_runtime
from partnercontact.serving import MaskedRequestHandler
from partnercontact.worker import build_scheduler


def _prepare_database() -> None:
    config = config_or_exit()
    if config.is_development:
        config.instance_path.mkdir(parents=True, exist_ok=True)
        migrate.upgrade(config.database_url, keys=lambda: keyring_or_exit(config))
    elif not migrate.is_at_head(config.database_url):
        raise click.ClickException(
            "the database schema is not current: run `partnercontact db upgrade` first"
        )


def _announce_demo() -> None:
    """In development: seed the demo into an empty database and print the demo logins."""
    if not current_runtime().config.is_development:
        return
    if database_is_empty():
        seed_demo(is_development=True)
        db.session.commit()
        click.echo("created the demo clinic and one demo account per role")
    logins = demo_logins_present()
    if logins:
        click.echo("demo logins (development only, invented people):")
        for login in logins:
            click.echo(f"  {login.role.value:16} {login.username:14} {login.password}")


def _serve_portal(staff_app: Flask, host: str) -> None:
    """Her portal beside the staff app, on its own port, as its own app (in production each
    runs under its own WSGI server and host name: docs/operations.md)."""
    runtime = staff_app.extensions["partnercontact"]
    portal = create_portal_app(runtime.config, clock=runtime.clock, keyring=runtime.keyring)
    port = runtime.config.portal.port
    try:
        server = make_server(
            host, port, portal, threaded=True, request_handler=MaskedRequestHandler
        )
    except OSError as exc:
        click.echo(f"her portal could not listen on port {port}: {exc}", err=True)
        return
    threading.Thread(target=server.serve_forever, name="portal", daemon=True).start()
    click.echo(f"her portal on http://{host}:{port}/")


@click.command()
@click.option("--host", default=None, help="Address to listen on (default from config).")
@click.option("--port", default=None, type=int, help="Port (default from config).")
def serve(host: str | None, port: int | None) -> None:
    """Serve the web app with an embedded worker (development and small installations)."""
    _prepare_database()
    app = build_app()
    config = app.extensions["partnercontact"].config
    with app.app_context():
        _announce_demo()
    if config.worker.embedded:
        build_scheduler(app, blocking=False).start()
    host = host or config.server.host
    port = port or config.server.port
    _serve_portal(app, host)
    click.echo(f"serving on http://{host}:{port}/  (stop with Ctrl+C)")
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
