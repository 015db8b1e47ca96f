"""Dates and clock times typed into forms, and the clinic's wall clock they are booked on:
the date and time fields of the session, consent and contact forms, and
:func:`local_instant`."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict

from partnercontact.clinics.clock import local_instant
from partnercontact.partner_side.scheduling.sessions import SessionInvalid, check_bookable_day
from partnercontact.web.client_side.forms import ConsentRecordForm, SessionForm
from partnercontact.web.partner_side.contact import AnswerForm, SafeContactForm
from partnercontact.web.partner_side.sessions import AddSessionForm, BookSessionForm
from tests.properties.profile import PROFILE

ZONES = st.sampled_from(
    ["Europe/Stockholm", "Europe/Helsinki", "UTC", "America/New_York", "Australia/Lord_Howe"]
).map(ZoneInfo)
# Days on which a session could be booked; the daylight-saving rules are stable in these years.
BOOKABLE_DAYS = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
TODAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))
MINUTES = st.builds(time, st.integers(0, 23), st.integers(0, 59))


def _clock_change_days(zone: ZoneInfo, year: int) -> list[date]:
    """The days of ``year`` on which the clocks in ``zone`` change."""
    day, changes = date(year, 1, 1), []
    while day.year == year:
        start = datetime.combine(day, time(0, 0), tzinfo=zone).utcoffset()
        end = datetime.combine(day, time(23, 59), tzinfo=zone).utcoffset()
        if start != end:
            changes.append(day)
        day += timedelta(days=1)
    return changes


@st.composite
def wall_clock_moments(draw: st.DrawFn) -> tuple[date, time, ZoneInfo]:
    """A day, a clock time and a zone; half the time on a day the clocks change, when the
    bugs are."""
    zone = draw(ZONES)
    changes = _clock_change_days(zone, draw(st.integers(1990, 2100)))
    if changes and draw(st.booleans()):
        return draw(st.sampled_from(changes)), draw(MINUTES), zone
    return draw(BOOKABLE_DAYS), draw(MINUTES), zone


DATE_FIELDS = [
    (BookSessionForm, "day"),
    (AddSessionForm, "due_on"),
    (ConsentRecordForm, "signed_on"),
    (SessionForm, "held_on"),
    (AnswerForm, "answered_on"),
]
TIME_FIELDS = [(BookSessionForm, "time"), (SafeContactForm, "safe_from")]
# Each form example builds a request context: fewer of them, over seven fields.
FORM_PROFILE = settings(PROFILE, max_examples=40)


def _field(app: Flask, form_class: type, name: str, text: str) -> tuple[Any, str, list[str]]:
    with app.test_request_context():
        form = form_class(formdata=MultiDict({name: text}), meta={"csrf": False})
        field = getattr(form, name)
        field.validate(form)
        return field.data, field._value(), list(field.errors)


# --- the wall clock --------------------------------------------------------------------------


@PROFILE
@given(wall_clock_moments())
def test_a_booked_time_shows_on_the_clinic_clocks_as_typed(
    moment: tuple[date, time, ZoneInfo],
) -> None:
    """Catches a session or reminder an hour off on a daylight-saving day: the instant shows
    as the typed time, or just after a spring gap the clocks skip, never before it."""
    day, at, zone = moment
    typed = datetime.combine(day, at)
    shown = local_instant(day, at, zone).astimezone(zone).replace(tzinfo=None)
    assert typed <= shown < typed + timedelta(hours=1)
    if shown != typed:  # in the gap: the typed time does not exist that day
        for fold in (0, 1):
            exists = datetime.combine(day, at, tzinfo=zone).replace(fold=fold)
            assert exists.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != typed


@PROFILE
@given(wall_clock_moments())
def test_in_the_hour_that_repeats_the_first_one_counts(
    moment: tuple[date, time, ZoneInfo],
) -> None:
    """Catches a session booked in the autumn's repeated hour landing on the second pass."""
    day, at, zone = moment
    typed = datetime.combine(day, at)
    passes = [
        datetime.combine(day, at, tzinfo=zone).replace(fold=fold).astimezone(UTC) for fold in (0, 1)
    ]
    repeated = passes[0] != passes[1] and all(
        moment.astimezone(zone).replace(tzinfo=None) == typed for moment in passes
    )
    if repeated:
        assert local_instant(day, at, zone) == min(passes)
    else:
        assert local_instant(day, at, zone) == passes[0]


@PROFILE
@given(wall_clock_moments())
def test_the_same_time_next_day_is_a_day_later_give_or_take_the_clock_change(
    moment: tuple[date, time, ZoneInfo],
) -> None:
    """Catches a daily reminder drifting by an hour a day, or by a day."""
    day, at, zone = moment
    step = local_instant(day + timedelta(days=1), at, zone) - local_instant(day, at, zone)
    assert timedelta(hours=22) <= step <= timedelta(hours=26)


@PROFILE
@given(
    st.dates(), st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), MINUTES, ZONES
)
@example(date(1, 1, 1), date(2026, 1, 15), time(0, 30), ZoneInfo("Europe/Stockholm"))
@example(date(9999, 12, 31), date(2026, 1, 15), time(23, 30), ZoneInfo("Pacific/Kiritimati"))
def test_any_day_a_booking_accepts_can_be_put_on_the_clock(
    day: date, today: date, at: time, zone: ZoneInfo
) -> None:
    """Catches a day the date field accepts that the booking then fails on with a 500 (the
    ends of the calendar cannot be put on every zone's clock)."""
    try:
        check_bookable_day(day, today)
    except SessionInvalid as refusal:
        assert refusal.field == "day"
        return
    local_instant(day, at, zone)


# --- the form fields -------------------------------------------------------------------------


@pytest.mark.parametrize(("form_class", "name"), DATE_FIELDS)
@FORM_PROFILE
@given(day=st.dates(min_value=date(1000, 1, 1), max_value=date(9999, 12, 31)))
def test_a_date_round_trips_through_its_field(
    forms_app: Flask, form_class: type, name: str, day: date
) -> None:
    """Catches a date read as another day, or shown back in the form differently."""
    data, shown, errors = _field(forms_app, form_class, name, day.isoformat())
    assert (data, shown, errors) == (day, day.isoformat(), [])


@pytest.mark.parametrize(("form_class", "name"), TIME_FIELDS)
@FORM_PROFILE
@given(at=MINUTES)
def test_a_clock_time_round_trips_through_its_field(
    forms_app: Flask, form_class: type, name: str, at: time
) -> None:
    """Catches a time read as another (12-hour clock, seconds lost or added)."""
    data, shown, errors = _field(forms_app, form_class, name, at.strftime("%H:%M"))
    assert (data, shown, errors) == (at, at.strftime("%H:%M"), [])


@pytest.mark.parametrize(("form_class", "name"), DATE_FIELDS + TIME_FIELDS)
@FORM_PROFILE
@given(
    text=st.text(max_size=20)
    | st.from_regex(r"\A\d{1,5}[-:./ ]\d{1,3}([-:./ ]\d{1,3})?\Z")
    | st.sampled_from(["2026-02-29", "2026-13-01", "24:00", "23:60", "9999-12-31", "0000-01-01"])
)
def test_any_text_in_a_date_or_time_field_is_a_value_or_an_error_on_it(
    forms_app: Flask, form_class: type, name: str, text: str
) -> None:
    """Catches junk in a date or time field raising (a 500) instead of showing an error."""
    data, _, errors = _field(forms_app, form_class, name, text)
    if text.strip():
        assert (data is None) == bool(errors)
