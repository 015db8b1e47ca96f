"""Server-side sessions.

A signed cookie cannot be revoked, so the cookie here carries only a random token and the
session lives in the ``web_session`` table. Logout, a password or second-factor change and
disabling an account delete rows, and the next request with an old cookie is anonymous.

The store writes through its own short transactions on the engine, never through the
request's ``db.session``: saving a session must not commit a view's unfinished work.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import delete, insert, select, update
from werkzeug.datastructures import CallbackDict

from partnercontact.auth.models import WebSession
from partnercontact.db import db
from partnercontact.runtime import current_runtime

COOKIE_NAME = "pc_session"
TABLE = WebSession.__table__


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# How stale last_seen_at may get before a request that changed nothing writes it again.
TOUCH_INTERVAL = timedelta(seconds=60)


class ServerSession(CallbackDict[str, Any], SessionMixin):
    """The session of one request. ``token`` is None until something is stored."""

    def __init__(
        self,
        initial: dict[str, Any] | None = None,
        *,
        token: str | None = None,
        created_at: datetime | None = None,
        last_seen_at: datetime | None = None,
    ) -> None:
        def on_update(_: CallbackDict[str, Any]) -> None:
            self.modified = True

        super().__init__(initial or {}, on_update)
        self.token = token
        self.created_at = created_at
        self.last_seen_at = last_seen_at
        self.modified = False
        self.ended = False
        self.replaced_token: str | None = None

    @property
    def new(self) -> bool:  # type: ignore[override]
        return self.token is None or self.replaced_token is not None

    def regenerate(self) -> None:
        """Give this session a fresh id (at login), dropping the old one server-side."""
        if self.token is not None and self.replaced_token is None:
            self.replaced_token = self.token
        self.token = None
        self.created_at = None
        self.modified = True

    def end(self) -> None:
        """End this session: the row is deleted and the cookie cleared."""
        self.clear()
        self.ended = True


def end_sessions_of_user(user_id: int) -> int:
    """Delete every session of ``user_id`` in the caller's transaction.

    Used when the user logs out, changes password or second factor, or is disabled, so it
    commits together with that change.
    """
    result = db.session.execute(delete(WebSession).where(WebSession.user_id == user_id))
    return result.rowcount or 0


def purge_expired_sessions(now: datetime, idle: timedelta, absolute: timedelta) -> int:
    """Delete sessions past their idle or absolute lifetime (a worker duty)."""
    result = db.session.execute(
        delete(WebSession).where(
            (WebSession.last_seen_at < now - idle) | (WebSession.created_at < now - absolute)
        )
    )
    return result.rowcount or 0


class ServerSessionInterface(SessionInterface):
    def _lifetimes(self) -> tuple[timedelta, timedelta]:
        auth = current_runtime().config.auth
        return (
            timedelta(minutes=auth.session_idle_minutes),
            timedelta(hours=auth.session_absolute_hours),
        )

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        token = request.cookies.get(COOKIE_NAME)
        if not token or len(token) > 128:
            return ServerSession()
        now = current_runtime().clock.now()
        idle, absolute = self._lifetimes()
        with db.engine.begin() as conn:
            row = conn.execute(
                select(TABLE.c.created_at, TABLE.c.last_seen_at, TABLE.c.data).where(
                    TABLE.c.token_hash == hash_token(token)
                )
            ).first()
            if row is None:
                return ServerSession()
            created_at = row.created_at
            if row.last_seen_at + idle < now or created_at + absolute < now:
                conn.execute(delete(TABLE).where(TABLE.c.token_hash == hash_token(token)))
                return ServerSession()
        return ServerSession(
            json.loads(row.data), token=token, created_at=created_at, last_seen_at=row.last_seen_at
        )

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        secure = current_runtime().config.server.tls
        now = current_runtime().clock.now()
        with db.engine.begin() as conn:
            if session.replaced_token:
                conn.execute(
                    delete(TABLE).where(TABLE.c.token_hash == hash_token(session.replaced_token))
                )
            if session.ended:
                if session.token:
                    conn.execute(
                        delete(TABLE).where(TABLE.c.token_hash == hash_token(session.token))
                    )
                response.delete_cookie(COOKIE_NAME, path="/", secure=secure, httponly=True)
                return
            if session.token is None:
                if not session:
                    return
                session.token = secrets.token_urlsafe(32)
                session.created_at = now
                conn.execute(
                    insert(TABLE).values(
                        token_hash=hash_token(session.token),
                        user_id=_user_id(session),
                        created_at=now,
                        last_seen_at=now,
                        data=json.dumps(dict(session)),
                    )
                )
            elif (
                not session.modified
                and session.last_seen_at is not None
                and now - session.last_seen_at < TOUCH_INTERVAL
            ):
                # Seen moments ago and unchanged: the idle lifetime is counted in minutes, so
                # a write per page view would buy nothing but a commit on every request.
                pass
            else:
                # UPDATE, never upsert: a session revoked while this request ran stays
                # revoked instead of being written back.
                values: dict[str, Any] = {"last_seen_at": now}
                if session.modified:
                    values["data"] = json.dumps(dict(session))
                    values["user_id"] = _user_id(session)
                result = conn.execute(
                    update(TABLE)
                    .where(TABLE.c.token_hash == hash_token(session.token))
                    .values(**values)
                )
                if not result.rowcount:
                    response.delete_cookie(COOKIE_NAME, path="/", secure=secure, httponly=True)
                    return
        response.set_cookie(
            COOKIE_NAME,
            session.token,
            httponly=True,
            secure=secure,
            samesite="Lax",
            path="/",
        )


def _user_id(session: ServerSession) -> int | None:
    raw = session.get("_user_id")
    return int(raw) if raw is not None else None
