"""The key ring: the keys of one running service, and the operations that use them.

A data key (DEK) is a random AES-256 key, one per case, consent document or account. It is
stored only wrapped: AES-256-GCM under a key-encryption key (KEK) from the key file, with a
random 96-bit nonce and the data key's id as associated data. Layout of a wrapped key::

    nonce (12) | ciphertext of the 32-byte DEK (32) | GCM tag (16)      = 60 bytes

The blind-index key is separate from every KEK, so rotating KEKs never changes an index.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from partnercontact.crypto.errors import DecryptionFailed, UnknownKey
from partnercontact.crypto.keyfile import KEY_BYTES, KeyFile

NONCE_BYTES = 12
TAG_BYTES = 16
WRAPPED_BYTES = NONCE_BYTES + KEY_BYTES + TAG_BYTES
# Domains are code constants such as "partner_phone". Without NUL (and restricted to this
# alphabet) the encoding domain | NUL | value is unambiguous: no (domain, value) pair can
# produce the same HMAC input as another.
_DOMAIN = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")


class KeyRing:
    """The keys of one key file, immutable for the life of the object.

    Holds no unwrapped data keys: every :meth:`unwrap` works from the wrapped bytes it is
    given. There is deliberately no cache. Unwrapping is one AES-GCM operation on 48 bytes
    (microseconds), and a cache would keep every case's key in memory for the life of the
    process and could serve a key after it was shredded in another process.
    """

    def __init__(self, keys: KeyFile) -> None:
        if not isinstance(keys, KeyFile):
            raise TypeError("KeyRing takes a KeyFile")
        self._keys = keys

    def __repr__(self) -> str:
        return f"KeyRing(active_kek={self.active_kek_id!r}, keks={self.kek_ids!r})"

    @property
    def keys(self) -> KeyFile:
        """The key file this ring was built from (for KEK rotation; contains key material)."""
        return self._keys

    @property
    def secret_key(self) -> bytes:
        """Flask's ``SECRET_KEY``."""
        return self._keys.secret_key

    @property
    def audit_mac_key(self) -> bytes:
        """The key of the audit chain's HMAC."""
        return self._keys.audit_mac_key

    @property
    def active_kek_id(self) -> str:
        """The id of the KEK that :meth:`wrap` uses."""
        return self._keys.active_kek

    @property
    def kek_ids(self) -> list[str]:
        """Ids of every KEK this ring can unwrap with, sorted."""
        return sorted(self._keys.keks)

    def _kek(self, kek_id: str) -> AESGCM:
        try:
            return AESGCM(self._keys.keks[kek_id])
        except KeyError:
            raise UnknownKey(f"key-encryption key {kek_id!r} is not in the key file") from None

    def wrap(self, dek: bytes, data_key_id: uuid.UUID) -> tuple[str, bytes]:
        """Wrap the 32-byte ``dek`` under the active KEK for the data key ``data_key_id``.

        Returns ``(kek id, wrapped)``; ``wrapped`` is 60 bytes and unwraps only with that KEK
        and that same ``data_key_id``.
        """
        if not isinstance(dek, bytes) or len(dek) != KEY_BYTES:
            raise ValueError(f"a data key is {KEY_BYTES} bytes")
        if not isinstance(data_key_id, uuid.UUID):
            raise TypeError("data_key_id must be a UUID")
        # A random nonce per wrap. Under one KEK the number of wraps is the number of data
        # keys ever created or re-wrapped, far below the 2**32 messages at which random
        # 96-bit GCM nonces start to risk a collision. The data key's id as associated data
        # means a wrapped key copied onto another data_key row does not unwrap there.
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._kek(self.active_kek_id).encrypt(nonce, dek, data_key_id.bytes)
        return self.active_kek_id, nonce + sealed

    def unwrap(self, kek_id: str, wrapped: bytes, data_key_id: uuid.UUID) -> bytes:
        """The data key that :meth:`wrap` wrapped as ``wrapped`` for ``data_key_id``.

        Raises :class:`UnknownKey` if ``kek_id`` is not in this ring, and
        :class:`DecryptionFailed` if ``wrapped`` was altered, truncated, or belongs to
        another data key.
        """
        if not isinstance(data_key_id, uuid.UUID):
            raise TypeError("data_key_id must be a UUID")
        kek = self._kek(kek_id)
        wrapped = bytes(wrapped)
        if len(wrapped) != WRAPPED_BYTES:
            raise DecryptionFailed("a wrapped data key has the wrong length")
        try:
            dek = kek.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], data_key_id.bytes)
        except InvalidTag:
            raise DecryptionFailed("a data key did not unwrap") from None
        return dek

    def blind_index(self, domain: str, value: str) -> str:
        """A keyed, deterministic digest of ``value`` for equality look-ups: 64 hex digits.

        HMAC-SHA256 under the blind-index key over ``domain``, a NUL byte, and ``value`` in
        UTF-8. Callers normalise ``value`` first (a phone number to E.164, say): the index
        matches only identical strings. ``domain`` (lowercase letters, digits, ``_.:-``)
        keeps indexes of different kinds of value apart, so equal strings in two domains
        give unrelated digests and an index cannot be matched across columns.

        The digest depends on the blind-index key only, never on a KEK: KEK rotation leaves
        every stored index valid. Without the key, nobody can compute an index for a guessed
        phone number, which a plain hash of such a small space would allow.
        """
        if not isinstance(domain, str) or not _DOMAIN.fullmatch(domain):
            raise ValueError("a blind-index domain is a short lowercase identifier")
        if not isinstance(value, str):
            raise TypeError("a blind index is computed over text")
        message = domain.encode("ascii") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._keys.blind_index_key, message, hashlib.sha256).hexdigest()
