"""The statistics over a seeded clinic whose every answer was worked out by hand
(tests/statistics/known_history.py), small numbers hidden as a reader would see them."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from partnercontact.audit.models import AuditEvent
from partnercontact.db import db
from partnercontact.errors import Forbidden
from partnercontact.statistics.periods import PeriodInvalid
from partnercontact.statistics.report import HIDDEN, Figure, Report
from partnercontact.statistics.service import statistics_report
from tests.statistics.known_history import READ_AT, Seeded, seed_known_history

H = HIDDEN
# (section, line): (March, February). HIDDEN shows as "<5".
EXPECTED = {
    ("asked", "share"): (Figure(87.5), Figure(77.8)),
    ("clients", "in_treatment"): (Figure(16), Figure(9)),
    ("clients", "asked"): (Figure(14), Figure(7)),
    ("clients", "dropouts"): (H, H),
    # Asked 14 in March, 7 in February: with 5 given in March, the 2 refused would follow
    # (14 = 7 + 5 + 2), so the 5 goes too. In February 7 asked and 7 given would say no one
    # refused: the 7 goes.
    ("consents", "given"): (H, H),
    ("consents", "refused"): (H, H),
    ("consents", "withdrawn"): (H, H),
    ("partners", "offered"): (Figure(6), Figure(6)),
    ("partners", "reached"): (Figure(7), H),
    # Reached 7, accepted 5: declined would be 2.
    ("partners", "accepted"): (H, H),
    ("partners", "declined"): (H, H),
    ("not_contacted", "long_time_without_contact"): (Figure(6), H),
    ("not_contacted", "controlling_pattern"): (Figure(5), H),
    ("not_contacted", "sheltered_housing"): (H, H),
    ("not_contacted", "abroad"): (H, H),
    ("not_contacted", "other"): (H, H),
    ("not_contacted", "not_broken_down"): (H, H),
    ("not_contacted", "total"): (Figure(13), H),
    ("relayed", "treatment_started"): (Figure(6), H),
    ("relayed", "session_missed"): (Figure(7), H),
    # 3 is under 5; with 6, 7, 5, 5, 5 and the total 31 shown it would be 31 - 28, and the
    # dropouts (also 3) with it. Hiding the smallest part (completed, 5) is enough: 3 + 5 = 8
    # with the 3 under 5 and the 5 at least 5 leaves 0 to 3 and 5 to 8.
    ("relayed", "dropped_out"): (H, H),
    ("relayed", "treatment_completed"): (H, H),
    ("relayed", "ended_by_clinic"): (Figure(5), H),
    ("relayed", "consent_withdrawn"): (Figure(5), H),
    ("relayed", "total"): (Figure(31), H),
    ("children", "cases"): (Figure(5), H),
    ("children", "concern_reports"): (H, H),
    ("children", "client_concern_reports"): (Figure(6), H),
    # Risk signals 6 and 1; talks asked for 2 and 5 by the two sides (1 by the partner side in
    # February); held 3 (none in February). No total is shown, so nothing follows from what
    # is shown: only the small ones go.
    ("consultations", "risk_signals"): (Figure(6), H),
    ("consultations", "asked_by_client_side"): (H, H),
    ("consultations", "asked_by_partner_side"): (Figure(5), H),
    ("consultations", "held"): (H, H),
    ("timing", "median_days"): (Figure(6.5), Figure(5.0)),
}


@pytest.fixture
def seeded(factory, clock) -> Seeded:
    return seed_known_history(factory, clock)


def test_every_figure_of_march_and_february_is_the_worked_out_one(seeded: Seeded) -> None:
    report = statistics_report(seeded.manager.user, "2026-03")
    assert (report.period.start.isoformat(), report.previous.key) == ("2026-03-01", "2026-02")
    assert report.threshold == 5
    found = {
        (section.key, line.key): (line.current, line.previous)
        for section in report.sections
        for line in section.lines
    }
    assert found == EXPECTED


def test_changes_are_shown_only_between_two_shown_figures(seeded: Seeded) -> None:
    report = statistics_report(seeded.manager.user, "2026-03")
    assert report.line("clients", "in_treatment").change == Figure(7)
    assert report.line("asked", "share").change == Figure(87.5 - 77.8)
    assert report.line("timing", "median_days").change == Figure(1.5)
    assert report.line("partners", "reached").change == HIDDEN
    assert report.line("clients", "dropouts").change == HIDDEN


def test_a_quarter_counts_its_three_months(seeded: Seeded) -> None:
    report = statistics_report(seeded.manager.user, "2026-Q1")
    # January to March: E1-E13 and E15-E18, and the fourteen cases ended in January.
    assert report.line("clients", "in_treatment").current == Figure(17 + 14)
    # Given 26 and refused 2 of 28 asked, none asked before: the 26 goes with the 2.
    assert report.line("consents", "given").current == HIDDEN
    assert report.line("clients", "asked").current == Figure(28)
    assert report.line("partners", "offered").current == Figure(12)
    assert report.previous.key == "2025-Q4"
    assert report.line("clients", "in_treatment").previous == HIDDEN


def test_a_threshold_of_three_shows_what_five_hid(seeded: Seeded) -> None:
    seeded.manager.user.clinic.small_count_threshold = 3
    db.session.commit()
    report = statistics_report(seeded.manager.user, "2026-03")
    assert report.threshold == 3
    assert report.line("clients", "dropouts").current == Figure(3)
    assert report.line("relayed", "dropped_out").current == Figure(3)
    assert report.line("partners", "declined").current == HIDDEN  # 2


def test_a_protected_partners_reason_is_never_broken_down(seeded: Seeded) -> None:
    seeded.manager.user.clinic.small_count_threshold = 1
    db.session.commit()
    report = statistics_report(seeded.manager.user, "2026-03")
    # Two partners in sheltered housing were decided on; the protected one counts only as
    # "not broken down".
    assert report.line("not_contacted", "sheltered_housing").current == Figure(1)
    assert report.line("not_contacted", "not_broken_down").current == Figure(1)


def test_another_clinics_manager_counts_only_that_clinic(seeded: Seeded) -> None:
    report: Report = statistics_report(seeded.other_manager.user, "2026-03")
    assert report.line("clients", "in_treatment").current == Figure(6)
    assert report.line("partners", "reached").current == Figure(6)
    assert report.line("relayed", "total").current == Figure(6)
    assert report.line("clients", "asked").current == Figure(6)
    # 6 given of 6 asked would say that no one refused; 6 dropouts relayed of 6 in all, that
    # no other event was: both go.
    assert report.line("consents", "given").current == HIDDEN
    assert report.line("relayed", "dropped_out").current == HIDDEN


def test_reading_the_statistics_is_audited_with_the_period_only(seeded: Seeded) -> None:
    statistics_report(seeded.manager.user, "2026-03")
    statistics_report(seeded.manager.user, "2026", exported=True)
    rows = db.session.execute(
        select(AuditEvent.action, AuditEvent.resource_type, AuditEvent.resource_id)
        .where(AuditEvent.resource_type == "statistics")
        .order_by(AuditEvent.seq)
    ).all()
    assert [tuple(row) for row in rows] == [
        ("statistics.viewed", "statistics", "2026-03"),
        ("statistics.exported", "statistics", "2026"),
    ]


@pytest.mark.parametrize("key", ["2026-13", "2026-Q5", "1999", "mars", "2026-05", "2026-03-01"])
def test_a_period_that_is_not_one_is_refused_on_its_field(factory, clock, key: str) -> None:
    clock.set(READ_AT)
    with pytest.raises(PeriodInvalid) as refused:
        statistics_report(factory.manager().user, key)
    assert refused.value.field == "period"


def test_only_managers_see_statistics(factory) -> None:
    for account in (factory.client_treater(), factory.partner_treater(), factory.admin()):
        with pytest.raises(Forbidden):
            statistics_report(account.user, "2026-03")
