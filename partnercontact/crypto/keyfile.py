"""The key file: every secret the service needs, in one JSON file outside the database.

Layout (values base64, standard alphabet with padding)::

    {"version": 1,
     "secret_key": "…",          Flask's secret, at least 32 bytes
     "audit_mac_key": "…",       32 bytes, keys the audit chain's HMAC
     "blind_index_key": "…",     32 bytes, keys the blind indexes
     "active_kek": "kek-…",      the key-encryption key that wraps new data keys
     "keks": {"kek-…": "…"}}     every key-encryption key still needed, 32 bytes each

:func:`generate_key_file` creates one and never overwrites; :func:`write_key_file` replaces
one atomically; :func:`load_key_file` reads one and refuses anything malformed with a
:class:`KeyFileError` that names the file and the problem (never a key's value).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import fcntl
import json
import logging
import os
import re
import secrets
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from partnercontact.crypto.errors import KeyFileError

log = logging.getLogger(__name__)

KEY_BYTES = 32
MIN_SECRET_KEY_BYTES = 32
FORMAT_VERSION = 1
_FIELDS = ("version", "secret_key", "audit_mac_key", "blind_index_key", "active_kek", "keks")
_REQUIRED = _FIELDS[1:]
# A KEK id is stored in data_key.kek_id (64 characters) and in audit resource ids
# ([A-Za-z0-9_.:-]); the same alphabet here keeps it printable and safe in both.
_KEK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}")


@dataclass(frozen=True)
class KeyFile:
    """The parsed, validated contents of a key file. Immutable.

    Constructing one checks every invariant (key lengths, the active KEK present, KEK ids
    well formed, no key used twice) and raises :class:`KeyFileError` otherwise, so an invalid
    ``KeyFile`` cannot exist, whether loaded or built in code. ``repr`` shows key ids only.
    """

    secret_key: bytes = field(repr=False)
    audit_mac_key: bytes = field(repr=False)
    blind_index_key: bytes = field(repr=False)
    active_kek: str
    keks: Mapping[str, bytes] = field(repr=False)

    def __post_init__(self) -> None:
        # A read-only copy: nobody can add or swap a KEK behind the key ring's back.
        object.__setattr__(self, "keks", MappingProxyType(dict(self.keks)))
        _check_length("secret_key", self.secret_key, minimum=MIN_SECRET_KEY_BYTES)
        _check_length("audit_mac_key", self.audit_mac_key)
        _check_length("blind_index_key", self.blind_index_key)
        if not self.keks:
            raise KeyFileError("keks must hold at least one key-encryption key")
        for kek_id, kek in self.keks.items():
            if not isinstance(kek_id, str) or not _KEK_ID.fullmatch(kek_id):
                raise KeyFileError(
                    f"key-encryption key id {kek_id!r} must be 1 to 64 characters of "
                    "A-Z a-z 0-9 _ . : - starting with a letter or digit"
                )
            _check_length(f"keks.{kek_id}", kek)
        if self.active_kek not in self.keks:
            raise KeyFileError(f"active_kek {self.active_kek!r} is not among keks")
        # Each key protects one thing. The same bytes in two places (a copy-paste slip by
        # hand, a broken generator) would tie, say, the blind indexes to a KEK, so that
        # retiring the KEK no longer retires everything it protected.
        values = [self.secret_key, self.audit_mac_key, self.blind_index_key, *self.keks.values()]
        if len(set(values)) != len(values):
            raise KeyFileError("the same key appears twice; every key must be independent")

    def __repr__(self) -> str:
        # Never print key material (logs, tracebacks, debuggers): ids only.
        return f"KeyFile(active_kek={self.active_kek!r}, keks={sorted(self.keks)!r})"


def _check_length(name: str, value: object, *, minimum: int | None = None) -> None:
    if not isinstance(value, bytes):
        raise KeyFileError(f"{name} must be bytes")
    if minimum is None and len(value) != KEY_BYTES:
        raise KeyFileError(f"{name} must be {KEY_BYTES} bytes, got {len(value)}")
    if minimum is not None and len(value) < minimum:
        raise KeyFileError(f"{name} must be at least {minimum} bytes, got {len(value)}")


def new_kek_id() -> str:
    """A fresh, random key-encryption key id such as ``kek-3f9a0c1b2d4e``."""
    return f"kek-{secrets.token_hex(6)}"


def new_key() -> bytes:
    """32 bytes from the operating system's CSPRNG."""
    return secrets.token_bytes(KEY_BYTES)


def new_key_file() -> KeyFile:
    """A key file with every key freshly generated and one active KEK. Not written anywhere."""
    kek_id = new_kek_id()
    return KeyFile(
        secret_key=secrets.token_bytes(MIN_SECRET_KEY_BYTES),
        audit_mac_key=new_key(),
        blind_index_key=new_key(),
        active_kek=kek_id,
        keks={kek_id: new_key()},
    )


def with_new_kek(keys: KeyFile) -> KeyFile:
    """``keys`` plus a freshly generated KEK, which becomes the active one.

    Every existing KEK stays, so everything they wrap still unwraps. The other keys are
    unchanged: blind indexes, the audit chain and sessions are not affected.
    """
    kek_id = new_kek_id()
    while kek_id in keys.keks:  # pragma: no cover  (48 random bits)
        kek_id = new_kek_id()
    return KeyFile(
        secret_key=keys.secret_key,
        audit_mac_key=keys.audit_mac_key,
        blind_index_key=keys.blind_index_key,
        active_kek=kek_id,
        keks={**keys.keks, kek_id: new_key()},
    )


def only_active_kek(keys: KeyFile) -> KeyFile:
    """``keys`` with every KEK but the active one removed."""
    return KeyFile(
        secret_key=keys.secret_key,
        audit_mac_key=keys.audit_mac_key,
        blind_index_key=keys.blind_index_key,
        active_kek=keys.active_kek,
        keks={keys.active_kek: keys.keks[keys.active_kek]},
    )


def _encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _document(keys: KeyFile) -> bytes:
    document = {
        "version": FORMAT_VERSION,
        "secret_key": _encode(keys.secret_key),
        "audit_mac_key": _encode(keys.audit_mac_key),
        "blind_index_key": _encode(keys.blind_index_key),
        "active_kek": keys.active_kek,
        "keks": {kek_id: _encode(value) for kek_id, value in sorted(keys.keks.items())},
    }
    return (json.dumps(document, indent=2) + "\n").encode("ascii")


def _fsync_directory(directory: Path) -> None:
    # Without this, a power cut after os.replace/os.link can bring back the old directory
    # entry. During rotation that would mean a database re-wrapped under a KEK whose file
    # entry vanished: every record unreadable. So the rename itself is made durable.
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _write_temporary(path: Path, keys: KeyFile) -> Path:
    """Write ``keys`` to a new 0600 file beside ``path`` and fsync it; return its path."""
    # A directory created here for the keys is private too (existing ones are left alone).
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    # O_EXCL: never follow or reuse a file someone planted under the temporary name.
    # 0o600 at creation, then fchmod, so no moment exists where others may read the keys
    # whatever the umask.
    descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        with contextlib.suppress(FileNotFoundError):
            current = path.stat()
            # Replacing a file owned by the service's user while running as root (an operator
            # with sudo) would leave a file the service can no longer read. Keep the owner,
            # or refuse before anything is replaced.
            if (current.st_uid, current.st_gid) != (os.geteuid(), os.getegid()):
                try:
                    os.fchown(descriptor, current.st_uid, current.st_gid)
                except PermissionError as exc:
                    raise KeyFileError(
                        f"{path} belongs to uid {current.st_uid}; run as that user to replace it"
                    ) from exc
        with os.fdopen(descriptor, "wb") as handle:
            descriptor = -1
            handle.write(_document(keys))
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        if descriptor >= 0:
            os.close(descriptor)
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def generate_key_file(path: Path | str) -> KeyFile:
    """Create a new key file at ``path`` (mode 0600) and return its contents.

    Refuses with :class:`KeyFileError` if ``path`` exists: overwriting a key file destroys
    every record sealed under it. The file appears complete or not at all.
    """
    path = Path(path)
    keys = new_key_file()
    tmp = _write_temporary(path, keys)
    try:
        # link(2) fails if the name exists, atomically: no check-then-write race with
        # another process creating the file at the same moment.
        os.link(tmp, path)
    except FileExistsError:
        raise KeyFileError(f"{path} already exists; refusing to overwrite keys") from None
    except OSError as exc:
        raise KeyFileError(f"{path} cannot be created: {exc.strerror}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_directory(path.parent)
    return keys


def write_key_file(path: Path | str, keys: KeyFile) -> None:
    """Write ``keys`` to ``path``, replacing any file there atomically; mode 0600.

    A reader sees either the old file or the new one, never a mix, and the new one is on disk
    (file and directory entry fsynced) when this returns. An existing file's owner is kept.
    """
    path = Path(path)
    tmp = _write_temporary(path, keys)
    try:
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_directory(path.parent)


@contextlib.contextmanager
def locked_key_file(path: Path | str) -> Iterator[None]:
    """Hold an exclusive lock for changing the key file at ``path``; fail if already held.

    Two rotations at once would each write their own new KEK and one would be lost while
    data keys are wrapped under it. The lock is a separate file beside the key file (the key
    file itself is replaced, so a lock on it would not exclude anyone).
    """
    path = Path(path)
    lock_path = path.with_name(f".{path.name}.lock")
    descriptor = os.open(lock_path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise KeyFileError(f"{path} is being changed by another process") from None
        yield
    finally:
        os.close(descriptor)


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # json.loads keeps the last of two equal names silently; with keys that could hide a
    # hand-edited KEK behind another. Refuse instead.
    document: dict[str, Any] = {}
    for name, value in pairs:
        if name in document:
            raise KeyFileError(f"{name!r} appears twice")
        document[name] = value
    return document


def _decode(name: str, value: object) -> bytes:
    if not isinstance(value, str):
        raise KeyFileError(f"{name} must be a base64 string")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise KeyFileError(f"{name} is not valid base64") from exc


def _parse(document: object) -> KeyFile:
    if not isinstance(document, dict):
        raise KeyFileError("the file must hold a JSON object")
    unknown = sorted(set(document) - set(_FIELDS))
    if unknown:
        raise KeyFileError(f"unknown field(s) {', '.join(map(repr, unknown))}")
    for name in _REQUIRED:
        if name not in document:
            raise KeyFileError(f"the field {name!r} is missing")
    version = document.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise KeyFileError(f"version {version!r} is not supported (expected {FORMAT_VERSION})")
    keks = document["keks"]
    if not isinstance(keks, dict):
        raise KeyFileError("keks must be an object of key id to key")
    active = document["active_kek"]
    if not isinstance(active, str):
        raise KeyFileError("active_kek must be a key id string")
    return KeyFile(
        secret_key=_decode("secret_key", document["secret_key"]),
        audit_mac_key=_decode("audit_mac_key", document["audit_mac_key"]),
        blind_index_key=_decode("blind_index_key", document["blind_index_key"]),
        active_kek=active,
        keks={kek_id: _decode(f"keks.{kek_id}", value) for kek_id, value in keks.items()},
    )


def load_key_file(path: Path | str) -> KeyFile:
    """Read and validate the key file at ``path``.

    Raises :class:`KeyFileError` naming the file and the problem: missing, unreadable, not
    JSON, not an object, an unknown or duplicated field, a missing field, a key that is not
    base64 or has the wrong length, an active KEK that is not in ``keks``, a key used twice.
    Logs a warning (and still loads) if the file is readable by group or others.
    """
    path = Path(path)
    try:
        raw = path.read_bytes()
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise KeyFileError(f"{path} does not exist") from None
    except OSError as exc:
        raise KeyFileError(f"{path} cannot be read: {exc.strerror}") from exc
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        log.warning("key file %s is accessible to group or others (mode %o)", path, mode & 0o777)
    try:
        document = json.loads(raw, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise KeyFileError(f"{path} is not valid JSON (line {exc.lineno})") from None
    except UnicodeDecodeError:
        raise KeyFileError(f"{path} is not valid JSON (not UTF-8 text)") from None
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
    try:
        return _parse(document)
    except KeyFileError as exc:
        raise KeyFileError(f"{path}: {exc}") from None
