"""Accounts and their server-side sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, Uuid, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from partnercontact.clinics.models import Clinic
from partnercontact.crypto.fields import SealedRecord, encrypted
from partnercontact.db import Model, UTCDateTime


class User(SealedRecord, Model):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    clinic_id: Mapped[int] = mapped_column(ForeignKey("clinic.id"), index=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    # The TOTP secret is sealed under the account's own data key: a copy of the database
    # alone does not give anyone a second factor.
    data_key_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("data_key.id"))
    totp_secret = encrypted("totp_secret")
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last accepted TOTP time step: a code is accepted once, never replayed.
    totp_last_step: Mapped[int | None] = mapped_column()
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last completed login (password and, where required, second factor).
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    locale: Mapped[str] = mapped_column(String(8), default="sv")
    is_demo: Mapped[bool] = mapped_column(default=False)
    # Set when an administrator gave the password (a new account, a reset): after login every
    # page but the password change stays closed, and the API refuses the account's tokens,
    # until the user has replaced it.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())

    clinic: Mapped[Clinic] = relationship(lazy="joined")

    # flask-login's user protocol.
    @property
    def is_active(self) -> bool:
        return self.disabled_at is None

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def has_second_factor(self) -> bool:
        return self.totp_enrolled_at is not None


class WebSession(Model):
    """A browser session kept on the server, so it can be revoked.

    The cookie carries a random token; only its SHA-256 is stored, so a copy of this table
    does not let anyone take over a live session.
    """

    __tablename__ = "web_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)
    data: Mapped[str] = mapped_column(Text, default="{}")


class ApiToken(Model):
    """A personal token for the API, acting as its owner with the role and the second-factor
    enrolment the owner had when it was made. Only the SHA-256 of the secret is stored (see
    :mod:`partnercontact.auth.tokens`)."""

    __tablename__ = "api_token"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(32))
    label: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The owner's totp_enrolled_at when the token was made: a new enrolment ends the token.
    enrolled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class RecoveryCode(Model):
    """One of an account's single-use codes for a login without its phone. Only the SHA-256
    of the code is stored: the codes are random and long enough that a slow hash adds
    nothing, and the account shows them once."""

    __tablename__ = "recovery_code"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user_account.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
