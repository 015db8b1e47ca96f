"""The canonical encoding of an audit row and the MAC that chains it to its predecessor.

Shared by the writer (:mod:`.service`) and the verifier (:mod:`.verify`) so that both compute
exactly the same bytes. Changing anything here invalidates every existing chain: bump
``ENCODING_VERSION`` and teach the verifier both versions instead.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from partnercontact.audit.errors import AuditKeyError

# The "previous MAC" of the first row. A fixed, public constant: the chain's integrity rests
# on the key, not on this value being secret. It has the shape of a real MAC so that a head
# exported from an empty log is an ordinary head.
GENESIS_MAC = "0" * 64

# Written into every encoded row. It separates these MACs from anything else that might
# ever be computed with the same key, and names the encoding so it can evolve.
ENCODING_VERSION = "partnercontact.audit/1"

# An HMAC-SHA256 key shorter than the hash gives less than the hash's strength, so the key
# ring must supply at least 32 random bytes; anything shorter is a configuration mistake.
MIN_KEY_BYTES = 32

# Sorted keys, no whitespace, ASCII only, no NaN: one encoder, built once (verification
# encodes every row of the log).
_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False
)


@dataclass(frozen=True, slots=True)
class EventFields:
    """Every field of an audit row that its MAC covers (all of them except the MAC)."""

    seq: int
    at: datetime
    actor_id: int | None
    clinic_id: int | None
    action: str
    resource_type: str
    resource_id: str | None
    outcome: str


def format_time(at: datetime) -> str:
    """The one textual form of a timestamp inside the MAC: UTC, microseconds, ``Z``.

    Both databases store microseconds, so the value read back encodes identically.
    Raises ``ValueError`` for a naive datetime, whose instant is unknown.
    """
    if at.tzinfo is None:
        raise ValueError("audit timestamps must be timezone-aware")
    return at.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def canonical_bytes(fields: EventFields, prev_mac: str) -> bytes:
    """Encode a row and its predecessor's MAC as bytes, unambiguously.

    JSON with sorted keys, no whitespace and ASCII-only output: every field is named, typed
    (``null`` is not ``"None"``, ``5`` is not ``"5"``) and quoted, so no two different rows
    can encode to the same bytes by shifting characters between adjacent fields. The
    sequence number and the time are inside, so a row copied to another position, or
    re-dated, no longer matches its MAC.

    Verification encodes every row of the log, so the usual row (whole numbers, text, a UTC
    time) is written out directly, the same bytes as the JSON encoder's (a test compares
    the two on awkward text); anything else goes through the encoder.
    """
    return _written_out(fields, prev_mac) or _through_the_encoder(fields, prev_mac)


def _through_the_encoder(fields: EventFields, prev_mac: str) -> bytes:
    document = {
        "v": ENCODING_VERSION,
        "seq": fields.seq,
        "at": format_time(fields.at),
        "actor_id": fields.actor_id,
        "clinic_id": fields.clinic_id,
        "action": fields.action,
        "resource_type": fields.resource_type,
        "resource_id": fields.resource_id,
        "outcome": fields.outcome,
        "prev": prev_mac,
    }
    return _ENCODER.encode(document).encode("ascii")


# What the JSON encoder quotes strings with when it keeps to ASCII.
_quote = json.encoder.encode_basestring_ascii


def _written_out(fields: EventFields, prev_mac: str) -> bytes | None:
    """The encoder's bytes for a row of the usual types, keys in sorted order; None for any
    other row."""
    seq, at, actor_id, clinic_id = fields.seq, fields.at, fields.actor_id, fields.clinic_id
    resource_id = fields.resource_id
    if not (
        type(seq) is int
        and type(at) is datetime
        and at.tzinfo is UTC
        and (actor_id is None or type(actor_id) is int)
        and (clinic_id is None or type(clinic_id) is int)
        and type(fields.action) is str
        and type(fields.resource_type) is str
        and (resource_id is None or type(resource_id) is str)
        and type(fields.outcome) is str
        and type(prev_mac) is str
        and _MAC_FORM.fullmatch(prev_mac)
    ):
        return None
    # A UTC time's isoformat ends in +00:00; format_time's form ends in Z instead.
    return written_row(
        seq,
        at.isoformat(timespec="microseconds")[:-6] + "Z",
        actor_id,
        clinic_id,
        fields.action,
        fields.resource_type,
        resource_id,
        fields.outcome,
        prev_mac,
    )


# What a MAC looks like (the genesis MAC too): nothing in it the encoder would escape.
_MAC_FORM = re.compile(r"[0-9a-f]{64}")
_VERSION = _quote(ENCODING_VERSION)


def written_row(
    seq: int,
    stamp: str,
    actor_id: int | None,
    clinic_id: int | None,
    action: str,
    resource_type: str,
    resource_id: str | None,
    outcome: str,
    prev_mac: str,
) -> bytes:
    """The canonical bytes of a row of the usual types whose time is already written in
    :func:`format_time`'s form (``stamp``) and whose predecessor's MAC is 64 lowercase hex
    digits: what a verifier calls with the database's own rendering of the time, skipping a
    datetime per row. Neither the time nor the MAC holds a character the encoder would
    escape, so both are written as they are."""
    return (
        f'{{"action":{_quote(action)},'
        f'"actor_id":{"null" if actor_id is None else actor_id},'
        f'"at":"{stamp}",'
        f'"clinic_id":{"null" if clinic_id is None else clinic_id},'
        f'"outcome":{_quote(outcome)},'
        f'"prev":"{prev_mac}",'
        f'"resource_id":{"null" if resource_id is None else _quote(resource_id)},'
        f'"resource_type":{_quote(resource_type)},'
        f'"seq":{seq},'
        f'"v":{_VERSION}}}'
    ).encode("ascii")


# A keyed MAC, not a plain hash chain: whoever can write the table could recompute a plain
# hash chain after altering it. The key lives in the key file, outside the database, so a
# database superuser or a stolen backup alone cannot forge a row that verifies.
def compute_mac(key: bytes, fields: EventFields, prev_mac: str) -> str:
    """HMAC-SHA256 of :func:`canonical_bytes` under ``key``, as 64 lowercase hex digits."""
    return hmac.digest(key, canonical_bytes(fields, prev_mac), hashlib.sha256).hex()


def check_key(key: object) -> bytes:
    """Return ``key`` as bytes if it can MAC the chain; raise :class:`AuditKeyError` if not."""
    if not isinstance(key, bytes | bytearray) or len(key) < MIN_KEY_BYTES:
        raise AuditKeyError(f"the audit MAC key must be at least {MIN_KEY_BYTES} bytes")
    return bytes(key)


def macs_equal(a: str, b: str) -> bool:
    """Compare two MACs in constant time."""
    return hmac.compare_digest(a.encode("ascii", "replace"), b.encode("ascii", "replace"))
