"""Invented demo data for development: one clinic and one account per role."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from partnercontact.auth.models import User
from partnercontact.auth.service import create_user
from partnercontact.clinics.models import Clinic
from partnercontact.clinics.service import create_clinic
from partnercontact.db import db
from partnercontact.policy import Role

DEMO_CLINIC = "Mottagningen Lindvik (demo)"


@dataclass(frozen=True)
class DemoLogin:
    username: str
    password: str
    display_name: str
    role: Role


# Made-up people. The passwords are public on purpose: demo mode exists only in development,
# and production refuses to seed it.
DEMO_LOGINS = (
    DemoLogin("klient.demo", "demo-klient-lindvik", "Ebba Lindqvist", Role.CLIENT_TREATER),
    DemoLogin("partner.demo", "demo-partner-lindvik", "Jonas Bergfors", Role.PARTNER_TREATER),
    DemoLogin("chef.demo", "demo-chef-lindvik", "Maria Åkerlund", Role.MANAGER),
    DemoLogin("admin.demo", "demo-admin-lindvik", "Sami Rautio", Role.ADMIN),
)


class DemoRefused(Exception):
    pass


def database_is_empty() -> bool:
    return db.session.scalar(select(Clinic.id).limit(1)) is None


def seed_demo(*, is_development: bool) -> Clinic:
    """Create the demo clinic and its accounts in an empty database."""
    if not is_development:
        raise DemoRefused("demo data is only for development mode")
    if not database_is_empty():
        raise DemoRefused("the database already holds data")
    clinic = create_clinic(
        DEMO_CLINIC,
        "Lindvik samtal",
        letterhead="Mottagningen Lindvik\nBox 123\n000 00 Lindvik",
        # Invented; the number is in the range the Swedish telecom regulator keeps for fiction.
        postal_address="Box 123\n000 00 Lindvik",
        phone="031-390 06 50",
        letter_signatory="Kim Berg, kurator",
    )
    for login in DEMO_LOGINS:
        create_user(
            None,
            clinic,
            username=login.username,
            display_name=login.display_name,
            role=login.role.value,
            password=login.password,
            is_demo=True,
        )
    return clinic


def demo_logins_present() -> list[DemoLogin]:
    names = set(
        db.session.scalars(
            select(User.username).where(User.is_demo.is_(True), User.disabled_at.is_(None))
        )
    )
    return [login for login in DEMO_LOGINS if login.username in names]
