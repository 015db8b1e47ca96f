"""The consent register's filters, read from query parameters (all text):
:func:`load_register_filters`."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from partnercontact.client_side.consent.errors import ConsentInvalid
from partnercontact.client_side.consent.forms import SCOPES
from partnercontact.client_side.consent.register import ALL_STATES, STATES, RegisterFilters
from partnercontact.client_side.consent.schemas import MAX_VERSION, load_register_filters
from tests.properties.profile import PROFILE
from tests.properties.strategies import SURROUNDING

FIELDS = ("signed_from", "signed_to", "state", "version", "scopes")
ANY_DATE = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
# Values near the valid ones: other date spellings, numbers, states, scopes, junk.
TEXTISH = st.one_of(
    st.text(max_size=14),
    ANY_DATE.map(date.isoformat),
    ANY_DATE.map(lambda day: day.strftime("%Y%m%d")),
    ANY_DATE.map(lambda day: "{}-W{:02d}-{}".format(*day.isocalendar())),
    st.integers(-(2**70), 2**70).map(str),
    st.sampled_from([*STATES, ALL_STATES, *SCOPES, "any", ""]),
)


@st.composite
def valid_filters(draw: st.DrawFn) -> RegisterFilters:
    first, second = sorted(draw(st.lists(ANY_DATE, min_size=2, max_size=2)))
    return RegisterFilters(
        signed_from=draw(st.none() | st.just(first)),
        signed_to=draw(st.none() | st.just(second)),
        state=draw(st.sampled_from([ALL_STATES, *STATES])),
        version=draw(st.none() | st.integers(1, MAX_VERSION)),
        scopes=frozenset(draw(st.sets(st.sampled_from(SCOPES)))),
    )


@PROFILE
@given(valid_filters())
def test_filters_round_trip_through_their_query_parameters(filters: RegisterFilters) -> None:
    """Catches an export link (built from the filters) that exports other rows than listed."""
    assert load_register_filters(filters.query_args()) == filters


@PROFILE
@given(ANY_DATE, SURROUNDING, SURROUNDING, st.sampled_from(["signed_from", "signed_to"]))
def test_a_date_is_read_as_written_whatever_surrounds_it(
    day: date, before: str, after: str, name: str
) -> None:
    """Catches a date read as another day, or refused for a space pasted around it."""
    filters = load_register_filters({name: before + day.isoformat() + after})
    assert getattr(filters, name) == day


@PROFILE
@given(TEXTISH, st.sampled_from(["signed_from", "signed_to"]))
@example("2026-W01-1", "signed_from")
@example("20260101", "signed_to")
def test_an_accepted_date_is_the_one_its_text_names(text: str, name: str) -> None:
    """Catches a spelling other than YYYY-MM-DD accepted as some day (2026-W01-1 as
    2025-12-29), which the page then shows back as a date nobody typed."""
    try:
        filters = load_register_filters({name: text})
    except ConsentInvalid as exc:
        assert exc.field == name
        return
    day = getattr(filters, name)
    assert day is None if not text.strip() else day.isoformat() == text.strip()


@PROFILE
@given(st.dictionaries(st.sampled_from([*FIELDS, "page", "q"]), TEXTISH | st.lists(TEXTISH)))
def test_any_query_is_filters_or_refused_on_a_named_field(values: dict[str, Any]) -> None:
    """Catches a malformed query escaping as a ValueError or TypeError (a 500), or a refusal
    that names no field the page can point at."""
    try:
        filters = load_register_filters(values)
    except ConsentInvalid as exc:
        assert exc.field in (*FIELDS, "page", "q")
        return
    assert filters.version is None or 1 <= filters.version <= MAX_VERSION
    if filters.signed_from and filters.signed_to:
        assert filters.signed_from <= filters.signed_to


@PROFILE
@given(ANY_DATE, ANY_DATE)
def test_a_period_ending_before_it_starts_is_refused_on_its_end(first: date, second: date) -> None:
    """Catches an empty register shown for a period typed backwards, with no word why."""
    values = {"signed_from": first.isoformat(), "signed_to": second.isoformat()}
    if first <= second:
        assert load_register_filters(values).signed_to == second
        return
    with pytest.raises(ConsentInvalid) as refused:
        load_register_filters(values)
    assert refused.value.field == "signed_to"


# --- examples pinning what the properties found ---------------------------------------------


@pytest.mark.parametrize("text", ["2026-W01-1", "20260101", "2026-001", "２０２６-01-01"])
def test_dates_in_other_spellings_are_refused(text: str) -> None:
    """These used to be accepted: 2026-W01-1 as 29 December 2025."""
    with pytest.raises(ConsentInvalid) as refused:
        load_register_filters({"signed_from": text})
    assert refused.value.field == "signed_from"


def test_a_version_too_large_for_the_database_is_refused_on_its_field() -> None:
    """It used to reach the query, where SQLite raises OverflowError."""
    with pytest.raises(ConsentInvalid) as refused:
        load_register_filters({"version": str(2**63)})
    assert refused.value.field == "version"
