"""No hidden count can be worked out from what is published: generated count tables through
the report, its CSV and XLSX files and the API's answer, read back by a reader who knows
every relation (tests/statistics/reader.py); and the reported case, seeded."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import date

import pytest
from flask import Flask
from flask_babel import force_locale
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnercontact.api.management import _statistics
from partnercontact.db import db
from partnercontact.statistics.counts import (
    NOT_CONTACTED_REASONS,
    RELAY_KINDS,
    PeriodCounts,
    count_period,
)
from partnercontact.statistics.exports import report_csv, report_xlsx
from partnercontact.statistics.periods import parse_period
from partnercontact.statistics.relations import Relation, report_relations
from partnercontact.statistics.report import Measure, Report
from partnercontact.statistics.service import (
    build_report,
    cell_counts,
    report_cells,
    statistics_report,
)
from tests.helpers import api_token, log_in, text_of
from tests.statistics.known_history import READ_AT
from tests.statistics.reader import Published, Reader, count_lines, from_api, from_csv, from_xlsx
from tests.statistics.seeding import History

PERIOD = parse_period("2026-03", date(2026, 11, 1))
# Mostly small numbers, where hiding happens, and now and then a larger one.
COUNT = st.one_of(st.integers(0, 6), st.integers(0, 14))


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


@st.composite
def period_counts(draw: st.DrawFn) -> PeriodCounts:
    return PeriodCounts(
        clients_in_treatment=draw(COUNT),
        clients_asked=draw(COUNT),
        dropouts=draw(COUNT),
        consents_given=draw(COUNT),
        consents_refused=draw(COUNT),
        consents_withdrawn=draw(COUNT),
        partners_offered=draw(COUNT),
        partners_reached=draw(COUNT),
        partners_accepted=draw(COUNT),
        partners_declined=draw(COUNT),
        not_contacted={reason: draw(COUNT) for reason in NOT_CONTACTED_REASONS},
        relayed={kind: draw(COUNT) for kind in RELAY_KINDS},
        cases_with_children=draw(COUNT),
        concern_reports=draw(COUNT),
        client_concern_reports=draw(COUNT),
        risk_signals=draw(COUNT),
        consultations_asked_by_client_side=draw(COUNT),
        consultations_asked_by_partner_side=draw(COUNT),
        consultations_held=draw(COUNT),
        days_to_first_offer=tuple(draw(st.lists(st.integers(0, 30), max_size=8))),
    )


@st.composite
def consistent_counts(draw: st.DrawFn) -> PeriodCounts:
    """Counts where the relations a reader expects hold exactly, as in a clinic's first
    months: asked = given + refused, reached = accepted + declined, and so on."""
    given, refused = draw(COUNT), draw(COUNT)
    accepted, declined = draw(COUNT), draw(COUNT)
    reached = accepted + declined + draw(st.integers(0, 2))
    dropped = draw(COUNT)
    withdrawn = draw(COUNT)
    relayed = {kind: draw(COUNT) for kind in RELAY_KINDS}
    relayed["dropped_out"] = min(relayed["dropped_out"], dropped)
    relayed["consent_withdrawn"] = min(relayed["consent_withdrawn"], withdrawn)
    concern = draw(COUNT)
    return PeriodCounts(
        clients_in_treatment=given + refused + draw(st.integers(0, 3)),
        clients_asked=given + refused,
        dropouts=dropped,
        consents_given=given,
        consents_refused=refused,
        consents_withdrawn=withdrawn,
        partners_offered=reached + draw(st.integers(0, 2)),
        partners_reached=reached,
        partners_accepted=accepted,
        partners_declined=declined,
        not_contacted={reason: draw(COUNT) for reason in NOT_CONTACTED_REASONS},
        relayed=relayed,
        cases_with_children=concern + draw(st.integers(0, 2)),
        concern_reports=concern,
        client_concern_reports=draw(COUNT),
        risk_signals=draw(COUNT),
        consultations_asked_by_client_side=draw(COUNT),
        consultations_asked_by_partner_side=draw(COUNT),
        consultations_held=draw(COUNT),
        days_to_first_offer=(),
    )


def assert_nothing_worked_out(report: Report, current: PeriodCounts, previous: PeriodCounts):
    """Every published form shows the same counts, each its true value, and a reader of any
    of them works out no hidden count, save one the relations pin whatever is shown."""
    truth = report_cells(current, previous)
    relations = report_relations(cell_counts(current))
    forms = {
        "csv": from_csv(report, report_csv(report)),
        "xlsx": from_xlsx(report, report_xlsx(report)),
        "api": from_api(report, _statistics(report)),
    }
    for name, published in forms.items():
        for key, value in published.items():
            assert value is None or value == truth[key], (name, key)
        shared = {key: value for key, value in forms["csv"].items() if key in published}
        assert published == shared, name
    assert_reader_learns_nothing(truth, forms["csv"], relations, report.threshold)
    for section in report.sections:
        if section.measure == Measure.COUNT:
            continue
        for line in section.lines:
            for figure in (line.current, line.previous):
                assert not figure.hidden, "a share or median never shows as <5"


def assert_reader_learns_nothing(
    truth: dict[str, int], published: Published, relations: tuple[Relation, ...], threshold: int
) -> None:
    """A reader of ``published`` works out no hidden count, save one she would work out
    with every count hidden: that one the relations pin whatever is shown (knowing that
    nobody was asked before the period is knowing that nobody was asked in the one before)."""
    worked_out = Reader(truth, published, relations, threshold).worked_out()
    if worked_out:
        everything_hidden: Published = {key: None for key in published}
        pinned_anyway = Reader(truth, everything_hidden, relations, threshold).worked_out()
        assert worked_out <= pinned_anyway, (worked_out - pinned_anyway, published)


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@PROPERTY
@given(current=period_counts(), previous=period_counts(), threshold=st.sampled_from([3, 5]))
@pytest.mark.parametrize("backend", ["sqlite"])  # built from counts: no database is read
def test_no_hidden_count_follows_from_any_generated_table(
    english, current: PeriodCounts, previous: PeriodCounts, threshold: int
) -> None:
    report = build_report("Lindvik", PERIOD, PERIOD.previous(), threshold, current, previous)
    assert_nothing_worked_out(report, current, previous)


@PROPERTY
@given(current=consistent_counts(), previous=consistent_counts(), threshold=st.sampled_from([3, 5]))
@pytest.mark.parametrize("backend", ["sqlite"])
def test_no_hidden_count_follows_where_every_relation_holds_exactly(
    english, current: PeriodCounts, previous: PeriodCounts, threshold: int
) -> None:
    report = build_report("Lindvik", PERIOD, PERIOD.previous(), threshold, current, previous)
    assert_nothing_worked_out(report, current, previous)


def test_the_reported_case_hides_more_than_the_refused_two_everywhere(
    app: Flask, factory, clock
) -> None:
    """Nine clients asked in March, seven gave consent and two refused: the page showed 9
    and 7 beside "<5", which gave the 2 away. Now the page, both files and the API hide the
    2 and at least one more, and no reader of any of them works out a hidden count."""
    clock.set(READ_AT)
    clinic = factory.default_clinic
    manager = factory.manager()
    history = History(clinic, factory.client_treater().user)
    for number in range(9):
        episode = history.episode(date(2026, 3, 2))
        history.consent(episode, date(2026, 3, 4), state="given" if number < 7 else "refused")
    db.session.commit()

    browser = app.test_client()
    log_in(browser, manager, clock)
    page = text_of(browser.get("/management/statistics?period=2026-03"))
    csv_text = text_of(browser.get("/management/statistics.csv?period=2026-03"))
    xlsx = browser.get("/management/statistics.xlsx?period=2026-03").get_data()
    secret = api_token(manager)
    answer = app.test_client().get(
        "/api/v1/management/statistics?period=2026-03",
        headers={"Authorization": f"Bearer {secret}"},
    )
    with app.test_request_context():
        report = statistics_report(manager.user, "2026-03")
        current = count_period(clinic, report.period)
        previous = count_period(clinic, report.previous)
    assert (current.clients_asked, current.consents_given, current.consents_refused) == (9, 7, 2)

    line = report.line
    assert line("consents", "refused").current.hidden
    assert line("consents", "given").current.hidden or line("clients", "asked").current.hidden
    assert _page_row(page, "consents.refused")[0] == "<5"
    truth = report_cells(current, previous)
    relations = report_relations(cell_counts(current))
    for published in (
        from_csv(report, csv_text),
        from_xlsx(report, xlsx),
        from_api(report, answer.get_json()),
    ):
        hidden = {key for key, value in published.items() if value is None}
        assert {"current:consents.refused"} < hidden
        assert_reader_learns_nothing(truth, published, relations, report.threshold)
    page_cells = {
        f"{period}:{cell}": _page_row(page, cell)[index]
        for _label, cell in count_lines(report)
        for index, period in enumerate(("current", "previous"))
    }
    assert page_cells == {
        key: "<5" if value is None else str(value)
        for key, value in from_csv(report, csv_text).items()
        if not key.startswith("change:")
    }


def _page_row(page: str, line: str) -> list[str]:
    start = page.index(f'<tr data-line="{line}"')
    row = page[start : page.index("</tr>", start) + len("</tr>")]
    return [html.unescape(text) for text in re.findall(r"<td[^>]*>([^<]*)</td>", row)]
