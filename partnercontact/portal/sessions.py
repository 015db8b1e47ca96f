"""Her portal session: a random token in a signed cookie of the portal's own name, and a row
in ``portal_session`` that says whose it is. The row is the session: quick exit, closing her
access or her treater's revocation deletes it, and the old cookie opens nothing. Idle and
absolute lifetimes (``portal.session_*``) are checked on the server at every request.

The cookie itself (Flask's signed cookie, under the portal's name) holds only the token, the
form token and a chosen language.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from flask import g, session
from sqlalchemy import delete, select

from partnercontact.auth.sessions import TOUCH_INTERVAL
from partnercontact.db import db
from partnercontact.partner_side import portal_access
from partnercontact.portal.models import PortalSession
from partnercontact.runtime import current_runtime

# The key under which the cookie carries her session token (the name, not a secret).
TOKEN_KEY = "sid"  # noqa: S105


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start(identity: portal_access.PortalIdentity) -> None:
    """Log her in: a fresh token (a session id never carries over from before login)."""
    end()
    token = secrets.token_urlsafe(32)
    now = current_runtime().clock.now()
    db.session.add(
        PortalSession(
            token_hash=_hash(token), access_id=identity.access_id, created_at=now, last_seen_at=now
        )
    )
    session.clear()
    session[TOKEN_KEY] = token
    g.portal_identity = identity


def end() -> None:
    """End the session on the server and forget the cookie's contents."""
    token = session.get(TOKEN_KEY)
    if isinstance(token, str):
        db.session.execute(delete(PortalSession).where(PortalSession.token_hash == _hash(token)))
    session.clear()
    g.portal_identity = None


def current() -> portal_access.PortalIdentity | None:
    """Her identity for this request, or None: no token, no row, past a lifetime, or an
    access that was revoked, closed or locked since."""
    if "portal_identity" in g:
        return g.portal_identity
    g.portal_identity = None
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str):
        return None
    row = db.session.scalar(select(PortalSession).where(PortalSession.token_hash == _hash(token)))
    if row is None:
        session.clear()
        return None
    config = current_runtime().config.portal
    now = current_runtime().clock.now()
    idle = timedelta(minutes=config.session_idle_minutes)
    absolute = timedelta(minutes=config.session_absolute_minutes)
    identity = portal_access.still_valid(row.access_id)
    if identity is None or now - row.last_seen_at > idle or now - row.created_at > absolute:
        db.session.delete(row)
        db.session.commit()
        session.clear()
        return None
    # A request within a minute of the last one writes nothing: the idle lifetime is minutes.
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
        db.session.commit()
    g.portal_identity = identity
    return identity


def purge_expired(now: datetime) -> int:
    """Delete sessions past either lifetime (the worker's daily duty)."""
    config = current_runtime().config.portal
    done = db.session.execute(
        delete(PortalSession).where(
            (PortalSession.last_seen_at < now - timedelta(minutes=config.session_idle_minutes))
            | (PortalSession.created_at < now - timedelta(minutes=config.session_absolute_minutes))
        )
    )
    return int(done.rowcount or 0)  # type: ignore[attr-defined]
