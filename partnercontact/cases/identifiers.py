"""Parsing Swedish personal identity numbers and phone numbers.

Both return a normalised form or raise ``ValueError`` with a message for the person typing.
"""

from __future__ import annotations

import re
from datetime import date

_PERSONAL_ID = re.compile(r"^(\d{2})?(\d{2})(\d{2})(\d{2})([-+]?)(\d{4})$")
_PHONE_CHARS = re.compile(r"[\s\-()./]")


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
    if century is None:
        year = 2000 + int(yy)
        if year > today.year:
            year -= 100
        if separator == "+":
            year -= 100
        century = str(year)[:2]
    day = int(dd) - 60 if int(dd) > 60 else int(dd)
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
    compact = _PHONE_CHARS.sub("", raw.strip())
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    elif compact.startswith("0"):
        compact = "+46" + compact[1:]
    if not re.fullmatch(r"\+[1-9]\d{6,14}", compact):
        raise ValueError("write a Swedish number (070-123 45 67) or one starting with +")
    return compact
