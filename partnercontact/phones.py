"""Phone numbers as the messaging code compares them: normalised, then blind-indexed; and
whether a number can receive a text message at all."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType

from partnercontact.identifiers import normalise_phone, parse_phone
from partnercontact.runtime import current_runtime

PHONE_INDEX_DOMAIN = "phone"
# The kinds of number libphonenumber says a text message reaches: a mobile, and a number in a
# range that is fixed-line or mobile where its country's plan does not tell them apart (the
# United States, Canada). A Swedish landline, a toll-free or premium-rate number is neither.
_TEXTABLE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})


def phone_index(number: str) -> str:
    """The blind index of ``number`` (any form :func:`normalise_phone` accepts).

    Raises ``ValueError`` for a number that is not one. The same number written two ways
    (``070-123 45 67``, ``+46701234567``) gives the same index.
    """
    return current_runtime().keyring.blind_index(PHONE_INDEX_DOMAIN, normalise_phone(number))


def receives_text_messages(number: str) -> bool:
    """Whether libphonenumber says ``number`` can receive a text message (see
    :data:`_TEXTABLE`). False for anything :func:`normalise_phone` refuses, such as a number
    stored under older rules that the library does not know as a number in use."""
    try:
        parsed = parse_phone(number)
    except ValueError:
        return False
    return phonenumbers.number_type(parsed) in _TEXTABLE
