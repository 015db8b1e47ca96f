"""Strategies that build valid values the way the real world writes them.

A valid value is computed (a check digit, a real calendar date), never filtered out of random
text, so every generated value is one the parsers must accept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import phonenumbers
from hypothesis import strategies as st

from partnercontact.identifiers import luhn_ok

# A fixed "today" far from any edge, and some that are at one (New Year, a leap day).
TODAYS = st.sampled_from(
    [date(2026, 6, 15), date(2026, 1, 1), date(2025, 12, 31), date(2028, 2, 29), date(2100, 3, 1)]
)
# Whitespace people paste around a value: spaces, tabs, a newline, a no-break space.
SURROUNDING = st.text(alphabet=" \t\n\u00a0\u2003", max_size=3)
# Digits of other scripts, which ``\d`` matches and ``int`` reads: Arabic-Indic, full-width,
# Devanagari.
FOREIGN_DIGITS = ("٠١٢٣٤٥٦٧٨٩", "０１２３４５６７８９", "०१२३४५६७८९")


def check_digit(nine: str) -> str:
    """The Luhn check digit that completes the nine digits YYMMDDNNN."""
    return next(digit for digit in "0123456789" if luhn_ok(nine + digit))


@dataclass(frozen=True)
class PersonalId:
    born: date
    serial: str  # three digits
    coordination: bool  # samordningsnummer: day of month + 60
    today: date

    @property
    def day_digits(self) -> str:
        return f"{self.born.day + (60 if self.coordination else 0):02d}"

    @property
    def ten(self) -> str:
        nine = f"{self.born:%y%m}{self.day_digits}{self.serial}"
        return nine + check_digit(nine)

    @property
    def canonical(self) -> str:
        return f"{self.born.year // 100:02d}{self.ten}"

    @property
    def age(self) -> int:
        before_birthday = (self.today.month, self.today.day) < (self.born.month, self.born.day)
        return self.today.year - self.born.year - before_birthday

    def written(self, form: str) -> str:
        """The number as someone writes it: 12 digits with or without the hyphen, or 10
        digits with the separator the age calls for (``+`` from the 100th birthday)."""
        ten = self.ten
        if form == "long-hyphen":
            return f"{self.canonical[:8]}-{self.canonical[8:]}"
        if form == "long":
            return self.canonical
        separator = "+" if self.age >= 100 else "-"
        if form == "short-bare" and separator == "-":
            return ten
        return f"{ten[:6]}{separator}{ten[6:]}"


@st.composite
def personal_ids(draw: st.DrawFn, *, coordination: bool | None = None) -> PersonalId:
    today = draw(TODAYS)
    born = draw(st.dates(min_value=date(today.year - 115, 1, 1), max_value=today))
    return PersonalId(
        born=born,
        serial=draw(st.text(alphabet="0123456789", min_size=3, max_size=3)),
        coordination=draw(st.booleans()) if coordination is None else coordination,
        today=today,
    )


PERSONAL_ID_FORMS = st.sampled_from(["long-hyphen", "long", "short", "short-bare"])


# --- phone numbers ---------------------------------------------------------------------------


def national_numbers(region: str, *kinds: str) -> st.SearchStrategy[str]:
    """National significant numbers (without a trunk 0) of ``region`` that libphonenumber
    calls valid, computed from its numbering plan: ``kinds`` name the plan's descriptions
    (``fixed_line``, ``mobile``)."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    assert metadata is not None, region
    patterns = []
    for kind in kinds:
        description = getattr(metadata, kind)
        assert description is not None and description.national_number_pattern, (region, kind)
        patterns.append(f"(?:{description.national_number_pattern})")
    return st.from_regex("|".join(patterns), fullmatch=True, alphabet="0123456789")


# Swedish national significant numbers: landlines (7 to 9 digits, an area code first) and
# mobiles (7x, 9 digits), as the numbering plan libphonenumber carries allows them.
swedish_landlines = national_numbers("SE", "fixed_line")
swedish_mobiles = national_numbers("SE", "mobile")
swedish_numbers = swedish_landlines | swedish_mobiles
# Numbers of countries a partner's phone may come from, with their country codes; each
# region's numbering plan is one whose numbers match its patterns exactly (Germany's, for one,
# has patterns looser than its lengths and is left out).
FOREIGN_REGIONS = ("US", "FI", "GB", "NO", "DK", "PL", "IQ", "SO", "SY", "TR")


@st.composite
def foreign_numbers(draw: st.DrawFn) -> tuple[str, str]:
    """(a country code, a national number valid there)."""
    region = draw(st.sampled_from(FOREIGN_REGIONS))
    national = draw(national_numbers(region, "fixed_line", "mobile"))
    return str(phonenumbers.country_code_for_region(region)), national


# Separators people put between digit groups.
PHONE_SEPARATORS = st.sampled_from(["", " ", "-", " - ", ".", "/", "\u00a0"])


@st.composite
def grouped(draw: st.DrawFn, digits: str) -> str:
    """``digits`` cut into groups joined by the separators the parser accepts."""
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(digits) - 1)), max_size=4)))
    parts = [digits[a:b] for a, b in zip([0, *cuts], [*cuts, len(digits)], strict=True)]
    return "".join(part + draw(PHONE_SEPARATORS) for part in parts[:-1]) + parts[-1]


@st.composite
def swedish_phone_written(draw: st.DrawFn) -> tuple[str, str]:
    """(a Swedish number as someone writes it, its E.164 form)."""
    national = draw(swedish_numbers)
    body = draw(grouped(national))
    prefix = draw(
        st.sampled_from(["0", "+46 ", "+46", "0046 ", "+46 (0)", "+46(0) ", "0046 (0)", "(0"])
    )
    if prefix == "(0":  # the area code in brackets: (08) 123 45 67
        written = f"(0{national[:2]}) {draw(grouped(national[2:]))}"
    else:
        written = prefix + body
    return draw(SURROUNDING) + written + draw(SURROUNDING), "+46" + national
