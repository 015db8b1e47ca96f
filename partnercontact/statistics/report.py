"""What a statistics page, chart or export shows: sections of lines, each line a figure for
the chosen period and one for the period before, every figure already past suppression.

Nothing in here is a person: a report holds numbers, their labels and whether each number
may be shown. Pages, charts and exports read only this, so they cannot show a number the
suppression rule hid.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from flask_babel import format_date
from flask_babel import gettext as _

from partnercontact.statistics.periods import MONTH, QUARTER, Period


class Measure(StrEnum):
    COUNT = "count"
    # A share in per cent, 0 to 100.
    SHARE = "share"
    # A number of days (a median).
    DAYS = "days"


@dataclass(frozen=True)
class Figure:
    """One number as it may be shown.

    ``hidden``: a count below the clinic's threshold, or one a hidden count could be worked
    out from; it shows as "<5". ``withheld``: a share or a median not shown because a count
    it depends on is hidden; it shows as "–*", the note saying why ("<5" would read as a
    share under 5 %). ``value`` is None in both cases, so nothing downstream can leak it. A
    figure with no value that is neither has nothing to show (a share of no clients) and
    shows as a dash.
    """

    value: int | float | None
    hidden: bool = False
    withheld: bool = False

    @property
    def shown(self) -> bool:
        return self.value is not None and not self.hidden and not self.withheld


NOTHING = Figure(None)
HIDDEN = Figure(None, hidden=True)
WITHHELD = Figure(None, withheld=True)
# How a withheld figure shows: a dash with a note mark.
WITHHELD_TEXT = "–*"


@dataclass(frozen=True)
class Line:
    key: str
    label: object  # a lazy translation
    current: Figure
    previous: Figure
    # The sum of the section's other lines.
    is_total: bool = False

    @property
    def change(self) -> Figure:
        """Current minus previous, when both are shown; hidden when either is hidden,
        withheld when either is withheld."""
        if self.current.hidden or self.previous.hidden:
            return HIDDEN
        if self.current.withheld or self.previous.withheld:
            return WITHHELD
        if not (self.current.shown and self.previous.shown):
            return NOTHING
        assert self.current.value is not None and self.previous.value is not None
        return Figure(self.current.value - self.previous.value)


@dataclass(frozen=True)
class Section:
    key: str
    title: object  # a lazy translation
    measure: Measure
    lines: tuple[Line, ...]
    # How the section's numbers are counted, in a sentence or two.
    definition: object


@dataclass(frozen=True)
class Report:
    clinic_name: str
    period: Period
    previous: Period
    threshold: int
    sections: tuple[Section, ...]

    def section(self, key: str) -> Section:
        return next(section for section in self.sections if section.key == key)

    def line(self, section_key: str, line_key: str) -> Line:
        return next(line for line in self.section(section_key).lines if line.key == line_key)


def hidden_text(threshold: int) -> str:
    return f"<{threshold}"


def figure_text(figure: Figure, measure: Measure, threshold: int, *, signed: bool = False) -> str:
    """The figure as a page or an export shows it: "12", "<5", "68 %", "14", "–*" or "–"."""
    if figure.hidden:
        return hidden_text(threshold)
    if figure.withheld:
        return WITHHELD_TEXT
    if figure.value is None:
        return "–"
    value = figure.value
    if measure == Measure.SHARE:
        number = f"{value:+.0f}" if signed else f"{value:.0f}"
        # A change of a share is in percentage points, a share in per cent.
        return f"{number} {_('pp') if signed else '%'}"
    if isinstance(value, float) and not value.is_integer():
        number = f"{value:+.1f}" if signed else f"{value:.1f}"
    else:
        number = f"{int(value):+d}" if signed else f"{int(value)}"
    return number


def period_label(period: Period) -> str:
    """ "March 2026", "Q1 2026" or "2026", in the reader's language."""
    if period.kind == MONTH:
        return format_date(period.start, "LLLL yyyy")
    if period.kind == QUARTER:
        return _(
            "Q%(number)s %(year)s", number=(period.start.month - 1) // 3 + 1, year=period.start.year
        )
    return str(period.start.year)
