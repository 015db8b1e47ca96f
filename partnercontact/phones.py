"""Phone numbers as the messaging code compares them: normalised, then blind-indexed."""

from __future__ import annotations

from partnercontact.identifiers import normalise_phone
from partnercontact.runtime import current_runtime

PHONE_INDEX_DOMAIN = "phone"


def phone_index(number: str) -> str:
    """The blind index of ``number`` (any form :func:`normalise_phone` accepts).

    Raises ``ValueError`` for a number that is not one. The same number written two ways
    (``070-123 45 67``, ``+46701234567``) gives the same index.
    """
    return current_runtime().keyring.blind_index(PHONE_INDEX_DOMAIN, normalise_phone(number))
