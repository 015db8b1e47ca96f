"""Checking the audit chain, and exporting its head for safekeeping elsewhere.

The chain proves what an attacker *without the MAC key* did to the table: any altered,
removed, inserted or reordered row breaks it at that row. Two things it cannot see alone:

- Rows cut off the end: the remaining rows are still a valid chain. An exported head
  (the last seq and its mac), kept somewhere the database's users cannot write, shows it.
- A rewrite by someone *with* the key: they can compute valid MACs. A head exported
  before the rewrite shows it too, because the row at the head's seq no longer matches it.

On a live system the application keeps appending after a cut, reusing the removed seqs
with valid MACs. Once the log has grown back past the head's seq, the head still shows
the damage, but only as "the row at the head's seq differs": the first removed row can no
longer be told apart from the rows appended since.

Neither function here writes to the database, commits or rolls back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from partnercontact.audit.chain import (
    GENESIS_MAC,
    EventFields,
    check_key,
    compute_mac,
    format_time,
    macs_equal,
    written_row,
)
from partnercontact.audit.errors import HeadFormatError
from partnercontact.audit.models import AuditEvent

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, scoped_session

HEAD_FORMAT = "partnercontact.audit.head/1"
DEFAULT_BATCH_SIZE = 10_000

# ``on_progress(done, total)``: rows done so far, and the total expected (``None`` if unknown).
Progress = Callable[[int, int | None], None]

_MAC = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class ChainHead:
    """The last row of the chain: its seq and mac (and, for people, its time).

    ``seq`` 0 with the genesis MAC is the head of an empty log. ``at`` is informational;
    the verifier compares only ``seq`` and ``mac``.
    """

    seq: int
    mac: str
    at: datetime | None = None

    def to_json(self) -> str:
        """The head as one line of JSON, the form operators store."""
        return json.dumps(
            {
                "format": HEAD_FORMAT,
                "seq": self.seq,
                "mac": self.mac,
                "at": format_time(self.at) if self.at is not None else None,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, data: str | bytes) -> ChainHead:
        """Read a head written by :meth:`to_json`.

        Strict: raises :class:`HeadFormatError` on anything but exactly the keys
        ``format``, ``seq``, ``mac`` and ``at`` with well-formed values, because a head
        misread as something else would make the verifier compare against the wrong row.
        """
        try:
            document: Any = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise HeadFormatError(f"the head is not valid JSON: {exc}") from exc
        if not isinstance(document, dict) or set(document) != {"format", "seq", "mac", "at"}:
            raise HeadFormatError("the head must be an object with format, seq, mac and at")
        if document["format"] != HEAD_FORMAT:
            raise HeadFormatError(f"the head's format is not {HEAD_FORMAT!r}")
        seq, mac, at = document["seq"], document["mac"], document["at"]
        if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
            raise HeadFormatError("the head's seq must be a non-negative integer")
        if not isinstance(mac, str) or not _MAC.fullmatch(mac):
            raise HeadFormatError("the head's mac must be 64 lowercase hexadecimal digits")
        if seq == 0 and mac != GENESIS_MAC:
            raise HeadFormatError("a head at seq 0 must carry the genesis mac")
        moment: datetime | None = None
        if at is not None:
            try:
                moment = datetime.fromisoformat(at) if isinstance(at, str) else None
            except ValueError:
                moment = None
            if moment is None or moment.tzinfo is None:
                raise HeadFormatError("the head's at must be an ISO 8601 UTC time or null")
        return cls(seq=seq, mac=mac, at=moment)


@dataclass(frozen=True)
class VerifyResult:
    """The verdict on a chain.

    ``ok`` is true only if every row matched its MAC, the seqs run 1, 2, 3, ... without a
    gap and, when a head was given, the log reaches the head's seq with the head's mac.
    ``rows_checked`` counts the rows found intact before the first fault (all rows if
    ``ok``). ``first_bad_seq`` is the lowest seq at which the log is not what it should
    be (``None`` if ``ok``); for a missing row, that is the seq of the missing row.
    ``reason`` says what was found, in plain English. ``tail`` is the last intact row as
    a head (``None`` if there is none).
    """

    ok: bool
    rows_checked: int
    first_bad_seq: int | None
    reason: str
    tail: ChainHead | None = None


def verify_chain(
    session: Session | scoped_session[Any],
    mac_key: bytes,
    *,
    head: ChainHead | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    on_progress: Progress | None = None,
) -> VerifyResult:
    """Check every row of ``audit_event`` in seq order against the chain and ``head``.

    Reads in keyset-paginated batches of ``batch_size`` rows (``WHERE seq > last ORDER BY
    seq LIMIT n``), so memory stays bounded however long the log is, and rows appended
    while it runs are simply checked too. Stops at the first fault. Read-only.

    ``on_progress(done, total)``, if given, is called after each batch and once at the end
    with the rows checked so far and the rows the log held when the check began (read with
    one query over the primary key, ``None`` for an empty log; rows appended since make
    ``done`` pass it).
    """
    key = check_key(mac_key)
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    total = _row_count(session) if on_progress is not None else None

    expected = 1
    prev_mac = GENESIS_MAC
    prev_at: datetime | str | None = None

    def tail() -> ChainHead | None:
        if expected == 1:
            return None
        return ChainHead(expected - 1, prev_mac, _moment(prev_at))

    def fail(seq: int, reason: str) -> VerifyResult:
        return VerifyResult(False, expected - 1, seq, reason, tail())

    head_seq = head.seq if head is not None else -1
    pages, mac_of = _reader(session, batch_size)
    while True:
        try:
            page = next(pages, None)
        except (ValueError, TypeError, OverflowError) as exc:
            # A value the column type cannot even read back (e.g. a non-date in SQLite's
            # text column) is tampering too; report it rather than crash.
            return fail(
                expected,
                f"the row after row {expected - 1} could not be read ({exc}): it was altered",
            )
        if page is None:
            break
        for seq, at, actor_id, clinic_id, action, resource_type, resource_id, outcome, mac in page:
            if seq != expected:
                if seq < expected:
                    return fail(seq, f"row {seq} should not exist: numbering starts at 1")
                if expected == 1:
                    reason = f"row 1 is missing: the log starts at row {seq}"
                else:
                    reason = (
                        f"row {expected} is missing: the log goes from row {expected - 1} "
                        f"to row {seq}"
                    )
                return fail(expected, reason)
            try:
                computed = mac_of(
                    key, seq, at, actor_id, clinic_id, action, resource_type, resource_id,
                    outcome, prev_mac,
                )  # fmt: skip
            except (ValueError, TypeError, AttributeError) as exc:
                return fail(seq, f"row {seq} holds malformed values ({exc}): it was altered")
            # Both are ASCII when the row is intact; macs_equal's constant-time comparison,
            # without its re-encoding of two strings per row.
            if not (isinstance(mac, str) and mac.isascii() and hmac.compare_digest(computed, mac)):
                return fail(
                    seq,
                    f"row {seq} does not match its MAC: it was altered, forged, or moved "
                    "from another position (or the key is wrong)",
                )
            if seq == head_seq and head is not None and not macs_equal(mac, head.mac):
                return fail(
                    seq,
                    f"row {seq} is a valid link but differs from the exported head: the log "
                    f"was cut back to before row {seq} and has grown again since, or was "
                    "rewritten by someone holding the key",
                )
            prev_mac = mac
            prev_at = at
            expected += 1
        if on_progress is not None:
            on_progress(expected - 1, total)

    last = expected - 1
    if on_progress is not None and last == 0:
        on_progress(0, total)
    if head is not None and head.seq > last:
        removed = (
            f"row {expected} was" if expected == head.seq else f"rows {expected} to {head.seq} were"
        )
        return fail(
            expected,
            f"the log ends at row {last} but the exported head is row {head.seq}: "
            f"{removed} removed",
        )
    reason = "the log is empty" if last == 0 else f"all {last} rows are intact"
    if head is not None and head.seq > 0:
        reason += f" and consistent with the exported head at row {head.seq}"
    return VerifyResult(True, last, None, reason, tail())


def export_head(session: Session | scoped_session[Any]) -> ChainHead:
    """The current last row of the chain as a :class:`ChainHead` (seq 0 if the log is empty).

    Does not verify the chain: run :func:`verify_chain` first if the head is to vouch for
    the rows before it. Within a transaction that has just recorded an event, the head
    is that event.
    """
    row = session.execute(
        select(AuditEvent.seq, AuditEvent.mac, AuditEvent.at)
        .order_by(AuditEvent.seq.desc())
        .limit(1)
    ).first()
    if row is None:
        return ChainHead(seq=0, mac=GENESIS_MAC, at=None)
    return ChainHead(seq=row.seq, mac=row.mac, at=row.at)


_COLUMNS = (
    AuditEvent.seq,
    AuditEvent.at,
    AuditEvent.actor_id,
    AuditEvent.clinic_id,
    AuditEvent.action,
    AuditEvent.resource_type,
    AuditEvent.resource_id,
    AuditEvent.outcome,
    AuditEvent.mac,
)


def _row_count(session: Session | scoped_session[Any]) -> int | None:
    # The number of rows an intact log holds, from the two ends of the primary key's index
    # (never a scan): what a progress display counts towards.
    low, high = session.execute(select(func.min(AuditEvent.seq), func.max(AuditEvent.seq))).one()
    return None if high is None else max(0, high - low + 1)


# A row's MAC from its columns and its predecessor's MAC: (key, seq, at, actor_id, clinic_id,
# action, resource_type, resource_id, outcome, prev_mac) -> 64 hex digits.
RowMac = Callable[..., str]


def _reader(
    session: Session | scoped_session[Any], batch_size: int
) -> tuple[Iterator[Sequence[Sequence[Any]]], RowMac]:
    """The log's pages and the way to MAC their rows. On PostgreSQL the driver's cursor reads
    plain tuples with the time already written out by the database in the chain's form,
    which spares a datetime and a conversion per row on logs of millions of rows."""
    if session.get_bind(AuditEvent).dialect.name == "postgresql":
        return _driver_pages(session, batch_size), _mac_of_written
    return _pages(session, batch_size), _mac_of_fields


def _mac_of_fields(key: bytes, seq: int, at: datetime, *rest: Any) -> str:
    *columns, prev_mac = rest
    return compute_mac(key, EventFields(seq, at, *columns), prev_mac)


def _mac_of_written(key: bytes, *row: Any) -> str:
    return hmac.digest(key, written_row(*row), hashlib.sha256).hex()


def _moment(at: datetime | str | None) -> datetime | None:
    if isinstance(at, str):
        return datetime.fromisoformat(at.removesuffix("Z")).replace(tzinfo=UTC)
    return at


# The time as format_time writes it (UTC, six digits of microseconds, Z), by the database.
# Years 1 to 9999 only, as Python's datetime (and so every row record_event writes): the
# pattern has no era, so a time moved to the same day before Christ would otherwise read the
# same. Outside that range the time reads as NULL, which no MAC matches.
WRITTEN_TIME = (
    "CASE WHEN at >= TIMESTAMPTZ '0001-01-01 00:00:00+00' "
    "AND at < TIMESTAMPTZ '10000-01-01 00:00:00+00' "
    "THEN to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') END"
)
_DRIVER_COLUMNS = (
    f"SELECT seq, {WRITTEN_TIME}, "  # noqa: S608  (constants only)
    "actor_id, clinic_id, action, resource_type, resource_id, outcome, mac FROM audit_event "
)
# The first page has no lower bound: a row numbered 0 or below is a fault to find, too.
_DRIVER_FIRST_PAGE = _DRIVER_COLUMNS + "ORDER BY seq LIMIT %s"
_DRIVER_PAGE = _DRIVER_COLUMNS + "WHERE seq > %s ORDER BY seq LIMIT %s"


def _driver_pages(
    session: Session | scoped_session[Any], batch_size: int
) -> Iterator[Sequence[Sequence[Any]]]:
    # The session's own connection and transaction, so a check inside a transaction sees
    # what that transaction sees; the driver's rows as they come (no type processing), in
    # keyset pages as below.
    connection = session.connection(bind_arguments={"mapper": AuditEvent})
    last_seq: int | None = None
    while True:
        if last_seq is None:
            result = connection.exec_driver_sql(_DRIVER_FIRST_PAGE, (batch_size,))
        else:
            result = connection.exec_driver_sql(_DRIVER_PAGE, (last_seq, batch_size))
        # The driver's tuples as they are, without a result row object per audit row.
        page = result.cursor.fetchall() if result.cursor is not None else []
        result.close()
        if page:
            last_seq = page[-1][0]
            yield page
        if len(page) < batch_size:
            return


def _pages(
    session: Session | scoped_session[Any], batch_size: int
) -> Iterator[Sequence[Sequence[Any]]]:
    # Keyset pagination rather than OFFSET (which rereads every skipped row) or one big
    # result (which the PostgreSQL driver would buffer whole). Core rows on the session's
    # connection, not ORM objects: nothing accumulates in the identity map. A page is taken
    # whole (one fetch, not one per row); if a value in it cannot be read back, the page is
    # read again row by row, so the rows before it are checked and the error comes at its
    # own row.
    last_seq: int | None = None
    while True:
        query = select(*_COLUMNS).order_by(AuditEvent.seq).limit(batch_size)
        if last_seq is not None:
            query = query.where(AuditEvent.seq > last_seq)
        connection = session.connection(bind_arguments={"mapper": AuditEvent})
        try:
            page: Sequence[Sequence[Any]] = connection.execute(query).all()
        except (ValueError, TypeError, OverflowError):
            for row in connection.execute(query):
                yield (row,)
            raise  # the value could be read the second time: still not to be trusted
        if page:
            last_seq = page[-1][0]
            yield page
        if len(page) < batch_size:
            return
