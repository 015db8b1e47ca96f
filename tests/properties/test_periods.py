"""The statistics periods: :func:`parse_period` and the periods offered to choose from."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from partnercontact.statistics.periods import (
    EARLIEST_YEAR,
    KINDS,
    MONTH,
    Period,
    PeriodInvalid,
    _period_of,
    default_period,
    offered_periods,
    parse_period,
)
from tests.properties.profile import PROFILE
from tests.properties.strategies import FOREIGN_DIGITS, SURROUNDING, TODAYS

DAYS = {"month": range(28, 32), "quarter": range(90, 93), "year": range(365, 367)}
TODAYS_ANY = st.dates(min_value=date(EARLIEST_YEAR, 1, 1), max_value=date(9999, 12, 31))


@st.composite
def started_periods(draw: st.DrawFn) -> tuple[Period, date]:
    """(a period that has started, today)."""
    today = draw(TODAYS_ANY)
    day = draw(st.dates(min_value=date(EARLIEST_YEAR, 1, 1), max_value=today))
    return _period_of(draw(st.sampled_from(KINDS)), day), today


@PROFILE
@given(started_periods(), SURROUNDING, SURROUNDING)
def test_a_period_round_trips_through_its_key(
    period_and_today: tuple[Period, date], before: str, after: str
) -> None:
    """Catches a key in a link or file name that names another period than the one shown."""
    period, today = period_and_today
    assert parse_period(before + period.key + after, today) == period


@PROFILE
@given(started_periods())
def test_a_period_is_whole_calendar_months(period_and_today: tuple[Period, date]) -> None:
    """Catches a period starting or ending mid-month, which would let two counts be
    subtracted down to a few days."""
    period, _ = period_and_today
    assert period.start.day == 1
    assert (period.end + timedelta(days=1)).day == 1
    assert period.contains(period.start) and period.contains(period.end)
    assert period.days in DAYS[period.kind]


@PROFILE
@given(started_periods())
def test_the_previous_period_ends_the_day_before(period_and_today: tuple[Period, date]) -> None:
    """Catches a gap or an overlap between consecutive periods (a day counted twice or
    never)."""
    period, _ = period_and_today
    previous = period.previous()
    assert previous.kind == period.kind
    assert previous.end + timedelta(days=1) == period.start


@PROFILE
@given(st.text(max_size=12) | st.from_regex(r"\A\d{4}(-(\d{2}|Q\d))?\Z"), TODAYS_ANY)
@example("9999-12", date(2026, 6, 15))
@example("9999-Q4", date(2026, 6, 15))
@example("9999", date(2026, 6, 15))
def test_any_key_is_a_period_or_refused_on_the_period_field(key: str, today: date) -> None:
    """Catches a ValueError escaping (a 500 on the statistics page) instead of a refusal."""
    try:
        period = parse_period(key, today)
    except PeriodInvalid as exc:
        assert exc.field == "period"
        return
    assert period.start <= today
    assert period.key == key.strip()


@PROFILE
@given(TODAYS_ANY, st.integers(1, 400), st.sampled_from(KINDS))
def test_a_period_that_has_not_started_is_refused(today: date, ahead: int, kind: str) -> None:
    """Catches counts offered for a period nothing can have happened in yet."""
    if today.year == 9999:
        return
    later = today + timedelta(days=ahead)
    period = _period_of(kind, later)
    if period.start <= today:
        return
    with pytest.raises(PeriodInvalid) as refused:
        parse_period(period.key, today)
    assert refused.value.field == "period"


@PROFILE
@given(st.from_regex(r"\A[0-9]{4}(-([0-9]{2}|Q[1-4]))?\Z"), st.sampled_from(FOREIGN_DIGITS))
def test_a_key_has_one_spelling(key: str, script: str) -> None:
    """Catches the same period reachable under several URLs and file names."""
    foreign = key.translate(str.maketrans("0123456789", script))
    with pytest.raises(PeriodInvalid):
        parse_period(foreign, date(2026, 6, 15))


@PROFILE
@given(TODAYS)
def test_every_offered_period_parses_back_and_the_default_is_among_them(today: date) -> None:
    """Catches a period on the menu that the page would refuse when chosen."""
    offered = offered_periods(today)
    for periods in offered.values():
        for period in periods:
            assert parse_period(period.key, today) == period
    assert default_period(today) in offered[MONTH]


# --- examples pinning what the properties found ---------------------------------------------


@pytest.mark.parametrize("key", ["9999-12", "9999-Q4", "9999"])
def test_the_last_period_of_year_9999_is_refused_not_a_crash(key: str) -> None:
    """Its end (1 January 10000 minus a day) used to be computed first: a ValueError."""
    with pytest.raises(PeriodInvalid) as refused:
        parse_period(key, date(2026, 6, 15))
    assert refused.value.field == "period"


def test_a_year_in_other_digits_is_refused() -> None:
    """ "٢٠٢٦" used to be read as 2026."""
    with pytest.raises(PeriodInvalid):
        parse_period("٢٠٢٦", date(2026, 6, 15))
