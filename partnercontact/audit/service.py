"""Recording audit events.

:func:`record_event` is the only writer of ``audit_event``. It adds one row in the caller's
transaction and inserts it at once, never commits: the entry is kept exactly when the work it
describes is kept, and a caller that wants a refused attempt on record commits it
explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar, cast

from sqlalchemy import Table, insert, select, text
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import SessionTransaction

from partnercontact.audit.chain import GENESIS_MAC, EventFields, check_key, compute_mac
from partnercontact.audit.errors import InvalidAuditEvent
from partnercontact.audit.models import RESOURCE_ID_MAX, RESOURCE_TYPE_MAX, AuditEvent
from partnercontact.audit.tags import AuditAction, Outcome
from partnercontact.db import db
from partnercontact.runtime import current_runtime

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, scoped_session

    from partnercontact.clock import Clock

_Tag = TypeVar("_Tag", bound=StrEnum)

# The PostgreSQL advisory lock that serialises appends to the chain. One fixed 64-bit key
# ("pc_audit" in ASCII); no other code may take an advisory lock with this value.
AUDIT_CHAIN_LOCK_KEY = 0x70635F6175646974
# Keys of Session.info for events waiting for the commit (defer_appends_until_commit).
_DEFERRED = "partnercontact.audit_deferred"
_PENDING = "partnercontact.audit_pending"

# An event waiting for the commit: the row, its key, and the savepoint it was recorded in
# (None: outside any), so that rolling that savepoint back drops it as it would an inserted row.
_Pending = tuple[AuditEvent, bytes, SessionTransaction | None]

# Identifiers only. A resource type is a lowercase word ("user", "partner", "route"); a
# resource id is a key such as 42, a UUID or an endpoint name. Spaces, '@', '+' and
# anything outside ASCII are refused, which keeps names, e-mail addresses, phone numbers
# and sentences out of the log even if a caller passes the wrong variable.
_RESOURCE_TYPE = re.compile(rf"[a-z][a-z0-9_]{{0,{RESOURCE_TYPE_MAX - 1}}}")
_RESOURCE_ID = re.compile(rf"[A-Za-z0-9_.:\-]{{1,{RESOURCE_ID_MAX}}}")


def audit_mac_key(mac_key: bytes | None = None) -> bytes:
    """The key that MACs the chain: ``mac_key`` if given, else the running app's key ring's.

    Pass the key explicitly to work outside an application context (a CLI tool reading the
    key file itself, tests). Raises :class:`AuditKeyError` if the key is shorter than
    32 bytes.
    """
    return check_key(mac_key if mac_key is not None else current_runtime().keyring.audit_mac_key)


def audit_clock(clock: Clock | None = None) -> Clock:
    """The clock that dates events: ``clock`` if given, else the running app's clock."""
    return clock if clock is not None else current_runtime().clock


def record_event(
    action: AuditAction | str,
    *,
    actor_id: int | None,
    resource_type: str,
    resource_id: str | None = None,
    outcome: Outcome | str = Outcome.OK,
    clinic_id: int | None = None,
    clock: Clock | None = None,
    mac_key: bytes | None = None,
) -> AuditEvent:
    """Append one event to the audit chain in the current transaction of ``db.session``.

    ``action`` and ``outcome`` must be members (or values) of :class:`AuditAction` and
    :class:`Outcome`. ``actor_id`` is the acting user's id, or ``None`` for the system (a
    job, the command line, an anonymous visitor). ``resource_type`` is a lowercase
    identifier and ``resource_id`` an identifier of at most 128 characters from
    ``[A-Za-z0-9_.:-]``; anything else raises :class:`InvalidAuditEvent`, because the log
    must never hold free text or personal data.

    The row gets ``seq`` = the current last seq + 1 (1 for the first row), ``at`` = the
    clock's now, and ``mac`` = HMAC-SHA256 over all its fields and the previous row's mac
    (see :mod:`partnercontact.audit.chain`). The row is inserted at once, never committed; if
    the caller rolls back, the event and its seq disappear with the rest of the work and the
    next event reuses the seq, so the chain stays gapless.

    After :func:`defer_appends_until_commit` (web requests) or inside
    :func:`appends_at_commit` (the worker's batches), the event gets its ``seq`` and ``mac``
    when the transaction commits instead, and nothing is written here; rolling back the
    transaction, or the savepoint it was recorded in, drops it.
    """
    action_tag = _member(AuditAction, action, "action")
    outcome_tag = _member(Outcome, outcome, "outcome")
    _check_optional_id(actor_id, "actor_id")
    _check_optional_id(clinic_id, "clinic_id")
    if not isinstance(resource_type, str) or not _RESOURCE_TYPE.fullmatch(resource_type):
        raise InvalidAuditEvent("resource_type must be a lowercase identifier")
    if resource_id is not None and (
        not isinstance(resource_id, str) or not _RESOURCE_ID.fullmatch(resource_id)
    ):
        raise InvalidAuditEvent(
            f"resource_id must be 1 to {RESOURCE_ID_MAX} characters from [A-Za-z0-9_.:-]"
        )
    key = audit_mac_key(mac_key)
    at = audit_clock(clock).now()
    if at.tzinfo is None:
        raise InvalidAuditEvent("the clock returned a naive datetime")
    at = at.astimezone(UTC)

    session = db.session
    event = AuditEvent(
        at=at,
        actor_id=actor_id,
        clinic_id=clinic_id,
        action=action_tag.value,
        resource_type=resource_type,
        resource_id=resource_id,
        outcome=outcome_tag.value,
    )
    if session.info.get(_DEFERRED) or session.info.get(_PENDING):
        # The event belongs to the transaction: begun here if nothing else began it, so that
        # a rollback (which drops pending events) cannot pass it by. (Events already waiting
        # keep a later one waiting too: the chain's order is the order of recording.)
        session.connection()
        pending: list[_Pending] = session.info.setdefault(_PENDING, [])
        pending.append((event, key, db.session().get_nested_transaction()))
        return event
    _append(session, [(event, key)])
    return event


def defer_appends_until_commit() -> None:
    """From now until this session ends, events join the chain when the transaction commits.

    Used for web requests: the chain's lock is then held for the commit alone, not from a
    request's first audited read through the rendering of its page, which would make every
    audited request of every worker process wait for the slowest one. The events keep the
    moment they were recorded; a rollback drops them with the rest of the work.
    """
    db.session.info[_DEFERRED] = True


@contextmanager
def appends_at_commit() -> Iterator[None]:
    """Within the block, events join the chain when the transaction commits, as after
    :func:`defer_appends_until_commit`; afterwards the session appends as before.

    Used by the worker, whose batch of tasks is one transaction: each task's events still
    commit with its work (and vanish with it if its savepoint is rolled back), but the
    chain's lock is taken once, at the batch's commit, for one insert of the batch's events,
    instead of from the first audited task until the whole batch is done.
    """
    info = db.session.info
    already = info.get(_DEFERRED, False)
    info[_DEFERRED] = True
    try:
        yield
    finally:
        if not already:
            info.pop(_DEFERRED, None)


def _append(session: Session | scoped_session[Any], events: list[tuple[AuditEvent, bytes]]) -> None:
    prev_seq, prev_mac = _locked_tail(session)
    rows = []
    for event, key in events:
        fields = EventFields(
            seq=prev_seq + 1,
            at=event.at,
            actor_id=event.actor_id,
            clinic_id=event.clinic_id,
            action=event.action,
            resource_type=event.resource_type,
            resource_id=event.resource_id,
            outcome=event.outcome,
        )
        event.seq = fields.seq
        event.mac = compute_mac(key, fields, prev_mac)
        rows.append({column: getattr(event, column) for column in _COLUMNS})
        prev_seq, prev_mac = event.seq, event.mac
    # A plain insert of the rows on the transaction's connection, not the unit of work: the
    # rows are final, nothing reads them back in this transaction, and the chain's lock is
    # held while it runs. One row (the usual page) as one statement, not as a batch of one.
    session.connection().execute(_INSERT, rows[0] if len(rows) == 1 else rows)


_COLUMNS = tuple(column.name for column in AuditEvent.__table__.columns)
_INSERT = insert(cast(Table, AuditEvent.__table__))
_TAIL = select(AuditEvent.seq, AuditEvent.mac).order_by(AuditEvent.seq.desc()).limit(1)
# Two transactions that both read the tail before either inserts would both compute seq N+1
# from the same predecessor. The chain must never fork, so on PostgreSQL every append first
# takes one transaction-scoped advisory lock, then reads the tail:
#
# - A second appender waits at the lock until the first commits or rolls back, then (READ
#   COMMITTED: each statement takes a fresh snapshot) reads the new tail. So appends are
#   serialised cluster-wide, across every web and worker process, and rows commit in seq
#   order; a verifier never sees a transient gap.
# - The lock is held until the caller's transaction ends, not until the append returns. A
#   transaction that records an event early and then does slow work delays every other
#   audited action for that long: record events late, commit promptly.
# - Taking it again in the same transaction (several events) does not block.
# - It needs no privilege on the table, unlike SELECT ... FOR UPDATE, which needs the UPDATE
#   privilege that protect_audit_table revokes.
#
# Both go in one round trip, as one simple query of two statements: they run one after the
# other, the second with a snapshot taken once the first holds the lock. Never with
# parameters, which would send it as one prepared statement (PostgreSQL refuses two).
#
# The primary key on seq stays the backstop: under REPEATABLE READ or SERIALIZABLE a racing
# append fails with an integrity error instead of forking the chain.
_LOCK_THEN_TAIL = (
    f"SELECT pg_advisory_xact_lock({AUDIT_CHAIN_LOCK_KEY});"  # noqa: S608  (a constant)
    " SELECT seq, mac FROM audit_event ORDER BY seq DESC LIMIT 1"
)
# The sqlite3 driver opens a transaction only at the first write, so a tail read before it
# may predate another process's append, and two requests at once would both take the same
# seq. A write that matches no row opens the transaction and takes SQLite's one writer lock
# first (waiting up to busy_timeout), so the tail read next is current.
_SQLITE_WRITER_LOCK = text("UPDATE audit_event SET seq = seq WHERE 0 = 1")


def _locked_tail(session: Session | scoped_session[Any]) -> tuple[int, str]:
    """The chain's last seq and MAC, read holding the chain's lock for the transaction."""
    if session.get_bind(AuditEvent).dialect.name == "postgresql":
        cursor = session.connection().exec_driver_sql(_LOCK_THEN_TAIL).cursor
        if not cursor.nextset():
            raise RuntimeError("the audit chain's tail was not read after its lock")
        tail = cursor.fetchone()
    else:
        session.execute(_SQLITE_WRITER_LOCK)
        tail = session.execute(_TAIL).first()
    return (tail[0], tail[1]) if tail is not None else (0, GENESIS_MAC)


@sa_event.listens_for(OrmSession, "before_commit")
def _append_pending(session: OrmSession) -> None:
    if session.in_nested_transaction():
        # A savepoint released, not the transaction: its events wait for the real commit.
        return
    if not session.info.get(_PENDING):
        return
    # The rest of the transaction's writes first, so that the chain's lock, taken next, is
    # held for the events' insert and the commit only.
    session.flush()
    pending: list[_Pending] = session.info.pop(_PENDING, [])
    if pending:
        _append(session, [(event, key) for event, key, _ in pending])


@sa_event.listens_for(OrmSession, "after_soft_rollback")
def _drop_pending(session: OrmSession, previous_transaction: SessionTransaction) -> None:
    # What the database rolled back: the first savepoint or the transaction itself, from the
    # transaction that ended (a failed flush ends an inner transaction of the session's own).
    undone: SessionTransaction | None = previous_transaction
    while undone is not None and not undone.nested and undone.parent is not None:
        undone = undone.parent
    if undone is None or not undone.nested:
        session.info.pop(_PENDING, None)
        return
    pending: list[_Pending] | None = session.info.get(_PENDING)
    if pending:
        pending[:] = [entry for entry in pending if not _inside(entry[2], undone)]


def _inside(recorded_in: SessionTransaction | None, savepoint: SessionTransaction) -> bool:
    while recorded_in is not None:
        if recorded_in is savepoint:
            return True
        recorded_in = recorded_in.parent
    return False


def _member(enum: type[_Tag], value: _Tag | str, name: str) -> _Tag:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    raise InvalidAuditEvent(f"{name} must be one of {enum.__name__}, not {value!r}")


def _check_optional_id(value: int | None, name: str) -> None:
    # bool is an int subclass; True would silently become actor 1.
    if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
        raise InvalidAuditEvent(f"{name} must be an integer id or None")
