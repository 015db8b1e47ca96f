"""Places in the access log as its "older" and "newer" links carry them: sealed.

A page starts from the chain's sequence number of the last entry its reader saw. Shown as a
number, it would let a manager count the entries written between two of her looks, her
colleagues' work on the other side of the wall included; sealed (AES-GCM under a key derived
from the service's secret, a fresh nonce each time) it names the place and says nothing
else. The service behind the page works with the numbers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask_babel import lazy_gettext as _l

from partnercontact.audit.access_log import AccessLogInvalid
from partnercontact.runtime import current_runtime

PLACES = ("before", "after")
_PURPOSE = b"partnercontact.access-log-place"
_NONCE_BYTES = 12


def _cipher() -> AESGCM:
    secret = current_runtime().keyring.secret_key
    return AESGCM(hmac.digest(secret, _PURPOSE, hashlib.sha256))


def seal_place(seq: int) -> str:
    nonce = os.urandom(_NONCE_BYTES)
    sealed = _cipher().encrypt(nonce, seq.to_bytes(8, "big"), _PURPOSE)
    return base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")


def open_place(token: str, field: str) -> int:
    """The number a link's place stands for; :class:`AccessLogInvalid` on ``field`` for
    anything this service did not seal."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        if len(raw) != _NONCE_BYTES + 8 + 16:
            raise ValueError
        plain = _cipher().decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], _PURPOSE)
    except (ValueError, binascii.Error, InvalidTag):
        raise AccessLogInvalid(
            _l("The place in the log is not one of this page's links."), field=field
        ) from None
    return int.from_bytes(plain, "big")


def opened(args: Mapping[str, str]) -> dict[str, str]:
    """The query with each place replaced by its number, for the service to read."""
    values = dict(args)
    for name in PLACES:
        if values.get(name):
            values[name] = str(open_place(values[name], name))
    return values


def sealed(args: Mapping[str, str]) -> dict[str, str]:
    """The query a link carries: ``args`` with each place sealed."""
    return {
        name: seal_place(int(value)) if name in PLACES and value else value
        for name, value in args.items()
    }
