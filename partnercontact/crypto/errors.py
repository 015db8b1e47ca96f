"""Typed errors of the crypto package.

Messages name keys by id and files by path, never by content: an error can end up in a log, a
traceback or a terminal, so no message ever carries key material or plaintext.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base of every error raised by :mod:`partnercontact.crypto`."""


class DecryptionFailed(CryptoError):
    """A ciphertext or wrapped key did not authenticate.

    It was altered, truncated, is not one of ours, or was moved to another table, column, row
    or data key than the one it was sealed for. The caller learns nothing more, on purpose.
    """


class KeyShredded(CryptoError):
    """The data key was destroyed; nothing sealed under it can ever be read again."""


class UnknownKey(CryptoError):
    """A key id that the key ring or the database does not hold, or a record with no key."""


class KeyFileError(CryptoError):
    """The key file is missing, unreadable, malformed, or cannot be written safely."""
