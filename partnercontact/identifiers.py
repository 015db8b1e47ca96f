"""Parsing Swedish personal identity numbers and phone numbers.

Both return a normalised form or raise ``ValueError`` with a message for the person typing.
"""

from __future__ import annotations

import re
from datetime import date

# ASCII digits only: ``\d`` also matches other scripts' digits (Arabic-Indic, full-width), which
# would pass through into the stored number, its duplicate checks and the blind index.
_PERSONAL_ID = re.compile(r"^([0-9]{2})?([0-9]{2})([0-9]{2})([0-9]{2})([-+]?)([0-9]{4})$")
_PHONE_CHARS = re.compile(r"[\s\-()./]")
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
# "+46 (0)70-123 45 67": the (0) is the trunk prefix dialled only from inside the country.
_TRUNK_ZERO = re.compile(r"\(\s*0\s*\)")


def luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(digits):
        value = int(char) * (2 if index % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def normalise_personal_id(raw: str, *, today: date) -> str:
    """``YYYYMMDD-XXXX`` (or ``YYMMDD-XXXX``, ``+`` for people over 100) to ``YYYYMMDDXXXX``.

    Coordination numbers (day + 60) are accepted. The check digit must be right.
    """
    match = _PERSONAL_ID.match(raw.strip().replace(" ", ""))
    if not match:
        raise ValueError("write it as ÅÅÅÅMMDD-NNNN")
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
        raise ValueError("the date part is not a real date") from None
    if born > today:
        raise ValueError("the date part lies in the future")
    if not luhn_ok(yy + mm + dd + tail):
        raise ValueError("the check digit does not match")
    return century + yy + mm + dd + tail


def normalise_phone(raw: str) -> str:
    """A Swedish or international number to E.164 (``+46701234567``)."""
    text = raw.strip()
    if text.startswith(("+", "00")):
        text = _TRUNK_ZERO.sub("", text)
    compact = _PHONE_CHARS.sub("", text)
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("0"):
        compact = "+46" + compact[1:]
    # No Swedish number starts with 0 after the country code: "+46 070..." means "+46 70...".
    # Kept, the 0 makes a number that reaches nobody, or someone else.
    if compact.startswith("+460"):
        compact = "+46" + compact[3:].lstrip("0")
    if not _PHONE.fullmatch(compact):
        raise ValueError("write a Swedish number (070-123 45 67) or one starting with +")
    return compact
