"""The key ring: the key-encryption keys and the other secrets of one running service.

Only this module and :mod:`partnercontact.crypto.service` touch key material. Data keys
(DEKs) are AES-256 keys wrapped by a key-encryption key (KEK) with AES-GCM; the data key's
id is the associated data, so a wrapped key copied onto another data key row does not
unwrap.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import uuid

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from partnercontact.crypto.errors import DecryptionFailed, UnknownKey
from partnercontact.crypto.keyfile import KeyFile

NONCE_BYTES = 12


class KeyRing:
    def __init__(self, keys: KeyFile) -> None:
        self._keys = keys
        # Unwrapped data keys of this process. Callers check the data key row is not
        # shredded before every use, so a key destroyed elsewhere is never used from here.
        self._deks: dict[uuid.UUID, bytes] = {}

    def __repr__(self) -> str:
        return f"KeyRing(active_kek={self.active_kek_id!r})"

    @property
    def keys(self) -> KeyFile:
        return self._keys

    @property
    def secret_key(self) -> bytes:
        return self._keys.secret_key

    @property
    def audit_mac_key(self) -> bytes:
        return self._keys.audit_mac_key

    @property
    def active_kek_id(self) -> str:
        return self._keys.active_kek

    def _kek(self, kek_id: str) -> AESGCM:
        try:
            return AESGCM(self._keys.keks[kek_id])
        except KeyError:
            raise UnknownKey(f"key-encryption key {kek_id!r} is not in the key file") from None

    def wrap(self, dek: bytes, data_key_id: uuid.UUID) -> tuple[str, bytes]:
        """Wrap ``dek`` under the active KEK; returns (kek id, nonce + ciphertext)."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._kek(self.active_kek_id).encrypt(nonce, dek, data_key_id.bytes)
        return self.active_kek_id, nonce + sealed

    def unwrap(self, kek_id: str, wrapped: bytes, data_key_id: uuid.UUID) -> bytes:
        cached = self._deks.get(data_key_id)
        if cached is not None:
            return cached
        try:
            dek = self._kek(kek_id).decrypt(
                wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], data_key_id.bytes
            )
        except InvalidTag:
            raise DecryptionFailed("a data key did not unwrap") from None
        self._deks[data_key_id] = dek
        return dek

    def forget(self, data_key_id: uuid.UUID) -> None:
        self._deks.pop(data_key_id, None)

    def blind_index(self, domain: str, value: str) -> str:
        """A keyed, deterministic digest of ``value`` for equality look-ups.

        Callers normalise ``value`` first (e.g. a phone number to E.164). The domain keeps
        indexes of different kinds of value apart. The key is not a KEK, so rotating KEKs
        never changes an index.
        """
        message = domain.encode() + b"\x00" + value.encode()
        return hmac.new(self._keys.blind_index_key, message, hashlib.sha256).hexdigest()
