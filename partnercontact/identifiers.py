"""Parsing Swedish personal identity numbers and phone numbers (with libphonenumber).

Both return a normalised form or raise ``ValueError`` with a message for the person typing.
"""

from __future__ import annotations

import re
from datetime import date

import phonenumbers

# ASCII digits only: ``\d`` also matches other scripts' digits (Arabic-Indic, full-width), which
# would pass through into the stored number, its duplicate checks and the blind index.
_PERSONAL_ID = re.compile(r"^([0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})([-+]?)([0-9]{4})$")
# What a person writes in a phone field: an optional leading +, ASCII digits and separators
# (``\s`` includes the no-break space a copied number often carries).
_PHONE_TEXT = re.compile(r"\+?[0-9\s\-()./]+")
_PHONE_START = re.compile(r"[+0-9]")
# Numbers without a country code are Swedish.
DEFAULT_REGION = "SE"


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


class PersonalIdError(ValueError):
    """A personal identity number that is not valid; ``reason`` says how: ``format``,
    ``date`` (no such day), ``future`` or ``check_digit``."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def normalise_personal_id(raw: str, *, today: date) -> str:
    """``YYYYMMDD-XXXX`` (or ``YYMMDD-XXXX``, ``+`` for people over 100) to ``YYYYMMDDXXXX``.

    Coordination numbers (day + 60) are accepted. The check digit must be right.
    """
    match = _PERSONAL_ID.match(raw.strip().replace(" ", ""))
    if not match:
        raise PersonalIdError("format")
    century, yy, mm, dd, separator, tail = match.groups()
    day = int(dd) - 60 if int(dd) > 60 else int(dd)
    if century is None:
        # The most recent birthday with these digits that is not after today: someone born
        # later in the year a century ago is 99, not unborn. "+" adds the century of the 100s.
        year = today.year - (today.year - int(yy)) % 100
        if year == today.year and (int(mm), day) > (today.month, today.day):
            year -= 100
        if separator == "+":
            year -= 100
        century = f"{year:04d}"[:2]
    try:
        born = date(int(century + yy), int(mm), day)
    except ValueError:
        raise PersonalIdError("date") from None
    if born > today:
        raise PersonalIdError("future")
    if not luhn_ok(yy + mm + dd + tail):
        raise PersonalIdError("check_digit")
    return century + yy + mm + dd + tail


def parse_phone(raw: str) -> phonenumbers.PhoneNumber:
    """``raw`` as libphonenumber reads it, Swedish unless it says otherwise; only a number
    the library calls valid (a range in use in its country) is returned.

    Raises ``ValueError`` for text that is not a phone number so written. Stricter than the
    library in three ways, each kept from the rules before it:

    - only ASCII digits, spaces and ``- ( ) . /`` after an optional leading ``+``: the
      library would read letters as a keypad (``070-CALL-ME``), other scripts' digits, and
      an extension or a ``tel:`` prefix, none of which a person means in this field;
    - a number starts with ``+``, ``00`` or ``0``: ``701234567`` could be a Swedish number
      without its 0 or a foreign one without its +, and a guess could reach someone else;
    - no extension (the characters above cannot spell one).
    """
    text = raw.strip()
    if not _PHONE_TEXT.fullmatch(text):
        raise ValueError("write a Swedish number (070-123 45 67) or one starting with +")
    first = _PHONE_START.search(text)
    if first is None or first.group() not in ("+", "0"):
        raise ValueError("write a Swedish number starting with 0, or one starting with +")
    try:
        number = phonenumbers.parse(text, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        raise ValueError("write a Swedish number (070-123 45 67) or one starting with +") from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("this is not a phone number in use: check the digits")
    return number


def normalise_phone(raw: str) -> str:
    """A Swedish or international number to E.164 (``+46701234567``), as
    :func:`parse_phone` reads it. The E.164 form of a number is its own normal form.

    libphonenumber drops the trunk 0 after a country code (``+46 (0)70...`` and
    ``+46 070...`` are ``+4670...``): kept, the 0 makes a number that reaches nobody, or
    someone else.
    """
    return phonenumbers.format_number(parse_phone(raw), phonenumbers.PhoneNumberFormat.E164)
