"""The one way a command gets its configuration and its application context.

A command that needs the application (the database, the keys, the clock) runs inside
:func:`app_context`, usually through the :func:`with_app` decorator. It uses the context
already pushed if there is one; else the app of Flask's ``ScriptInfo`` (``flask --app ...
audit``, ``app.test_cli_runner()``); else one built from the configuration.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

import click
from flask import Flask, has_app_context
from flask.cli import ScriptInfo

from partnercontact.app import create_app
from partnercontact.config import Config, ConfigError, load_config
from partnercontact.crypto.keyring import KeyRing
from partnercontact.keys import load_or_create_keyring

P = ParamSpec("P")
R = TypeVar("R")


def config_or_exit() -> Config:
    """The configuration; a bad one ends the command with a message naming the key."""
    try:
        return load_config()
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


def keyring_or_exit(config: Config) -> KeyRing:
    """The key ring of the key file the configuration names (created in development, as the
    app would); a missing or bad one ends the command with a message naming it."""
    try:
        return load_or_create_keyring(config)
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


def build_app() -> Flask:
    """A new application from the configuration; a bad one ends the command."""
    try:
        return create_app(load_config())
    except ConfigError as exc:
        raise click.ClickException(f"configuration: {exc}") from exc


@contextmanager
def app_context() -> Iterator[None]:
    """Run the block inside an application context (see the module's docstring)."""
    if has_app_context():
        yield
        return
    ctx = click.get_current_context(silent=True)
    info = ctx.find_object(ScriptInfo) if ctx is not None else None
    app = info.load_app() if info is not None else build_app()
    with app.app_context():
        yield


def with_app(command: Callable[P, R]) -> Callable[P, R]:
    """Run the command inside :func:`app_context`."""

    @wraps(command)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with app_context():
            return command(*args, **kwargs)

    return wrapper
