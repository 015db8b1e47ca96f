"""A few clinics' worth of invented people, built through the services before the load.

Every clinic has two treaters on each side, a manager and an administrator. Each client's
treater has clients whose partner's details were handed over (the partner picked up by a
partner-contact treater, who reached her and whose offer she accepted) and clients in
treatment without a hand-over. Every account gets a personal API token. The clock starts two
weeks back, so that the dates the load sends (yesterday, next week) are valid for every case.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from partnercontact.app import create_app
from partnercontact.auth.tokens import issue_token
from partnercontact.client_side.cases.ending import start_treatment
from partnercontact.client_side.cases.models import TreatmentEpisode
from partnercontact.client_side.consent.models import Consent
from partnercontact.clock import FixedClock
from partnercontact.config import load_config
from partnercontact.crypto.keyfile import load_key_file
from partnercontact.crypto.keyring import KeyRing
from partnercontact.db import db
from partnercontact.policy import Role
from tests.cases_built import accepted_contact, client_of
from tests.factories import Account, Factory
from tests.partners.conftest import handed_over_case

CLINICS = 3
CASES_PER_CLIENT_TREATER = 2
UNLINKED_CLIENTS_PER_CLIENT_TREATER = 1
SEEDED_DAYS_AGO = 14


@dataclass
class Person:
    """One seeded account as the load sees it: who, where, and how it authenticates."""

    role: Role
    clinic: int
    user_id: int
    username: str
    password: str
    totp_secret: str
    token: str
    cookie: str | None = None


@dataclass
class ClinicWorld:
    index: int
    people: list[Person] = field(default_factory=list)
    # Clients of each client's treater (by user id): (client id, has a partner case).
    clients: dict[int, list[tuple[uuid.UUID, bool]]] = field(default_factory=dict)
    # Cases held by each partner-contact treater (by user id).
    cases: dict[int, list[uuid.UUID]] = field(default_factory=dict)
    consents: list[uuid.UUID] = field(default_factory=list)

    def of_role(self, role: Role) -> list[Person]:
        return [person for person in self.people if person.role == role]


@dataclass
class World:
    clinics: list[ClinicWorld]

    @property
    def people(self) -> list[Person]:
        return [person for clinic in self.clinics for person in clinic.people]


def _person(account: Account, role: Role, clinic: int) -> Person:
    assert account.totp_secret is not None
    token = issue_token(account.user, label="Lasttest").secret
    db.session.commit()
    return Person(
        role=role,
        clinic=clinic,
        user_id=account.user.id,
        username=account.username,
        password=account.password,
        totp_secret=account.totp_secret,
        token=token,
    )


def _accept_contact(holder: Account, case_id: uuid.UUID, clock: FixedClock) -> None:
    """Picked up, suitable, reached and accepted: sessions can be added and booked."""
    accepted_contact(holder.user, case_id, clock)
    db.session.commit()


def seed(url: str, keys: Path, instance: Path) -> World:
    """Build the clinics on the database at ``url``; returns what the load needs to know."""
    config = load_config(
        environ={},
        # Accounts are made with a trivial password hash; the server, at production's cost,
        # re-hashes each password when its person logs in.
        overrides={
            "database": {"url": url},
            "keys": {"file": str(keys)},
            "auth": {"hashing_cost": "fast"},
        },
        instance_path=instance,
    )
    clock = FixedClock(datetime.now(UTC) - timedelta(days=SEEDED_DAYS_AGO))
    app = create_app(config, clock=clock, keyring=KeyRing(load_key_file(keys)))
    clinics = []
    with app.app_context():
        factory = Factory(clock)
        number = 0
        for index in range(CLINICS):
            world = ClinicWorld(index)
            clinic = factory.clinic(f"Lastmottagningen {index + 1}")
            accounts: dict[Role, list[Account]] = {
                Role.CLIENT_TREATER: [factory.client_treater(clinic=clinic) for _ in range(2)],
                Role.PARTNER_TREATER: [factory.partner_treater(clinic=clinic) for _ in range(2)],
                Role.MANAGER: [factory.manager(clinic=clinic)],
                Role.ADMIN: [factory.admin(clinic=clinic)],
            }
            for role, of_role in accounts.items():
                world.people += [_person(account, role, index) for account in of_role]
            holders = accounts[Role.PARTNER_TREATER]
            for treater in accounts[Role.CLIENT_TREATER]:
                mine: list[tuple[uuid.UUID, bool]] = []
                for _ in range(CASES_PER_CLIENT_TREATER):
                    number += 1
                    case = handed_over_case(
                        factory,
                        clock,
                        client_treater=treater,
                        name=f"Maja Påhittad {number}",
                        phone=f"070-{number:03d} 43 21",
                        address=f"Exempelvägen {number}, 123 45 Lindvik",
                    )
                    holder = holders[number % len(holders)]
                    _accept_contact(holder, case.id, clock)
                    world.cases.setdefault(holder.user.id, []).append(case.id)
                    episode = db.session.get_one(TreatmentEpisode, case.episode_id)
                    mine.append((episode.client_id, True))
                for _ in range(UNLINKED_CLIENTS_PER_CLIENT_TREATER):
                    number += 1
                    mine.append((client_of(treater.user, name=f"Kalle Påhittad {number}"), False))
                world.clients[treater.user.id] = mine
            # Treatment starts a day after the clients were registered (the clock only moves
            # forward), so that the load can record attendance on any day since.
            clock.advance(days=1)
            for treater in accounts[Role.CLIENT_TREATER]:
                for client_id, _ in world.clients[treater.user.id]:
                    start_treatment(treater.user, client_id, started_on=clock.now().date())
            db.session.commit()
            world.consents = list(
                db.session.scalars(select(Consent.id).where(Consent.clinic_id == clinic.id))
            )
            clinics.append(world)
        db.session.remove()
        db.engine.dispose()
    return World(clinics)
