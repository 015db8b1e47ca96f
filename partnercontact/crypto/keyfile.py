"""The key file: every secret the service needs, in one JSON file outside the database.

Layout (base64 values)::

    {"version": 1, "secret_key": "…", "audit_mac_key": "…", "blind_index_key": "…",
     "active_kek": "kek-…", "keks": {"kek-…": "…"}}

It is written atomically with mode 0600 and never overwritten by :func:`generate_key_file`.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from partnercontact.crypto.errors import KeyFileError

KEY_BYTES = 32
FORMAT_VERSION = 1


@dataclass(frozen=True)
class KeyFile:
    secret_key: bytes
    audit_mac_key: bytes
    blind_index_key: bytes
    active_kek: str
    keks: dict[str, bytes] = field(repr=False)

    def __repr__(self) -> str:  # never print key material
        return f"KeyFile(active_kek={self.active_kek!r}, keks={sorted(self.keks)!r})"


def new_kek_id() -> str:
    return f"kek-{secrets.token_hex(6)}"


def new_key_file() -> KeyFile:
    kek_id = new_kek_id()
    return KeyFile(
        secret_key=secrets.token_bytes(KEY_BYTES),
        audit_mac_key=secrets.token_bytes(KEY_BYTES),
        blind_index_key=secrets.token_bytes(KEY_BYTES),
        active_kek=kek_id,
        keks={kek_id: secrets.token_bytes(KEY_BYTES)},
    )


def _encode(value: bytes) -> str:
    return base64.b64encode(value).decode()


def _decode(name: str, value: object) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(f"{name} must be a base64 string")
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileError(f"{name} is not valid base64") from exc
    if len(raw) != KEY_BYTES:
        raise KeyFileError(f"{name} must be {KEY_BYTES} bytes, got {len(raw)}")
    return raw


def write_key_file(path: Path, keys: KeyFile, *, replace: bool = True) -> None:
    """Write ``keys`` to ``path`` atomically, readable by the owner only."""
    if keys.active_kek not in keys.keks:
        raise KeyFileError("the active key-encryption key is not in the file")
    if not replace and path.exists():
        raise KeyFileError(f"{path} already exists; refusing to overwrite keys")
    document = {
        "version": FORMAT_VERSION,
        "secret_key": _encode(keys.secret_key),
        "audit_mac_key": _encode(keys.audit_mac_key),
        "blind_index_key": _encode(keys.blind_index_key),
        "active_kek": keys.active_kek,
        "keks": {kek_id: _encode(value) for kek_id, value in sorted(keys.keks.items())},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            json.dump(document, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        if not replace and path.exists():
            raise KeyFileError(f"{path} already exists; refusing to overwrite keys")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def generate_key_file(path: Path) -> KeyFile:
    """Create a new key file at ``path``; refuses to overwrite an existing one."""
    keys = new_key_file()
    write_key_file(path, keys, replace=False)
    return keys


def load_key_file(path: Path) -> KeyFile:
    try:
        text = path.read_text()
    except FileNotFoundError as exc:
        raise KeyFileError(f"{path} does not exist") from exc
    except OSError as exc:
        raise KeyFileError(f"{path} cannot be read: {exc.strerror}") from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise KeyFileError(f"{path} is not valid JSON (line {exc.lineno})") from exc
    if not isinstance(document, dict):
        raise KeyFileError(f"{path} must hold a JSON object")
    for name in ("secret_key", "audit_mac_key", "blind_index_key", "active_kek", "keks"):
        if name not in document:
            raise KeyFileError(f"{path} lacks the field {name!r}")
    keks_raw = document["keks"]
    if not isinstance(keks_raw, dict) or not keks_raw:
        raise KeyFileError("keks must be a non-empty object")
    keks = {str(kek_id): _decode(f"keks.{kek_id}", value) for kek_id, value in keks_raw.items()}
    active = document["active_kek"]
    if active not in keks:
        raise KeyFileError(f"active_kek {active!r} is not among keks")
    return KeyFile(
        secret_key=_decode("secret_key", document["secret_key"]),
        audit_mac_key=_decode("audit_mac_key", document["audit_mac_key"]),
        blind_index_key=_decode("blind_index_key", document["blind_index_key"]),
        active_kek=active,
        keks=keks,
    )
