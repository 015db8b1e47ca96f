"""A section of the statistics as a chart: plain SVG drawn on the server.

No script, no library, no fetched font: the chart is markup a page can inline and a printer,
a screen reader or a text browser can read. One group of two horizontal bars per line of the
section, the chosen period above the period before.

A hidden figure draws a short hatched stub of a fixed width and "<5", never a bar of its
length; the scale is taken from the shown figures only. Were a hidden figure allowed to set
the scale, the length of every other bar, and the axis, would change with it and give the
hidden number away.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from flask_babel import gettext as _
from markupsafe import Markup

from partnercontact.statistics.exports import hidden_note, shown_number, withheld_note
from partnercontact.statistics.report import (
    Figure,
    Line,
    Measure,
    Report,
    Section,
    figure_text,
    period_label,
)

WIDTH = 640
MARGIN = 16
# Room right of the longest bar for its value ("100 %").
VALUE_ROOM = 64
PLOT_LEFT = MARGIN
PLOT_WIDTH = WIDTH - VALUE_ROOM - PLOT_LEFT
LEGEND_HEIGHT = 34
REFERENCE_HEIGHT = 20
LABEL_HEIGHT = 18
BAR_HEIGHT = 14
BAR_GAP = 3
GROUP_HEIGHT = 58
AXIS_HEIGHT = 24
# A hidden figure's stub: the same width whatever the number behind it.
STUB_WIDTH = 12

# The national pilot raised the share of clients asked about partner contact from 38 % to
# 68 %: the reference a clinic reads its own share against.
PILOT_BEFORE = 38
PILOT_AFTER = 68
SHARE_TICKS = (0, 25, 50, 75, 100)

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9-]*")

INK = "#1f3b5c"
PREVIOUS_FILL = "#c9d7e8"
GRID = "#d9d9d9"
NEUTRAL = "#767676"


@dataclass(frozen=True)
class _Chart:
    section: Section
    report: Report
    prefix: str
    # The value at the right end of the axis.
    scale_end: float


def _px(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _name(text: str) -> Markup:
    # Element and attribute names are written in this module, never taken from data; the
    # check makes sure a future change cannot slip markup in through one.
    if not _NAME.fullmatch(text):
        raise ValueError(f"not an XML name: {text!r}")
    return Markup(text)  # noqa: S704


def _el(name: str, content: object = None, /, **attributes: object) -> Markup:
    """An element; every attribute value and text is escaped.

    Text is turned into ``str`` first: a lazy translation claims to be markup already
    (``__html__``) and would otherwise pass unescaped.
    """
    attrs = Markup("").join(
        Markup(' {}="{}"').format(
            _name(key.rstrip("_").replace("_", "-")),
            _px(value) if isinstance(value, float) else str(value),
        )
        for key, value in attributes.items()
    )
    if content is None:
        return Markup("<{}{}/>").format(_name(name), attrs)
    body = content if isinstance(content, Markup) else str(content)
    return Markup("<{0}{1}>{2}</{0}>").format(_name(name), attrs, body)


def _join(parts: list[Markup]) -> Markup:
    return Markup("\n").join(parts)


def _nice_step(raw: float) -> float:
    power = 10 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def _ticks(section: Section) -> list[float]:
    """Where the axis is marked; the last tick is the end of the scale."""
    if section.measure == Measure.SHARE:
        return list(SHARE_TICKS)
    shown = [
        shown_number(figure, section.measure)
        for line in section.lines
        for figure in (line.current, line.previous)
    ]
    largest = max([0, *(number for number in shown if number is not None)])
    if largest <= 0:
        return [0, 1]
    step = _nice_step(largest / 5)
    if section.measure == Measure.COUNT:
        step = max(1, step)
    count = math.ceil(largest / step - 1e-9)
    return [step * n for n in range(count + 1)]


def _tick_text(value: float, measure: Measure) -> str:
    number = f"{value:g}"
    return f"{number} %" if measure == Measure.SHARE else number


def _defs(prefix: str) -> Markup:
    # The previous period is striped, a hidden figure cross-hatched in grey: the bars differ
    # in pattern as well as colour, so they read apart in greyscale and to colour-blind eyes.
    previous = _el(
        "pattern",
        _join(
            [
                _el("rect", width=6, height=6, fill=PREVIOUS_FILL),
                _el("path", d="M0,6 L6,0", stroke=INK, stroke_width=1.2),
            ]
        ),
        id=f"{prefix}-previous",
        patternUnits="userSpaceOnUse",
        width=6,
        height=6,
    )
    hidden = _el(
        "pattern",
        _join(
            [
                _el("rect", width=4, height=4, fill="#ffffff"),
                _el("path", d="M0,0 L4,4 M4,0 L0,4", stroke=NEUTRAL, stroke_width=0.8),
            ]
        ),
        id=f"{prefix}-hidden",
        patternUnits="userSpaceOnUse",
        width=4,
        height=4,
    )
    return _el("defs", _join([previous, hidden]))


def _fill(kind: str, prefix: str) -> str:
    return INK if kind == "current" else f"url(#{prefix}-previous)"


def _legend(report: Report, prefix: str) -> Markup:
    parts = []
    for index, (kind, period) in enumerate(
        (("current", report.period), ("previous", report.previous))
    ):
        x = PLOT_LEFT + index * 220
        parts.append(
            _el(
                "rect",
                class_=f"swatch {kind}",
                x=x,
                y=8,
                width=14,
                height=14,
                fill=_fill(kind, prefix),
                stroke=INK,
            )
        )
        parts.append(_el("text", period_label(period), class_="legend", x=x + 20, y=19))
    return _el("g", _join(parts), class_="legend")


def _x(value: float, scale_end: float) -> float:
    return PLOT_LEFT + PLOT_WIDTH * min(max(value, 0), scale_end) / scale_end


def _axis(section: Section, ticks: list[float], top: float, bottom: float) -> Markup:
    parts = []
    for tick in ticks:
        x = _x(tick, ticks[-1])
        parts.append(_el("line", x1=x, x2=x, y1=top, y2=bottom, stroke=GRID))
        parts.append(
            _el(
                "text",
                _tick_text(tick, section.measure),
                x=x,
                y=bottom + 15,
                text_anchor="middle",
                fill=NEUTRAL,
            )
        )
    return _el("g", _join(parts), class_="axis")


def _pilot_labels() -> tuple[str, str]:
    before = figure_text(Figure(PILOT_BEFORE), Measure.SHARE, 0)
    after = figure_text(Figure(PILOT_AFTER), Measure.SHARE, 0)
    return (
        _("National pilot, before: %(share)s", share=before),
        _("National pilot, after: %(share)s", share=after),
    )


def _references(top: float, bottom: float) -> Markup:
    parts = []
    labels = _pilot_labels()
    # "Before" reads leftwards from its line and "after" rightwards, so they never overlap.
    for share, label, anchor, shift in (
        (PILOT_BEFORE, labels[0], "end", -4),
        (PILOT_AFTER, labels[1], "start", 4),
    ):
        x = _x(share, 100)
        parts.append(
            _el(
                "line",
                class_="reference",
                x1=x,
                x2=x,
                y1=top - REFERENCE_HEIGHT + 4,
                y2=bottom,
                stroke="#000000",
                stroke_dasharray="5 3",
                stroke_width=1.5,
            )
        )
        parts.append(_el("text", label, x=x + shift, y=top - 6, text_anchor=anchor, font_size=11))
    return _el("g", _join(parts), class_="references")


def _bar(figure: Figure, kind: str, y: float, chart: _Chart) -> Markup:
    text = figure_text(figure, chart.section.measure, chart.report.threshold)
    prefix = chart.prefix
    parts = []
    number = shown_number(figure, chart.section.measure)
    if number is not None:
        # The bar is as long as the number written beside it, no more precise.
        end = _x(number, chart.scale_end)
        parts.append(
            _el(
                "rect",
                class_=f"bar {kind}",
                x=PLOT_LEFT,
                y=y,
                width=end - PLOT_LEFT,
                height=BAR_HEIGHT,
                fill=_fill(kind, prefix),
                stroke=INK,
                stroke_width=0.5,
            )
        )
    elif figure.hidden:
        end = PLOT_LEFT + STUB_WIDTH
        parts.append(
            _el(
                "rect",
                class_=f"hidden {kind}",
                x=PLOT_LEFT,
                y=y,
                width=STUB_WIDTH,
                height=BAR_HEIGHT,
                fill=f"url(#{prefix}-hidden)",
                stroke=NEUTRAL,
            )
        )
    else:
        end = PLOT_LEFT
    parts.append(_el("text", text, class_=f"value {kind}", x=end + 4, y=y + BAR_HEIGHT - 3))
    return _join(parts)


def _group(line: Line, y: float, chart: _Chart) -> Markup:
    parts = []
    if line.is_total:
        # The total is the sum of the lines above: a rule and bold type set it apart.
        parts.append(
            _el("line", x1=PLOT_LEFT, x2=WIDTH - MARGIN, y1=y, y2=y, stroke=INK, stroke_width=1.5)
        )
    parts.append(
        _el(
            "text",
            line.label,
            class_="label",
            x=PLOT_LEFT,
            y=y + LABEL_HEIGHT - 4,
            font_weight="bold" if line.is_total else "normal",
        )
    )
    bars = ((line.current, "current"), (line.previous, "previous"))
    for index, (figure, kind) in enumerate(bars):
        bar_y = y + LABEL_HEIGHT + index * (BAR_HEIGHT + BAR_GAP)
        parts.append(_bar(figure, kind, bar_y, chart))
    return _el("g", _join(parts), class_="line total" if line.is_total else "line")


def _summary(section: Section, report: Report) -> str:
    """What the chart shows, in sentences, for a screen reader."""
    current, previous = period_label(report.period), period_label(report.previous)
    sentences = [
        _(
            "%(label)s: %(value)s in %(period)s, %(previous_value)s in %(previous_period)s.",
            label=str(line.label),
            value=figure_text(line.current, section.measure, report.threshold),
            period=current,
            previous_value=figure_text(line.previous, section.measure, report.threshold),
            previous_period=previous,
        )
        for line in section.lines
    ]
    if section.measure == Measure.SHARE:
        sentences.extend(f"{text}." for text in _pilot_labels())
    if any(line.current.hidden or line.previous.hidden for line in section.lines):
        sentences.append(hidden_note(report.threshold))
    if any(line.current.withheld or line.previous.withheld for line in section.lines):
        sentences.append(withheld_note())
    return " ".join(sentences)


def _prefix(section: Section) -> str:
    # Ids unique per section, so several charts can share one page.
    return "chart-" + re.sub(r"[^A-Za-z0-9_-]", "-", section.key)


def chart_svg(section: Section, report: Report) -> Markup:
    """``section`` of ``report`` as an SVG element to inline in a page."""
    ticks = _ticks(section)
    chart = _Chart(section, report, _prefix(section), ticks[-1])
    prefix = chart.prefix
    is_share = section.measure == Measure.SHARE
    plot_top = LEGEND_HEIGHT + (REFERENCE_HEIGHT if is_share else 0)
    plot_bottom = plot_top + len(section.lines) * GROUP_HEIGHT
    height = plot_bottom + AXIS_HEIGHT
    parts = [
        _el("title", section.title, id=f"{prefix}-title"),
        _el("desc", _summary(section, report), id=f"{prefix}-desc"),
        _defs(prefix),
        _legend(report, prefix),
        _axis(section, ticks, plot_top, plot_bottom),
    ]
    parts.extend(
        _group(line, plot_top + index * GROUP_HEIGHT + 4, chart)
        for index, line in enumerate(section.lines)
    )
    if is_share:
        parts.append(_references(plot_top, plot_bottom))
    return _el(
        "svg",
        Markup("\n") + _join(parts) + Markup("\n"),
        xmlns="http://www.w3.org/2000/svg",
        class_="chart",
        width=WIDTH,
        height=height,
        viewBox=f"0 0 {WIDTH} {height}",
        role="img",
        aria_labelledby=f"{prefix}-title {prefix}-desc",
        font_family="sans-serif",
        font_size=12,
    )
