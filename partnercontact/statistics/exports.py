"""The statistics as files a manager downloads: CSV and XLSX, the same cells as the page.

A figure is written as :func:`~partnercontact.statistics.report.figure_text` shows it, so a
hidden figure is "<5" in a file too, and a shown one carries no more precision than the page
(a share to the whole per cent, a median to one decimal): extra decimals of a share can be
enough to work out the small counts behind it. Both files start with a header naming the
clinic, the two periods, the threshold and what "<5" means, so a file read on its own, long
after, still says what it holds. Every word in them, the sheet's and the file's names too, is
in the language of whoever exports.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from flask_babel import gettext as _

from partnercontact.spreadsheet import Cell, Value, csv_safe, xlsx_bytes
from partnercontact.statistics.report import (
    WITHHELD_TEXT,
    Figure,
    Line,
    Measure,
    Report,
    Section,
    figure_text,
    hidden_text,
    period_label,
)

# Byte order mark: spreadsheet programs then read the file as UTF-8 (å, ä, ö).
BOM = "\ufeff"


def shown_number(figure: Figure, measure: Measure) -> int | float | None:
    """The number :func:`figure_text` writes for ``figure``, as a number, rounded alike.

    ``None`` for a hidden or withheld figure and for one without a value.
    """
    if not figure.shown or figure.value is None:
        return None
    value = figure.value
    if measure == Measure.SHARE:
        return int(f"{value:.0f}")
    if isinstance(value, float) and not value.is_integer():
        return float(f"{value:.1f}")
    return int(value)


def hidden_note(threshold: int) -> str:
    """What "<5" means, for an export's header and a chart's description."""
    return _(
        "%(hidden)s: fewer than %(threshold)d, or hidden so that a number under "
        "%(threshold)d cannot be worked out from the others.",
        hidden=hidden_text(threshold),
        threshold=threshold,
    )


def withheld_note() -> str:
    """What "–*" means, for the page, an export's header and a chart's description."""
    return _(
        "%(withheld)s: hidden because a count it depends on is hidden.", withheld=WITHHELD_TEXT
    )


def _header(report: Report) -> list[list[Value]]:
    return [
        [_("Clinic"), report.clinic_name],
        [_("Period"), period_label(report.period)],
        [_("Compared with"), period_label(report.previous)],
        [_("Numbers hidden below"), report.threshold],
        [hidden_text(report.threshold), hidden_note(report.threshold)],
        [WITHHELD_TEXT, withheld_note()],
    ]


def _columns(report: Report) -> list[str]:
    return [
        _("Section"),
        _("Line"),
        period_label(report.period),
        period_label(report.previous),
        _("Change"),
    ]


def _figures(line: Line) -> tuple[tuple[Figure, bool], ...]:
    """The line's figures in column order, each with whether it is a signed change."""
    return ((line.current, False), (line.previous, False), (line.change, True))


def report_csv(report: Report) -> str:
    """``report`` as CSV text, starting with a byte order mark; send it encoded as UTF-8.

    A header block, an empty row, then one row per line: section, line, the chosen period,
    the period before, the change. Every cell passes the spreadsheet formula guard.
    """
    rows: list[Sequence[object]] = [*_header(report), [], _columns(report)]
    for section in report.sections:
        for line in section.lines:
            rows.append(
                [
                    section.title,
                    line.label,
                    *(
                        figure_text(figure, section.measure, report.threshold, signed=signed)
                        for figure, signed in _figures(line)
                    ),
                ]
            )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerows([csv_safe(str(cell)) for cell in row] for row in rows)
    return BOM + out.getvalue()


def _number_format(measure: Measure, value: int | float, signed: bool) -> str | None:
    if measure == Measure.SHARE:
        # A change of a share is in percentage points, a share in per cent.
        unit = _("pp").replace('"', "") if signed else "%"
        return f'+0" {unit}";-0" {unit}";+0" {unit}"' if signed else '0" %"'
    if not signed:
        return None
    return "+0.0;-0.0;+0.0" if isinstance(value, float) else "+0;-0;+0"


def _xlsx_figure(figure: Figure, section: Section, threshold: int, signed: bool) -> Cell:
    """A shown figure as a number formatted as on the page; otherwise its text ("<5", "–")."""
    number = shown_number(figure, section.measure)
    if number is None:
        return Cell(figure_text(figure, section.measure, threshold))
    return Cell(number, number_format=_number_format(section.measure, number, signed))


def report_xlsx(report: Report) -> bytes:
    """``report`` as an XLSX file with one sheet, the same rows as :func:`report_csv`.

    Shown figures are numbers (formatted "68 %", "+3"), hidden ones the text "<5". The
    document properties name the application and the period, nobody who made the file.
    """
    rows: list[list[Value | Cell]] = [
        [Cell(label, bold=True), value] for label, value in _header(report)
    ]
    rows.append([])
    rows.append([Cell(name, bold=True) for name in _columns(report)])
    for section in report.sections:
        for line in section.lines:
            rows.append(
                [
                    str(section.title),
                    str(line.label),
                    *(
                        _xlsx_figure(figure, section, report.threshold, signed)
                        for figure, signed in _figures(line)
                    ),
                ]
            )
    name = _("Statistics")
    return xlsx_bytes(name, rows, title=f"{name} {report.period.key}")


def export_filename(report: Report, suffix: str) -> str:
    """The name a downloaded file gets, in the user's language: "statistik-2026-03.csv"."""
    return f"{_('statistics')}-{report.period.key}.{suffix}"
