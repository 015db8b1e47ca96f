"""Sessions: a signed cookie until the session holds something worth a row, then server-side.

A signed cookie cannot be revoked, so a session that logs someone in (or is halfway through
logging in) lives in the ``web_session`` table, and its cookie carries only a random token.
Logout, a password or second-factor change and disabling an account delete rows, and the
next request with an old cookie is anonymous.

A visitor who is not logging in holds nothing but a CSRF token and perhaps a chosen language.
Keeping those in the table too would let anyone make the database write at the rate they can
send requests, so they live in a second cookie instead: signed with the web secret (it can be
read but not forged), and honoured for :data:`ANONYMOUS_MAX_AGE` only. The first request that
stores anything else (the pending step of a login, the logged-in user) makes the row and
deletes that cookie; logout deletes both.

With ``server.tls`` both cookies carry the ``__Host-`` prefix: a browser then accepts them
only over HTTPS, from this host, for the whole site and without a Domain, so no sibling
subdomain can plant or overwrite one. Browsers refuse such cookies over plain HTTP, so
without TLS the names stay plain.

The store writes through its own short transactions on the engine, never through the
request's ``db.session``: saving a session must not commit a view's unfinished work. Opening
one reads its row through ``db.session``, before the view has done anything, so that the
request uses one connection.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, cast

from flask import Flask, Request, Response
from flask import session as flask_session
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import (
    ColumnElement,
    CursorResult,
    ScalarSelect,
    Select,
    Table,
    bindparam,
    delete,
    insert,
    select,
    update,
)
from werkzeug.datastructures import CallbackDict

from partnercontact.auth.models import User, WebSession
from partnercontact.db import db
from partnercontact.runtime import current_runtime

COOKIE_NAME = "pc_session"
ANONYMOUS_COOKIE_NAME = "pc_anonymous"
HOST_PREFIX = "__Host-"
TABLE: Table = WebSession.metadata.tables[WebSession.__tablename__]
_ACCOUNT_ID: ColumnElement[int] = WebSession.metadata.tables[User.__tablename__].c.id

# What an anonymous visitor's session may hold without a row: Flask-WTF's CSRF token and the
# chosen language. Any other key makes the row.
ANONYMOUS_KEYS = frozenset({"csrf_token", "locale"})
# How long an anonymous cookie is honoured after it was last signed. A form older than that
# fails its CSRF check with the ordinary "the form had expired" answer. A cookie older than
# ANONYMOUS_RESIGN is signed again when it is next sent, so a language chosen stays chosen
# while the visitor keeps coming back.
ANONYMOUS_MAX_AGE = timedelta(hours=2)
ANONYMOUS_RESIGN = timedelta(minutes=10)
_ANONYMOUS_SALT = "partnercontact.anonymous-session"
# A cookie longer than this is no cookie of ours, and is not even checked.
_MAX_COOKIE_LENGTH = 4096


def cookie_names(tls: bool) -> tuple[str, str]:
    """The names of the session cookie and the anonymous cookie."""
    prefix = HOST_PREFIX if tls else ""
    return prefix + COOKIE_NAME, prefix + ANONYMOUS_COOKIE_NAME


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# How stale last_seen_at may get before a request that changed nothing writes it again.
TOUCH_INTERVAL = timedelta(seconds=60)

# Counts every page of an account shows (the navigation's), read in the statement that reads
# the session's row instead of in one statement each; by name, each a count correlated to the
# account's id. Nothing personal: numbers of the account's own things.
AccountCount = Callable[[ColumnElement[int]], ScalarSelect[int]]
_COUNTS_READ_WITH_SESSION: dict[str, AccountCount] = {}


def read_with_session(name: str, count: AccountCount) -> None:
    """Read ``count`` of the session's account with every session's row, under ``name``
    (:func:`count_read_with_session`). Registered when the application is made."""
    _COUNTS_READ_WITH_SESSION[name] = count


# The statement that reads a session's row, built once for the counts registered when it was
# first needed: building it per request cost more than running it.
_row_statements: dict[tuple[str, ...], Select[Any]] = {}


def _row_statement() -> tuple[tuple[str, ...], Select[Any]]:
    names = tuple(_COUNTS_READ_WITH_SESSION)
    statement = _row_statements.get(names)
    if statement is None:
        statement = (
            select(
                TABLE.c.created_at,
                TABLE.c.last_seen_at,
                TABLE.c.data,
                User,
                *(_COUNTS_READ_WITH_SESSION[name](_ACCOUNT_ID) for name in names),
            )
            .outerjoin(User, User.id == TABLE.c.user_id)
            .where(TABLE.c.token_hash == bindparam("token_hash"))
        )
        _row_statements[names] = statement
    return names, statement


def count_read_with_session(name: str) -> int | None:
    """The count ``name`` of the request's account, read with its session's row; None where
    there was no row (an anonymous visitor, a request with an API token) or no such count."""
    session = flask_session
    if not isinstance(session, ServerSession):
        return None
    return session.counts.get(name)


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
        # What the request brought besides a live row: an anonymous cookie (and whether it
        # is due to be signed again), a session cookie whose row is gone.
        self.had_anonymous_cookie = False
        self.resign_anonymous = False
        self.had_dead_cookie = False
        # The account the row names, read with the row (None for none): the login manager's
        # loader then finds it in the session's identity map instead of asking again. Held
        # here because the identity map keeps only rows something refers to.
        self.account: User | None = None
        # The counts read with the row (read_with_session), by name.
        self.counts: dict[str, int] = {}

    @property
    def anonymous(self) -> bool:
        """True while the session holds nothing that needs a row."""
        return self.token is None and set(self) <= ANONYMOUS_KEYS

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
    assert isinstance(result, CursorResult)
    return result.rowcount or 0


def purge_expired_sessions(now: datetime, idle: timedelta, absolute: timedelta) -> int:
    """Delete sessions past their idle or absolute lifetime (a worker duty)."""
    result = db.session.execute(
        delete(WebSession).where(
            (WebSession.last_seen_at < now - idle) | (WebSession.created_at < now - absolute)
        )
    )
    assert isinstance(result, CursorResult)
    return result.rowcount or 0


def current_session() -> ServerSession:
    """The current request's session, as :class:`ServerSessionInterface` opened it."""
    if not isinstance(flask_session, ServerSession):
        raise RuntimeError("the session was not opened by ServerSessionInterface")
    return flask_session


class _ClockSigner(TimestampSigner):
    """Signs with the time of the runtime's clock, so that expiry follows the clock the rest
    of the service (and its tests) runs on."""

    def get_timestamp(self) -> int:
        return int(current_runtime().clock.now().timestamp())


def _anonymous_serializer(app: Flask) -> URLSafeTimedSerializer:
    if app.secret_key is None:
        raise RuntimeError("the application has no secret key to sign sessions with")
    return URLSafeTimedSerializer(app.secret_key, salt=_ANONYMOUS_SALT, signer=_ClockSigner)


class ServerSessionInterface(SessionInterface):
    def _lifetimes(self) -> tuple[timedelta, timedelta]:
        auth = current_runtime().config.auth
        return (
            timedelta(minutes=auth.session_idle_minutes),
            timedelta(hours=auth.session_absolute_hours),
        )

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        session_name, anonymous_name = cookie_names(current_runtime().config.server.tls)
        token = request.cookies.get(session_name)
        if token:
            session = self._open_row(token)
            if session is not None:
                session.had_anonymous_cookie = anonymous_name in request.cookies
                return session
        session = self._open_anonymous(app, request.cookies.get(anonymous_name))
        session.had_anonymous_cookie = anonymous_name in request.cookies
        session.had_dead_cookie = bool(token)
        return session

    def _open_row(self, token: str) -> ServerSession | None:
        if len(token) > 128:
            return None
        now = current_runtime().clock.now()
        idle, absolute = self._lifetimes()
        # Read on the request's own connection, which its view then goes on using: one
        # connection and one transaction a request instead of two. Nothing has happened in
        # that transaction yet, so committing an expired session's removal commits only that.
        names, statement = _row_statement()
        row = db.session.execute(statement, {"token_hash": hash_token(token)}).first()
        if row is None:
            return None
        created_at = row.created_at
        if row.last_seen_at + idle < now or created_at + absolute < now:
            db.session.execute(delete(TABLE).where(TABLE.c.token_hash == hash_token(token)))
            db.session.commit()
            return None
        session = ServerSession(
            json.loads(row.data), token=token, created_at=created_at, last_seen_at=row.last_seen_at
        )
        session.account = row.User
        if row.User is not None:
            read = cast("tuple[int, ...]", tuple(row)[4:])
            session.counts = {name: int(value) for name, value in zip(names, read, strict=True)}
        return session

    def _open_anonymous(self, app: Flask, cookie: str | None) -> ServerSession:
        if not cookie or len(cookie) > _MAX_COOKIE_LENGTH:
            return ServerSession()
        serializer = _anonymous_serializer(app)
        try:
            data, signed_at = serializer.loads(
                cookie, max_age=int(ANONYMOUS_MAX_AGE.total_seconds()), return_timestamp=True
            )
        except BadSignature:  # forged, or expired (SignatureExpired is a BadSignature)
            return ServerSession()
        if not isinstance(data, dict):
            return ServerSession()
        # Only the anonymous keys are ever written there; anything else is ignored.
        session = ServerSession({k: v for k, v in data.items() if k in ANONYMOUS_KEYS})
        session.resign_anonymous = current_runtime().clock.now() - signed_at >= ANONYMOUS_RESIGN
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        assert isinstance(session, ServerSession)
        secure = current_runtime().config.server.tls
        session_name, anonymous_name = cookie_names(secure)

        def drop(name: str) -> None:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")

        if session.replaced_token or session.ended:
            with db.engine.begin() as conn:
                for token in (session.replaced_token, session.token if session.ended else None):
                    if token:
                        conn.execute(delete(TABLE).where(TABLE.c.token_hash == hash_token(token)))
        if session.ended:
            drop(session_name)
            drop(anonymous_name)
            return
        if session.anonymous:
            if session.had_dead_cookie:
                drop(session_name)  # its row is gone: no need to look it up again
            self._save_anonymous(app, session, response, anonymous_name, drop)
            return
        if session.had_anonymous_cookie:
            # The row holds it all now, the CSRF token and the language included.
            drop(anonymous_name)
        if not self._save_row(session):
            drop(session_name)
            return
        assert session.token is not None
        response.set_cookie(
            session_name,
            session.token,
            httponly=True,
            secure=secure,
            samesite="Lax",
            path="/",
        )

    def _save_anonymous(
        self,
        app: Flask,
        session: ServerSession,
        response: Response,
        name: str,
        drop: Callable[[str], None],
    ) -> None:
        if not session:
            if session.had_anonymous_cookie:
                drop(name)
            return
        if session.had_anonymous_cookie and not (session.modified or session.resign_anonymous):
            return
        response.set_cookie(
            name,
            _anonymous_serializer(app).dumps(dict(session)),
            max_age=int(ANONYMOUS_MAX_AGE.total_seconds()),
            httponly=True,
            secure=current_runtime().config.server.tls,
            samesite="Lax",
            path="/",
        )

    def _save_row(self, session: ServerSession) -> bool:
        """Write the session's row; False if it was revoked while the request ran."""
        now = current_runtime().clock.now()
        if session.token is None:
            session.token = secrets.token_urlsafe(32)
            session.created_at = now
            with db.engine.begin() as conn:
                conn.execute(
                    insert(TABLE).values(
                        token_hash=hash_token(session.token),
                        user_id=_user_id(session),
                        created_at=now,
                        last_seen_at=now,
                        data=json.dumps(dict(session)),
                    )
                )
            return True
        if (
            not session.modified
            and session.last_seen_at is not None
            and now - session.last_seen_at < TOUCH_INTERVAL
        ):
            # Seen moments ago and unchanged: the idle lifetime is counted in minutes, so a
            # write per page view would buy nothing but a commit on every request.
            return True
        # UPDATE, never upsert: a session revoked while this request ran stays revoked
        # instead of being written back.
        values: dict[str, Any] = {"last_seen_at": now}
        if session.modified:
            values["data"] = json.dumps(dict(session))
            values["user_id"] = _user_id(session)
        with db.engine.begin() as conn:
            result = conn.execute(
                update(TABLE)
                .where(TABLE.c.token_hash == hash_token(session.token))
                .values(**values)
            )
        return bool(result.rowcount)


def _user_id(session: ServerSession) -> int | None:
    raw = session.get("_user_id")
    return int(raw) if raw is not None else None
