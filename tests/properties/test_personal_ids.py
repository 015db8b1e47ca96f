"""Swedish personal identity numbers (personnummer) and coordination numbers
(samordningsnummer): :func:`normalise_personal_id` and :func:`luhn_ok`."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from partnercontact.identifiers import luhn_ok, normalise_personal_id
from tests.properties.profile import PROFILE
from tests.properties.strategies import (
    FOREIGN_DIGITS,
    PERSONAL_ID_FORMS,
    SURROUNDING,
    TODAYS,
    PersonalId,
    check_digit,
    personal_ids,
)

CANONICAL = re.compile(r"[0-9]{12}")


@PROFILE
@given(personal_ids(), PERSONAL_ID_FORMS, SURROUNDING, SURROUNDING)
def test_every_valid_number_is_accepted_in_every_written_form(
    number: PersonalId, form: str, before: str, after: str
) -> None:
    """Catches a valid number refused, or read into the wrong century, in one of its forms."""
    raw = before + number.written(form) + after
    assert normalise_personal_id(raw, today=number.today) == number.canonical


@PROFILE
@given(personal_ids(coordination=True), PERSONAL_ID_FORMS)
def test_coordination_numbers_keep_their_day_plus_sixty(number: PersonalId, form: str) -> None:
    """Catches a samordningsnummer refused or turned into someone's personnummer."""
    normalised = normalise_personal_id(number.written(form), today=number.today)
    assert int(normalised[6:8]) == number.born.day + 60


@PROFILE
@given(personal_ids(), PERSONAL_ID_FORMS)
def test_the_normal_form_is_a_fixed_point(number: PersonalId, form: str) -> None:
    """Catches a normal form the parser itself would read differently the next time."""
    once = normalise_personal_id(number.written(form), today=number.today)
    assert normalise_personal_id(once, today=number.today) == once


@PROFILE
@given(personal_ids(), st.integers(0, 9), st.integers(1, 9))
def test_changing_one_checked_digit_is_refused(
    number: PersonalId, position: int, step: int
) -> None:
    """Catches a mistyped digit accepted as another person's number.

    The ten digits after the century are those the check digit covers; the century is not
    (the format has no check for it).
    """
    digits = list(number.ten)
    digits[position] = str((int(digits[position]) + step) % 10)
    changed = "".join(digits)
    assert not luhn_ok(changed)
    with pytest.raises(ValueError):
        normalise_personal_id(number.canonical[:2] + changed, today=number.today)


@PROFILE
@given(personal_ids(), st.integers(0, 8))
def test_swapping_two_neighbouring_digits_is_refused_unless_they_are_equal(
    number: PersonalId, position: int
) -> None:
    """Catches the commonest typing error, two digits swapped, slipping past the check.

    Luhn's one blind spot, 0 and 9 swapped, is left out.
    """
    ten = number.ten
    a, b = ten[position], ten[position + 1]
    assume(a != b and {a, b} != {"0", "9"})
    swapped = ten[:position] + b + a + ten[position + 2 :]
    assert not luhn_ok(swapped)


@PROFILE
@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_exactly_one_check_digit_completes_nine_digits(nine: str) -> None:
    """Catches a Luhn sum that accepts two check digits, or none."""
    assert sum(luhn_ok(nine + digit) for digit in "0123456789") == 1


@PROFILE
@given(st.text(max_size=30), TODAYS)
def test_any_text_is_normalised_or_refused_with_a_value_error(raw: str, today: date) -> None:
    """Catches an IndexError, TypeError or the like escaping, which the service would not
    turn into a message on the field."""
    try:
        normalised = normalise_personal_id(raw, today=today)
    except ValueError:
        return
    assert CANONICAL.fullmatch(normalised)


@PROFILE
@given(
    personal_ids() | st.from_regex(r"\A(\d{2})?\d{6}[-+]?\d{4}\Z"),
    PERSONAL_ID_FORMS,
    st.sampled_from([*FOREIGN_DIGITS, "0123456789"]),
    TODAYS,
)
def test_whatever_is_accepted_comes_out_as_twelve_ascii_digits(
    number: PersonalId | str, form: str, script: str, today: date
) -> None:
    """Catches digits of other scripts stored as they came, which no duplicate check, search
    or register would ever match."""
    if isinstance(number, PersonalId):
        raw, today = number.written(form), number.today
    else:
        raw = number
    raw = raw.translate(str.maketrans("0123456789", script))
    try:
        normalised = normalise_personal_id(raw, today=today)
    except ValueError:
        return
    assert CANONICAL.fullmatch(normalised)
    assert normalise_personal_id(normalised, today=today) == normalised


@PROFILE
@given(personal_ids(), st.integers(1, 400))
def test_a_birth_date_after_today_is_refused(number: PersonalId, days: int) -> None:
    """Catches an unborn person's number accepted (a typo in the year)."""
    born = number.today + timedelta(days=days)
    future = PersonalId(born, number.serial, number.coordination, today=number.today)
    with pytest.raises(ValueError):
        normalise_personal_id(future.written("long"), today=number.today)


# --- examples pinning what the properties found ---------------------------------------------


def test_a_99_year_old_born_later_in_the_year_is_not_read_as_unborn() -> None:
    """The ten-digit form of someone born 1926-08-01, read on 2026-06-01, was refused as a
    birth date in the future (2026-08-01)."""
    nine = "260801123"
    raw = f"{nine[:6]}-{nine[6:]}{check_digit(nine)}"
    assert normalise_personal_id(raw, today=date(2026, 6, 1)) == "19" + nine + check_digit(nine)


def test_digits_of_other_scripts_are_refused() -> None:
    """Arabic-Indic digits used to come back as the "normalised" number, unchanged."""
    with pytest.raises(ValueError):
        normalise_personal_id("١٩٨١١٢١٨-٩٨٧٦", today=date(2026, 1, 1))
