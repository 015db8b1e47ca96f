"""Accounts, passwords, the second factor and lockout.

Functions flush and never commit; each writes its audit entry in the caller's transaction.
A failed login still changes state (the failure counter, the audit entry), so callers commit
after catching :class:`LoginFailed` too.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime, timedelta
from functools import cache

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, CursorResult, delete, func, or_, select, update

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.auth.errors import (
    AccountInvalid,
    LoginFailed,
    SecondFactorFailed,
    UsernameTaken,
)
from partnercontact.auth.models import RecoveryCode, User
from partnercontact.auth.sessions import end_sessions_of_user
from partnercontact.auth.tokens import revoke_all_tokens
from partnercontact.clinics.models import Clinic
from partnercontact.crypto.service import create_data_key
from partnercontact.db import db
from partnercontact.i18n import _l
from partnercontact.policy import Role
from partnercontact.runtime import current_runtime

MIN_PASSWORD_LENGTH = 12
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
TOTP_ISSUER = "Partnerkontakt"
LOGIN_FAILED_MESSAGE = _l("Login failed. Check your details or try again later.")
USERNAME_REFUSED = _l(
    "Choose another username: 2–64 characters a–z, 0–9, dot, hyphen or underscore, "
    "not already in use."
)

_HASHERS = {
    "standard": PasswordHasher(),
    "fast": PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
}


def _hasher() -> PasswordHasher:
    return _HASHERS[current_runtime().config.auth.hashing_cost]


@cache
def _unknown_user_hash(hasher: PasswordHasher) -> str:
    # Verifying against a fixed hash when the username is unknown makes that answer take as
    # long as a wrong password for a real account.
    return hasher.hash("unknown-user-placeholder")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher().verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalise_username(username: str) -> str:
    return username.strip().lower()


def _check_password_strength(password: str, field: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountInvalid(
            _l("The password must have at least %(count)d characters.", count=MIN_PASSWORD_LENGTH),
            field=field,
        )


def _audit(
    action: AuditAction, user: User | None, actor: User | None = None, outcome: Outcome = Outcome.OK
) -> None:
    acting = actor if actor is not None else user
    subject = user or acting
    record_event(
        action,
        actor_id=acting.id if acting is not None else None,
        clinic_id=subject.clinic_id if subject is not None else None,
        resource_type="user",
        resource_id=str(user.id) if user is not None else None,
        outcome=outcome,
    )


def create_user(
    actor: User | None,
    clinic: Clinic,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    is_demo: bool = False,
    must_change_password: bool = False,
) -> User:
    """Create an account in ``clinic``. ``actor`` is None when created from the command line.

    ``must_change_password``: the password was chosen by someone else (an administrator, the
    command line) and is good for the first login only.
    """
    if actor is not None and actor.clinic_id != clinic.id:
        raise AccountInvalid(_l("You can only create accounts in your own clinic."), field="clinic")
    username = normalise_username(username)
    if not USERNAME_PATTERN.match(username):
        raise AccountInvalid(USERNAME_REFUSED, field="username")
    display_name = display_name.strip()
    if not display_name or len(display_name) > 200:
        raise AccountInvalid(_l("Enter a name (at most 200 characters)."), field="display_name")
    try:
        Role(role)
    except ValueError:
        raise AccountInvalid(_l("Choose a valid role."), field="role") from None
    _check_password_strength(password, "password")
    # Usernames are unique across every clinic, but an administrator must not learn another
    # clinic's usernames from this answer: a name taken anywhere gets the same message as one
    # that breaks the rules.
    if db.session.scalar(select(User.id).where(User.username == username)) is not None:
        raise UsernameTaken(USERNAME_REFUSED, field="username")

    runtime = current_runtime()
    now = runtime.clock.now()
    data_key = create_data_key("account", keyring=runtime.keyring, clock=runtime.clock)
    user = User(
        clinic_id=clinic.id,
        username=username,
        display_name=display_name,
        role=role,
        password_hash=hash_password(password),
        data_key_id=data_key.id,
        password_changed_at=now,
        created_at=now,
        is_demo=is_demo,
        must_change_password=must_change_password,
        failed_logins=0,
    )
    db.session.add(user)
    db.session.flush()
    _audit(AuditAction.USER_CREATED, user, actor)
    return user


def _update_user(user: User, *conditions: ColumnElement[bool], **values: object) -> bool:
    """One conditional UPDATE of ``user``'s row; True if it matched. The attributes it wrote
    are read back, so the object in the session shows what the database now holds."""
    result = db.session.execute(
        update(User)
        .where(User.id == user.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(user, list(values))
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


# Attempts are counted before a password or code is checked, not after. Checking first and
# counting after is a read-modify-write: a burst of guesses all read the same count and all
# get checked. Instead each attempt first claims one of the account's allowed failures in
# one conditional UPDATE; when none is left (or the account is locked) nothing is checked
# at all. On PostgreSQL the UPDATE holds the row's lock until the request commits, so the
# attempts on one account are checked one at a time; SQLite has a single writer anyway.
def _claim_attempt(user: User, now: datetime) -> bool:
    return _update_user(
        user,
        User.failed_logins < current_runtime().config.auth.max_failed_logins,
        or_(User.locked_until.is_(None), User.locked_until <= now),
        failed_logins=User.failed_logins + 1,
    )


def _release_attempt(user: User) -> None:
    """A right password or code: its claimed attempt was not a failure."""
    _update_user(user, User.failed_logins > 0, failed_logins=User.failed_logins - 1)


def _register_failure(user: User, now: datetime) -> None:
    """A wrong password or code, its attempt already counted: lock at the last allowed."""
    auth = current_runtime().config.auth
    if user.failed_logins >= auth.max_failed_logins:
        _update_user(
            user,
            locked_until=now + timedelta(minutes=auth.lockout_minutes),
            failed_logins=0,
        )
        _audit(AuditAction.AUTH_LOCKED_OUT, user, outcome=Outcome.DENIED)


def check_password(username: str, password: str) -> User:
    """First login step. Returns the user, or raises :class:`LoginFailed` with one message
    for every reason."""
    now = current_runtime().clock.now()
    user = db.session.scalar(select(User).where(User.username == normalise_username(username)))
    if user is None or not user.is_active or not _claim_attempt(user, now):
        # An unknown, disabled or locked account costs one hash verification too, against a
        # fixed hash, never the account's own: the time taken is that of a wrong password,
        # so it tells no one whether the account exists or is locked, and no password is
        # checked against a locked account.
        _password_matches(_unknown_user_hash(_hasher()), password)
        _audit(AuditAction.AUTH_LOGIN_FAILED, user, outcome=Outcome.DENIED)
        raise LoginFailed(LOGIN_FAILED_MESSAGE)
    if not _password_matches(user.password_hash, password):
        _audit(AuditAction.AUTH_LOGIN_FAILED, user, outcome=Outcome.DENIED)
        _register_failure(user, now)
        raise LoginFailed(LOGIN_FAILED_MESSAGE)
    _release_attempt(user)
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code equals ``code``, allowing one step of clock drift."""
    code = code.strip().replace(" ", "")
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current, current - 1, current + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(step), code):
            return step
    return None


def check_second_factor(user: User, code: str) -> None:
    """Second login step, or confirmation of a new enrolment.

    A code is accepted at most once: a step at or before the last accepted one is refused,
    so a code seen over someone's shoulder cannot be replayed. Attempts count towards the
    lockout like passwords.
    """
    now = current_runtime().clock.now()
    secret = user.totp_secret
    if not user.is_active or not secret or not _claim_attempt(user, now):
        _audit(AuditAction.AUTH_TOTP_FAILED, user, outcome=Outcome.DENIED)
        raise SecondFactorFailed(_l("The code was not accepted."), field="code")
    if user.has_second_factor and _looks_like_recovery_code(code):
        if not _use_recovery_code(user, code, now):
            _audit(AuditAction.AUTH_TOTP_FAILED, user, outcome=Outcome.DENIED)
            _register_failure(user, now)
            raise SecondFactorFailed(_l("The code was not accepted."), field="code")
        _release_attempt(user)
        _audit(AuditAction.AUTH_RECOVERY_CODE_USED, user)
        return
    step = _matching_step(secret, code, now)
    # The step is taken in one conditional UPDATE, not checked in Python and then written:
    # two logins sending the same code at once would both pass such a check. Only one
    # UPDATE can move totp_last_step to this step; the other matches no row.
    if step is None or not _update_user(
        user,
        or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        totp_last_step=step,
    ):
        _audit(AuditAction.AUTH_TOTP_FAILED, user, outcome=Outcome.DENIED)
        _register_failure(user, now)
        raise SecondFactorFailed(_l("The code was not accepted."), field="code")
    _release_attempt(user)


def requires_second_factor(user: User) -> bool:
    """Whether ``user`` must have a TOTP second factor to log in.

    Demo accounts are exempt in development mode only (production refuses demo data).
    """
    config = current_runtime().config
    if user.is_demo and config.is_development:
        return False
    return config.requires_second_factor


def complete_login(user: User) -> None:
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = current_runtime().clock.now()
    _audit(AuditAction.AUTH_LOGIN_SUCCEEDED, user)


def begin_enrolment(user: User) -> str:
    """Give ``user`` a new, unconfirmed TOTP secret and return its otpauth URI."""
    if user.has_second_factor:
        raise AccountInvalid(_l("The account already has a second factor."), field="code")
    secret = pyotp.random_base32()
    user.totp_secret = secret
    user.totp_last_step = None
    return provisioning_uri(user)


def provisioning_uri(user: User) -> str:
    secret = user.totp_secret
    if not secret:
        raise AccountInvalid(_l("No enrolment is in progress."), field="code")
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=TOTP_ISSUER)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Confirm the new second factor with a code from it; returns the account's recovery
    codes, to be shown once."""
    check_second_factor(user, code)
    user.totp_enrolled_at = current_runtime().clock.now()
    _end_access(None, user)
    _audit(AuditAction.AUTH_TOTP_ENROLLED, user)
    return _new_recovery_codes(user)


RECOVERY_CODES = 10
# No 0/o, 1/l/i: a code is read off paper and typed.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _recovery_hash(code: str) -> str:
    clean = code.strip().lower().replace("-", "").replace(" ", "")
    return hashlib.sha256(f"recovery:{clean}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with ten new ones and return them: 50 random
    bits each, in two groups of five."""
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    now = current_runtime().clock.now()
    codes: list[str] = []
    while len(codes) < RECOVERY_CODES:
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        if _looks_like_recovery_code(raw):  # digits alone would read as an app's code
            codes.append(f"{raw[:5]}-{raw[5:]}")
    db.session.add_all(
        RecoveryCode(user_id=user.id, code_hash=_recovery_hash(code), created_at=now)
        for code in codes
    )
    db.session.flush()
    return codes


def regenerate_recovery_codes(user: User, *, password: str) -> list[str]:
    """New recovery codes for the user's own account, after the password again; the old ones
    stop working."""
    if not user.has_second_factor:
        raise AccountInvalid(_l("Set up a second factor first."), field="password")
    if not _password_matches(user.password_hash, password):
        _audit(AuditAction.AUTH_RECOVERY_CODES_ISSUED, user, outcome=Outcome.DENIED)
        raise AccountInvalid(_l("The password is not correct."), field="password")
    codes = _new_recovery_codes(user)
    _audit(AuditAction.AUTH_RECOVERY_CODES_ISSUED, user)
    return codes


def unused_recovery_codes(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count(RecoveryCode.id)).where(
                RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)
            )
        )
        or 0
    )


def _looks_like_recovery_code(code: str) -> bool:
    return any(character.isalpha() for character in code)


def _use_recovery_code(user: User, code: str, now: datetime) -> bool:
    """Spend one of the account's recovery codes: one conditional UPDATE, so two logins
    sending the same code at once cannot both use it."""
    result = db.session.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    assert isinstance(result, CursorResult)
    return result.rowcount == 1


def _end_access(actor: User | None, user: User) -> None:
    """After a change to the account's credentials or role: every session and every API
    token of the account ends, so nothing made under the old ones acts under the new."""
    end_sessions_of_user(user.id)
    revoke_all_tokens(actor, user)


def change_password(user: User, *, current: str, new: str, repeat: str) -> None:
    """Change the user's own password; every session and API token of the user ends."""
    if not _password_matches(user.password_hash, current):
        _audit(AuditAction.AUTH_PASSWORD_CHANGED, user, outcome=Outcome.DENIED)
        raise AccountInvalid(_l("The current password is not correct."), field="current_password")
    _check_password_strength(new, "new_password")
    if new != repeat:
        raise AccountInvalid(_l("The passwords do not match."), field="repeat_password")
    if new == current:
        raise AccountInvalid(
            _l("Choose a new password, not the current one."), field="new_password"
        )
    user.password_hash = hash_password(new)
    user.password_changed_at = current_runtime().clock.now()
    user.must_change_password = False
    _end_access(None, user)
    _audit(AuditAction.AUTH_PASSWORD_CHANGED, user)


def _same_clinic(actor: User | None, user: User) -> None:
    if actor is not None and actor.clinic_id != user.clinic_id:
        raise AccountInvalid(_l("The account does not exist."), field="user")


def disable_user(actor: User | None, user: User) -> None:
    _same_clinic(actor, user)
    if actor is not None and actor.id == user.id:
        raise AccountInvalid(_l("You cannot disable your own account."), field="user")
    if user.disabled_at is None:
        user.disabled_at = current_runtime().clock.now()
    end_sessions_of_user(user.id)
    _audit(AuditAction.USER_DISABLED, user, actor)


def unlock_user(actor: User | None, user: User) -> None:
    """Open an account locked after failed logins before its lockout ends."""
    _same_clinic(actor, user)
    if account_status(user) != LOCKED:
        raise AccountInvalid(_l("The account is not locked."), field="user")
    _update_user(user, locked_until=None, failed_logins=0)
    _audit(AuditAction.USER_UNLOCKED, user, actor)


def reactivate_user(actor: User | None, user: User) -> None:
    """Let a disabled account log in again. It keeps its role and second factor; the
    password is the one it had."""
    _same_clinic(actor, user)
    if user.disabled_at is None:
        raise AccountInvalid(_l("The account is not disabled."), field="user")
    _update_user(user, disabled_at=None, locked_until=None, failed_logins=0)
    _audit(AuditAction.USER_REACTIVATED, user, actor)


DISABLED = "disabled"
LOCKED = "locked"
NEVER_LOGGED_IN = "never_logged_in"
ACTIVE = "active"


def account_status(user: User) -> str:
    """What stands in the account's way, the first that applies: disabled, locked (until its
    lockout ends), never logged in, or active."""
    if user.disabled_at is not None:
        return DISABLED
    if user.locked_until is not None and user.locked_until > current_runtime().clock.now():
        return LOCKED
    if user.last_login_at is None:
        return NEVER_LOGGED_IN
    return ACTIVE


def reset_second_factor(actor: User | None, user: User) -> None:
    """Remove the user's TOTP; they enrol again at their next login."""
    _same_clinic(actor, user)
    user.totp_secret = None
    user.totp_enrolled_at = None
    user.totp_last_step = None
    _end_access(actor, user)
    _audit(AuditAction.USER_MFA_RESET, user, actor)


def reset_password(actor: User | None, user: User) -> str:
    """Give the user a new one-time password and return it, to be shown once.

    The user must replace it at the next login; every session and API token of the account
    ends. An administrator changes their own password on their account page instead.
    """
    _same_clinic(actor, user)
    if actor is not None and actor.id == user.id:
        raise AccountInvalid(_l("Change your own password on your account page."), field="user")
    password = secrets.token_urlsafe(15)
    user.password_hash = hash_password(password)
    user.password_changed_at = current_runtime().clock.now()
    user.must_change_password = True
    _end_access(actor, user)
    _audit(AuditAction.USER_PASSWORD_RESET, user, actor)
    return password


def change_role(actor: User | None, user: User, role: str) -> None:
    """Give the user another role; every session and API token of the account ends, so
    nothing keeps acting with the old role."""
    _same_clinic(actor, user)
    if actor is not None and actor.id == user.id:
        raise AccountInvalid(_l("You cannot change your own role."), field="role")
    try:
        Role(role)
    except ValueError:
        raise AccountInvalid(_l("Choose a valid role."), field="role") from None
    if role == user.role:
        raise AccountInvalid(_l("The account already has that role."), field="role")
    user.role = role
    _end_access(actor, user)
    _audit(AuditAction.USER_ROLE_CHANGED, user, actor)


def users_of_clinic(actor: User) -> list[User]:
    return list(
        db.session.scalars(
            select(User).where(User.clinic_id == actor.clinic_id).order_by(User.username)
        )
    )


def user_in_clinic(actor: User, user_id: int) -> User | None:
    return db.session.scalar(
        select(User).where(User.id == user_id, User.clinic_id == actor.clinic_id)
    )
