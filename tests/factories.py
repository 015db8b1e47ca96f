"""Test data built through the real services, with one shortcut per role. Invented names."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pyotp

from partnercontact.auth.models import User
from partnercontact.auth.service import create_user
from partnercontact.clinics.models import Clinic
from partnercontact.clinics.service import create_clinic
from partnercontact.clock import FixedClock
from partnercontact.db import db
from partnercontact.policy import Role

PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


@dataclass
class Account:
    user: User
    password: str
    totp_secret: str | None

    @property
    def username(self) -> str:
        return self.user.username

    def code(self, clock: FixedClock, steps_ahead: int = 0) -> str:
        assert self.totp_secret is not None
        totp = pyotp.TOTP(self.totp_secret)
        return totp.generate_otp(totp.timecode(clock.now()) + steps_ahead)


class Factory:
    def __init__(self, clock: FixedClock) -> None:
        self.clock = clock
        self._clinic: Clinic | None = None

    def clinic(self, name: str | None = None) -> Clinic:
        clinic = create_clinic(
            name or f"Testmottagningen {next(_counter)}",
            "Norrbacka samtal",
            postal_address="Box 4711\n123 45 Testby",
            phone="010-555 12 34",
            letter_signatory="Robin Ek, kurator",
        )
        db.session.commit()
        return clinic

    @property
    def default_clinic(self) -> Clinic:
        if self._clinic is None:
            self._clinic = self.clinic()
        return self._clinic

    def account(
        self, role: Role, *, clinic: Clinic | None = None, second_factor: bool = True
    ) -> Account:
        number = next(_counter)
        user = create_user(
            None,
            clinic or self.default_clinic,
            username=f"{role.value.replace('_', '.')}{number}",
            display_name=f"Testperson {number}",
            role=role.value,
            password=PASSWORD,
        )
        secret = None
        if second_factor:
            secret = pyotp.random_base32()
            user.totp_secret = secret
            user.totp_enrolled_at = self.clock.now()
        db.session.commit()
        return Account(user, PASSWORD, secret)

    def client_treater(self, **kwargs: object) -> Account:
        return self.account(Role.CLIENT_TREATER, **kwargs)  # type: ignore[arg-type]

    def partner_treater(self, **kwargs: object) -> Account:
        return self.account(Role.PARTNER_TREATER, **kwargs)  # type: ignore[arg-type]

    def manager(self, **kwargs: object) -> Account:
        return self.account(Role.MANAGER, **kwargs)  # type: ignore[arg-type]

    def admin(self, **kwargs: object) -> Account:
        return self.account(Role.ADMIN, **kwargs)  # type: ignore[arg-type]
