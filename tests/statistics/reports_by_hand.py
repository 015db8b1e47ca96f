"""Reports built by hand with known figures, for what draws and exports them."""

from __future__ import annotations

from datetime import date

from partnercontact.statistics.periods import parse_period
from partnercontact.statistics.report import Figure, Line, Measure, Report, Section

THRESHOLD = 5


def line(key: str, current: Figure, previous: Figure, *, label: object = None, total=False) -> Line:
    return Line(key, label if label is not None else key.title(), current, previous, total)


def section(
    lines: list[Line], *, measure: Measure = Measure.COUNT, key: str = "consents", title="Consents"
) -> Section:
    return Section(key, title, measure, tuple(lines), "How they are counted.")


def report(*sections: Section, clinic: str = "Lindviks mottagning") -> Report:
    period = parse_period("2026-03", date(2026, 11, 1))
    return Report(clinic, period, period.previous(), THRESHOLD, tuple(sections))
