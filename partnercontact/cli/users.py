"""``partnercontact users``: staff accounts."""

from __future__ import annotations

import secrets

import click
from sqlalchemy import select

from partnercontact.auth.models import User
from partnercontact.auth.service import (
    create_user,
    disable_user,
    normalise_username,
    reset_second_factor,
)
from partnercontact.cli.appcontext import with_app
from partnercontact.clinics.service import clinic_by_name, create_clinic
from partnercontact.db import db
from partnercontact.errors import DomainError


@click.group()
def users() -> None:
    """Staff accounts."""


def _user(username: str) -> User:
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
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
        db.session.rollback()
        raise click.ClickException(f"{exc.field or 'input'}: {exc.message}") from exc
    db.session.commit()
    click.echo(f"created {username}; one-time password: {password}")


@users.command("disable")
@click.argument("username")
@with_app
def users_disable(username: str) -> None:
    """Disable an account and end all its sessions."""
    disable_user(None, _user(username))
    db.session.commit()
    click.echo(f"disabled {username}")


@users.command("reset-mfa")
@click.argument("username")
@with_app
def users_reset_mfa(username: str) -> None:
    """Remove an account's second factor; it enrols again at next login."""
    reset_second_factor(None, _user(username))
    db.session.commit()
    click.echo(f"second factor of {username} reset")
