"""The access log's filters, read from query parameters (all text): :func:`parse_filters`.

Only the parsing is exercised: the actor filter (which looks the person up among the
clinic's staff) is left out, so no database is needed.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from hypothesis import example, given
from hypothesis import strategies as st

from partnercontact.audit.access_log import FIELDS, AccessLogInvalid, _day_start, parse_filters
from partnercontact.audit.tags import AuditAction
from partnercontact.policy.roles import Role
from tests.properties.profile import PROFILE
from tests.properties.strategies import SURROUNDING

MANAGER = SimpleNamespace(
    is_active=True,
    role=Role.MANAGER.value,
    clinic_id=1,
    clinic=SimpleNamespace(timezone="Europe/Stockholm"),
)
ANY_DATE = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))
# The days the log can hold: from 2000 to 2999.
LOGGED_DATE = st.dates(min_value=date(2000, 1, 1), max_value=date(2999, 12, 31))
TEXTISH = st.one_of(
    st.text(max_size=14),
    ANY_DATE.map(date.isoformat),
    ANY_DATE.map(lambda day: "{}-W{:02d}-{}".format(*day.isocalendar())),
    st.integers(-5, 10**7).map(str),
    st.sampled_from([action.value for action in AuditAction]),
    st.sampled_from(["client", "episode", "consent", "partner_case"]),
)
NAMES = st.sampled_from([name for name in FIELDS if name != "actor"] + ["q"])


@PROFILE
@given(st.dictionaries(NAMES, TEXTISH, max_size=5))
def test_any_query_is_filters_or_refused_on_a_named_field(values: dict[str, str]) -> None:
    """Catches a malformed query escaping as a ValueError (a 500 on the access log page)."""
    try:
        filters = parse_filters(MANAGER, values)
    except AccessLogInvalid as exc:
        assert exc.field in values or exc.field in FIELDS
        return
    assert filters.before is None or filters.after is None
    assert (
        parse_filters(MANAGER, filters.query_args(before=filters.before, after=filters.after))
        == filters
    )


@PROFILE
@given(LOGGED_DATE, SURROUNDING, SURROUNDING, st.sampled_from(["date_from", "date_to"]))
def test_a_date_is_read_as_written_whatever_surrounds_it(
    day: date, before: str, after: str, name: str
) -> None:
    """Catches a date read as another day, or refused for a space pasted around it."""
    filters = parse_filters(MANAGER, {name: before + day.isoformat() + after})
    assert getattr(filters, name) == day


@PROFILE
@given(TEXTISH, st.sampled_from(["date_from", "date_to"]))
@example("2026-W01-1", "date_from")
def test_an_accepted_date_is_the_one_its_text_names(text: str, name: str) -> None:
    """Catches a spelling other than YYYY-MM-DD accepted as some other day."""
    try:
        filters = parse_filters(MANAGER, {name: text})
    except AccessLogInvalid:
        return
    day = getattr(filters, name)
    assert day is None if not text.strip() else day.isoformat() == text.strip()


@PROFILE
@given(ANY_DATE)
@example(date(9999, 12, 31))
@example(date(1, 1, 1))
def test_every_accepted_end_date_can_bound_the_listing(day: date) -> None:
    """Catches an end date the filter accepts that the listing then fails on (the same goes
    for 0001-01-01 as the start: midnight in Stockholm is in year 0 in UTC)."""
    for name in ("date_from", "date_to"):
        try:
            parse_filters(MANAGER, {name: day.isoformat()})
        except AccessLogInvalid as refusal:
            assert refusal.field == name
            continue
        _day_start(day, MANAGER)
        _day_start(day + timedelta(days=1), MANAGER)
