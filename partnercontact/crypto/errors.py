"""Typed errors of the crypto module."""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by :mod:`partnercontact.crypto`."""


class DecryptionFailed(CryptoError):
    """A ciphertext did not authenticate: altered, truncated, or moved to another place."""


class KeyShredded(CryptoError):
    """The data key was destroyed; what it protected can never be read again."""


class UnknownKey(CryptoError):
    """A key id that the key ring or the database does not hold."""


class KeyFileError(CryptoError):
    """The key file is missing, unreadable or malformed."""
