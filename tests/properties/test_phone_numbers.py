"""Phone numbers: :func:`normalise_phone` (libphonenumber, Swedish by default), whether a
number can receive a text message, and the validators that use them for a partner's number at
hand-over and the clinic's own number printed on letters."""

from __future__ import annotations

import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from partnercontact.clinics.models import Clinic
from partnercontact.clinics.service import ClinicSettingsInvalid, _validate_letter_settings
from partnercontact.identifiers import normalise_phone
from partnercontact.partner_side.errors import HandoverInvalid
from partnercontact.phones import receives_text_messages
from partnercontact.relay.handover import PartnerDetails, _validated
from tests.properties.profile import PROFILE
from tests.properties.strategies import (
    FOREIGN_DIGITS,
    SURROUNDING,
    foreign_numbers,
    grouped,
    swedish_landlines,
    swedish_mobiles,
    swedish_numbers,
    swedish_phone_written,
)

E164 = re.compile(r"\+[1-9][0-9]{6,14}")
# Text that looks like a phone number more often than random text does.
PHONE_LIKE = st.text(alphabet="+0123456789 -()./\t\u00a0", max_size=24) | st.text(max_size=24)


@PROFILE
@given(swedish_phone_written())
@example(("+46 (0)70-123 45 67", "+46701234567"))
@example(("0046 (0)8-123 456 78", "+46812345678"))
def test_a_swedish_number_comes_out_the_same_however_it_is_written(
    written_and_expected: tuple[str, str],
) -> None:
    """Catches a separator, the (0) or the 0046 prefix changing the number an SMS goes to."""
    written, expected = written_and_expected
    assert normalise_phone(written) == expected


@PROFILE
@given(foreign_numbers(), st.sampled_from(["+", "00"]), SURROUNDING)
def test_an_international_number_keeps_its_country_code_and_digits(
    country_and_national: tuple[str, str], prefix: str, around: str
) -> None:
    """Catches a foreign number mangled (digits dropped, +46 put in front of it)."""
    country, national = country_and_national
    number = country + national
    assert normalise_phone(around + prefix + number + around) == "+" + number


@PROFILE
@given(swedish_landlines, swedish_mobiles)
def test_a_swedish_mobile_receives_text_messages_and_a_landline_does_not(
    landline: str, mobile: str
) -> None:
    """Catches a text message queued to a number that cannot receive one (it never arrives,
    and the treater believes it did), or a mobile refused."""
    assert not receives_text_messages("0" + landline)
    assert receives_text_messages("+46" + mobile)


@PROFILE
@given(PHONE_LIKE)
def test_any_text_is_normalised_or_refused_with_a_value_error(raw: str) -> None:
    """Catches an IndexError or the like escaping, which the callers would not turn into a
    message on the field (a 500 instead of "the phone number is not valid")."""
    try:
        normalised = normalise_phone(raw)
    except ValueError:
        return
    assert E164.fullmatch(normalised)


@PROFILE
@given(PHONE_LIKE | swedish_phone_written().map(lambda pair: pair[0]))
def test_the_normal_form_is_a_fixed_point(raw: str) -> None:
    """Catches a stored number whose blind index would differ from an inbound reply's (the
    webhook normalises the sender again)."""
    try:
        once = normalise_phone(raw)
    except ValueError:
        return
    assert normalise_phone(once) == once


@PROFILE
@given(
    st.from_regex(r"\A(\+[1-9]\d{6,14}|0\d{6,10}|00[1-9]\d{6,12})\Z"),
    st.sampled_from(FOREIGN_DIGITS),
)
def test_digits_of_other_scripts_are_never_stored(raw: str, script: str) -> None:
    """Catches non-ASCII digits passing into the stored number: no SMS provider dials them,
    and an inbound reply from the same phone would never match her."""
    # The first two characters stay ASCII: a leading "0" or "+4" is what lets the rest through.
    raw = raw[:2] + raw[2:].translate(str.maketrans("0123456789", script))
    try:
        normalised = normalise_phone(raw)
    except ValueError:
        return
    assert E164.fullmatch(normalised)


# --- the validators that use it --------------------------------------------------------------


def _partner(phone: str | None, address: str | None = None) -> PartnerDetails:
    return PartnerDetails(
        name="Anna Exempel",
        phone=phone,
        address=address,
        relation="former",
        children_in_common="unknown",
        protected_identity=False,
    )


@PROFILE
@given(PHONE_LIKE)
def test_a_partner_phone_at_hand_over_is_normalised_or_refused_on_its_field(raw: str) -> None:
    """Catches a bad number at hand-over escaping as anything but a refusal of the
    partner_phone field, or a good one stored as typed."""
    try:
        clean = _validated(_partner(raw, address="Storgatan 1"))
    except HandoverInvalid as exc:
        assert exc.field == "partner_phone"
        return
    if clean.phone is not None:
        assert clean.phone == normalise_phone(raw)
    else:
        assert not raw.strip()


@PROFILE
@given(swedish_phone_written())
def test_a_partner_phone_written_any_accepted_way_is_handed_over_in_e164(
    written_and_expected: tuple[str, str],
) -> None:
    """Catches the hand-over storing a number the partner's reply could not be matched to."""
    written, expected = written_and_expected
    assert _validated(_partner(written)).phone == expected


@PROFILE
@given(PHONE_LIKE)
def test_the_clinic_phone_on_letters_is_kept_as_typed_or_refused_on_its_field(raw: str) -> None:
    """Catches the letter settings accepting a number that is not one, or failing with
    something other than a message on the phone field."""
    clinic = Clinic(name="Mottagning Exempel", neutral_sender_name="Exempel", phone=raw)
    try:
        _validate_letter_settings(clinic)
    except ClinicSettingsInvalid as exc:
        assert exc.field == "phone"
        return
    assert clinic.phone == raw.strip()
    if clinic.phone:
        normalise_phone(clinic.phone)


@PROFILE
@given(swedish_numbers, st.data())
def test_the_clinic_phone_written_with_separators_is_accepted(
    national: str, data: st.DataObject
) -> None:
    """Catches a clinic refused its own number for the way it groups the digits."""
    raw = "0" + data.draw(grouped(national))
    clinic = Clinic(name="Mottagning Exempel", neutral_sender_name="Exempel", phone=raw)
    _validate_letter_settings(clinic)
    assert clinic.phone == raw


# --- examples pinning what the properties found ---------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+46 (0)70-123 45 67", "+46701234567"),
        ("+46 070 123 45 67", "+46701234567"),
        ("0046 (0)8 123 456 78", "+46812345678"),
        ("+44 (0)20 7946 0000", "+442079460000"),
    ],
)
def test_the_trunk_zero_after_a_country_code_is_dropped(raw: str, expected: str) -> None:
    """ "+46 (0)70..." used to become +460701234567: a number that reaches nobody, or someone
    else."""
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["0٧٠١٢٣٤٥٦٧", "+4٦٧٠١٢٣٤٥٦٧", "07０１２３４５６７"])
def test_digits_of_other_scripts_are_refused(raw: str) -> None:
    """These used to be accepted and stored with their Arabic-Indic or full-width digits."""
    with pytest.raises(ValueError):
        normalise_phone(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "701234567",  # a Swedish number without its 0, or a foreign one without its +?
        "070-CALL-ME",  # the library reads letters as a keypad
        "tel:+46701234567",
        "070-123 45 67 ext 5",
        "+46 71 123 45 67",  # 071: no number in use starts so
        "+46 12345",
    ],
)
def test_what_is_not_a_phone_number_in_use_is_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        normalise_phone(raw)


@pytest.mark.parametrize(
    ("raw", "textable"),
    [
        ("070-123 45 67", True),
        ("+46 76 123 45 67", True),
        ("08-123 456 78", False),  # Stockholm
        ("031-12 34 56", False),  # Gothenburg
        ("020-12 34 56", False),  # toll-free
        ("+1 650 253 0000", True),  # fixed line or mobile: the plan cannot tell
        ("+44 20 7946 0000", False),
        ("+358 40 123 4567", True),
        ("not a number", False),
    ],
)
def test_which_numbers_receive_text_messages(raw: str, textable: bool) -> None:
    assert receives_text_messages(raw) is textable
