"""Personal API tokens: how an integration acts as one user.

A token is ``pc_`` and ``secrets.token_urlsafe(32)`` (256 random bits). The rules:

- only its SHA-256 is stored; the token is shown once, when it is made. Unsalted SHA-256 is
  enough for 256 random bits, and it keeps the per-request look-up one indexed query;
- it acts as its owner with the role and the second-factor enrolment the owner had when it
  was made. If either changes, the account is disabled or must change its password, the
  token answers nothing; a password change, a new or reset second factor, an
  administrator's password reset and a role change also revoke every live token of the
  owner, so changing a role back does not bring a token back;
- it expires (at most a year, three months unless chosen otherwise) and its owner can revoke
  it at any time;
- a token that does not answer is indistinguishable from one that never existed.

Functions flush, never commit, and write their audit entry in the caller's transaction.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select

from partnercontact.audit.service import record_event
from partnercontact.audit.tags import AuditAction
from partnercontact.auth.errors import AccountInvalid
from partnercontact.auth.models import ApiToken, User
from partnercontact.db import db
from partnercontact.errors import NotFound
from partnercontact.i18n import _l
from partnercontact.runtime import current_runtime

PREFIX = "pc_"
DEFAULT_DAYS = 90
MAX_DAYS = 365
MAX_LABEL = 80
# An owner's live tokens: enough for a few integrations, few enough to review at a glance.
MAX_ACTIVE = 10
# last_used_at is a hint for the owner, not a record: written at most this often per token,
# so a busy integration does not turn every read into a write.
USE_RESOLUTION = timedelta(minutes=5)
_TOKEN = re.compile(r"pc_[A-Za-z0-9_-]{43}")


class TokenNotFound(NotFound):
    pass


@dataclass(frozen=True)
class NewToken:
    """A token just made, with its secret: the only moment the secret exists here."""

    token: ApiToken
    secret: str


def _now() -> datetime:
    return current_runtime().clock.now()


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def _audit(action: AuditAction, owner: User, token: ApiToken, actor: User | None = None) -> None:
    record_event(
        action,
        actor_id=(actor or owner).id,
        clinic_id=owner.clinic_id,
        resource_type="api_token",
        resource_id=str(token.id),
    )


def _active(owner: User, now: datetime) -> Select[ApiToken]:
    return select(ApiToken).where(
        ApiToken.user_id == owner.id,
        ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now,
    )


def tokens_of(owner: User) -> list[ApiToken]:
    """The owner's tokens, live ones first, newest first within each group."""
    tokens = db.session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == owner.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id)
    )
    now = _now()
    return sorted(tokens, key=lambda token: not is_live(token, now))


def is_live(token: ApiToken, now: datetime) -> bool:
    return token.revoked_at is None and token.expires_at > now


def issue_token(owner: User, *, label: str, days: int | None = None) -> NewToken:
    """A new token for ``owner``. Validates everything before writing anything."""
    label = (label or "").strip()
    if not label or len(label) > MAX_LABEL or not label.isprintable():
        raise AccountInvalid(
            _l("Name the token (at most 80 characters), e.g. after the integration using it."),
            field="label",
        )
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise AccountInvalid(_l("A token is valid for 1 to 365 days."), field="days")
    now = _now()
    if len(list(db.session.scalars(_active(owner, now)))) >= MAX_ACTIVE:
        raise AccountInvalid(
            _l("You have 10 tokens in use. Revoke one you no longer need first."), field="label"
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        id=uuid.uuid4(),
        user_id=owner.id,
        role=owner.role,
        label=label,
        token_hash=hash_token(secret),
        created_at=now,
        expires_at=now + timedelta(days=days),
        enrolled_at=owner.totp_enrolled_at,
    )
    db.session.add(token)
    db.session.flush()
    _audit(AuditAction.API_TOKEN_ISSUED, owner, token)
    return NewToken(token, secret)


def revoke_token(owner: User, token_id: uuid.UUID) -> ApiToken:
    """Revoke one of the owner's tokens; revoking a revoked one changes nothing."""
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == owner.id)
    )
    if token is None:
        raise TokenNotFound(_l("There is no such token among yours."), field="token")
    if token.revoked_at is None:
        token.revoked_at = _now()
        db.session.flush()
        _audit(AuditAction.API_TOKEN_REVOKED, owner, token)
    return token


def revoke_all_tokens(actor: User | None, owner: User) -> int:
    """Revoke every live token of ``owner`` (after a change to the account's credentials or
    role); ``actor`` is None from the command line. Returns how many were revoked."""
    now = _now()
    tokens = list(db.session.scalars(_active(owner, now)))
    for token in tokens:
        token.revoked_at = now
    db.session.flush()
    for token in tokens:
        _audit(AuditAction.API_TOKEN_REVOKED, owner, token, actor)
    return len(tokens)


def user_for_token(secret: str) -> User | None:
    """The user a presented token acts as, or None for anything that must answer 401."""
    if not _TOKEN.fullmatch(secret):
        return None
    now = _now()
    # Found by its hash in a unique index: the secret itself is never compared, so the
    # timing says nothing about how close a guess came.
    token = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(secret),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
        )
    )
    if token is None:
        return None
    owner = db.session.get(User, token.user_id)
    # Bound to what the owner was when it was made: a token from before a role change or a
    # new second factor is dead even if revoking it was missed, and one must not act for an
    # account that has yet to replace a password an administrator gave it.
    if (
        owner is None
        or not owner.is_active
        or owner.role != token.role
        or owner.totp_enrolled_at != token.enrolled_at
        or owner.must_change_password
    ):
        return None
    if token.last_used_at is None or now - token.last_used_at >= USE_RESOLUTION:
        token.last_used_at = now
        db.session.flush()
    return owner
