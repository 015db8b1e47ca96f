"""The periods statistics are counted over: calendar months, quarters and years.

Only whole calendar periods are offered, never free dates: two free periods one day apart
would let anyone subtract one count from the other and read off a single day, which is
exactly what hiding small numbers is there to prevent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from partnercontact.errors import DomainError
from partnercontact.i18n import _l

MONTH = "month"
QUARTER = "quarter"
YEAR = "year"
KINDS = (MONTH, QUARTER, YEAR)

# ASCII digits only: a key is part of a URL and a file name, and has one spelling.
_PATTERNS = {
    MONTH: re.compile(r"([0-9]{4})-([0-9]{2})"),
    QUARTER: re.compile(r"([0-9]{4})-Q([1-4])"),
    YEAR: re.compile(r"([0-9]{4})"),
}
# How far back the choice of periods goes.
MONTHS_OFFERED = 24
QUARTERS_OFFERED = 12
YEARS_OFFERED = 6
EARLIEST_YEAR = 2000


class PeriodInvalid(DomainError):
    status = 400


@dataclass(frozen=True, order=True)
class Period:
    """A calendar period, first and last day included."""

    start: date
    end: date
    kind: str

    @property
    def key(self) -> str:
        """How the period is named in a URL or a file name: 2026-03, 2026-Q1 or 2026."""
        if self.kind == MONTH:
            return f"{self.start:%Y-%m}"
        if self.kind == QUARTER:
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return str(self.start.year)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def contains(self, day: date) -> bool:
        return self.start <= day <= self.end

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return _period_of(self.kind, self.start - timedelta(days=1))


def _months_later(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period_of(kind: str, day: date) -> Period:
    if kind == MONTH:
        start = date(day.year, day.month, 1)
        months = 1
    elif kind == QUARTER:
        start = date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
        months = 3
    else:
        start = date(day.year, 1, 1)
        months = 12
    return Period(start, _months_later(start, months) - timedelta(days=1), kind)


def parse_period(key: str, today: date) -> Period:
    """The period ``key`` names; :class:`PeriodInvalid` on the ``period`` field otherwise.

    A period that has not started yet is refused: there is nothing to count in it.
    """
    text = (key or "").strip()
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        year = int(match.group(1))
        number = int(match.group(2)) if kind != YEAR else 1
        if kind == MONTH and not 1 <= number <= 12:
            break
        if year < EARLIEST_YEAR:
            break
        first_month = {MONTH: number, QUARTER: (number - 1) * 3 + 1, YEAR: 1}[kind]
        start = date(year, first_month, 1)
        # Checked before the period's end is computed: the end of December 9999 is no date.
        if start > today:
            raise PeriodInvalid(_l("The period has not started yet."), field="period")
        return _period_of(kind, start)
    raise PeriodInvalid(
        _l("Choose a month (2026-03), a quarter (2026-Q1) or a year (2026)."), field="period"
    )


def default_period(today: date) -> Period:
    """The last whole month: the current one is still being counted."""
    return _period_of(MONTH, date(today.year, today.month, 1) - timedelta(days=1))


def offered_periods(today: date) -> dict[str, list[Period]]:
    """The periods to choose from, newest first, by kind; the current ones included."""
    offered: dict[str, list[Period]] = {}
    for kind, count in (
        (MONTH, MONTHS_OFFERED),
        (QUARTER, QUARTERS_OFFERED),
        (YEAR, YEARS_OFFERED),
    ):
        period = _period_of(kind, today)
        periods = []
        for _ in range(count):
            periods.append(period)
            period = period.previous()
        offered[kind] = periods
    return offered
