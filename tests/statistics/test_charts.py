"""The statistics charts: bars as long as their numbers, and nothing of a hidden number."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from flask import Flask
from flask_babel import force_locale
from flask_babel.speaklater import LazyString

from partnercontact.statistics.charts import PLOT_LEFT, PLOT_WIDTH, STUB_WIDTH, chart_svg
from partnercontact.statistics.report import HIDDEN, NOTHING, Figure, Measure
from tests.statistics.reports_by_hand import line, report, section

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture
def backend() -> str:
    # Drawing a chart reads no database: one backend is enough.
    return "sqlite"


@pytest.fixture
def english(app: Flask) -> Iterator[None]:
    with app.test_request_context(), force_locale("en"):
        yield


def _svg(*lines, measure: Measure = Measure.COUNT, title: object = "Consents") -> str:
    chosen = section(list(lines), measure=measure, title=title)
    return str(chart_svg(chosen, report(chosen)))


def _root(svg: str) -> ET.Element:
    # Our own output under test, not untrusted input.
    return ET.fromstring(svg)  # noqa: S314


def _groups(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if "line" in g.get("class", "").split()]


def _rect(group: ET.Element, *classes: str) -> ET.Element | None:
    """The one rectangle of ``group`` with all of ``classes``, or None."""
    found = [r for r in group.iter(f"{SVG}rect") if set(classes) <= set(r.get("class", "").split())]
    assert len(found) <= 1
    return found[0] if found else None


def _value_text(group: ET.Element, kind: str) -> str:
    (text,) = [t for t in group.iter(f"{SVG}text") if t.get("class") == f"value {kind}"]
    return text.text or ""


def _width(rect: ET.Element | None) -> float:
    assert rect is not None
    return float(rect.get("width", "nan"))


def test_each_shown_figure_is_a_bar_as_long_as_its_number(english) -> None:
    root = _root(
        _svg(
            line("given", Figure(40), Figure(45)),
            line("refused", Figure(12), Figure(0)),
            line("total", Figure(52), Figure(45), total=True),
        )
    )
    groups = _groups(root)
    assert [g.find(f"{SVG}text").text for g in groups] == ["Given", "Refused", "Total"]
    widths = [
        _width(_rect(group, "bar", kind)) for group in groups for kind in ("current", "previous")
    ]
    per_unit = widths[0] / 40
    assert widths == [pytest.approx(v * per_unit, abs=0.1) for v in (40, 45, 12, 0, 52, 45)]
    # The longest bar fills most of the plot and none runs past it.
    assert 0.8 * PLOT_WIDTH < widths[4] <= PLOT_WIDTH
    assert [_value_text(groups[1], kind) for kind in ("current", "previous")] == ["12", "0"]
    # The two periods differ in pattern as well as colour, and the legend names both.
    current, previous = _rect(groups[0], "current"), _rect(groups[0], "previous")
    assert current.get("fill") != previous.get("fill")
    assert previous.get("fill", "").startswith("url(#")
    legend = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "legend"]
    assert legend == ["March 2026", "February 2026"]


@pytest.mark.parametrize("hidden", [HIDDEN, Figure(3, hidden=True), Figure(400, hidden=True)])
def test_a_hidden_figure_draws_a_fixed_stub_and_gives_nothing_of_its_number_away(
    english, hidden: Figure
) -> None:
    lines = [
        line("given", Figure(40), Figure(44)),
        line("refused", hidden, Figure(48)),
        line("total", Figure(88), Figure(92), total=True),
    ]
    svg = _svg(*lines)
    # The same drawing whatever the number behind "<5", even one larger than every shown
    # number: neither its bar nor the scale of the others depends on it.
    assert svg == _svg(*lines[:1], line("refused", HIDDEN, Figure(48)), *lines[2:])
    root = _root(svg)
    refused = _groups(root)[1]
    assert _rect(refused, "bar", "current") is None
    assert _rect(refused, "bar", "previous") is not None
    assert _width(_rect(refused, "hidden", "current")) == STUB_WIDTH
    assert _value_text(refused, "current") == "<5"
    per_unit = _width(_rect(_groups(root)[0], "current")) / 40
    bar_widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert all(width != pytest.approx(3 * per_unit, abs=0.5) for width in bar_widths)
    texts = " ".join("".join(element.itertext()) for element in root)
    assert "3" not in texts and "400" not in texts


def test_a_figure_without_a_value_is_a_dash_and_no_bar(english) -> None:
    root = _root(_svg(line("median", NOTHING, Figure(14.5)), measure=Measure.DAYS))
    (group,) = _groups(root)
    assert _rect(group, "current") is None
    assert _value_text(group, "current") == "–"
    assert _value_text(group, "previous") == "14.5"


def test_a_share_is_drawn_on_0_to_100_with_the_national_pilot_marked(english) -> None:
    root = _root(
        _svg(
            line("asked", Figure(50), Figure(25.4)),
            measure=Measure.SHARE,
            title="Clients asked about partner contact",
        )
    )
    (group,) = _groups(root)
    # The axis runs to 100 % whatever the largest share: half the plot is 50 %.
    assert _width(_rect(group, "current")) == pytest.approx(PLOT_WIDTH / 2, abs=0.1)
    # A bar is as precise as the number beside it: 25.4 shows, and is drawn, as 25 %.
    assert _width(_rect(group, "previous")) == pytest.approx(PLOT_WIDTH / 4, abs=0.1)
    assert [_value_text(group, kind) for kind in ("current", "previous")] == ["50 %", "25 %"]
    references = [line for line in root.iter(f"{SVG}line") if line.get("class") == "reference"]
    assert [float(line.get("x1")) for line in references] == [
        pytest.approx(PLOT_LEFT + PLOT_WIDTH * share / 100, abs=0.1) for share in (38, 68)
    ]
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "National pilot, before: 38 %" in texts
    assert "National pilot, after: 68 %" in texts
    assert "100 %" in texts
    assert "38 %" in root.find(f"{SVG}desc").text


def test_a_count_chart_has_no_pilot_lines(english) -> None:
    root = _root(_svg(line("given", Figure(40), Figure(38))))
    assert not [line for line in root.iter(f"{SVG}line") if line.get("class") == "reference"]


def test_the_total_is_set_apart(english) -> None:
    root = _root(
        _svg(
            line("given", Figure(40), Figure(44)), line("total", Figure(40), Figure(44), total=True)
        )
    )
    plain, total = _groups(root)
    assert total.get("class") == "line total"
    assert total.find(f"{SVG}text").get("font-weight") == "bold"
    assert plain.find(f"{SVG}text").get("font-weight") == "normal"
    assert total.find(f"{SVG}line") is not None and plain.find(f"{SVG}line") is None


@pytest.mark.parametrize(
    "make",
    [str, lambda text: LazyString(lambda: text)],
    ids=["text", "lazy translation"],
)
def test_labels_and_titles_are_escaped(english, make) -> None:
    attack = '<script>alert("x")</script>&'
    svg = _svg(line("given", Figure(40), Figure(44), label=make(attack)), title=make(attack))
    assert "<script" not in svg
    root = _root(svg)
    assert not list(root.iter(f"{SVG}script")) and not list(root.iter("script"))
    assert root.find(f"{SVG}title").text == attack
    assert _groups(root)[0].find(f"{SVG}text").text == attack


@pytest.mark.parametrize("measure", list(Measure))
def test_a_chart_renders_for_every_measure_and_names_itself_for_screen_readers(
    english, measure: Measure
) -> None:
    lines = [
        line("first", Figure(12), Figure(7.5)),
        line("second", HIDDEN, NOTHING),
        line("total", Figure(60), Figure(40), total=True),
    ]
    root = _root(_svg(*lines, measure=measure, title="Partners reached"))
    assert root.get("role") == "img"
    assert root.get("width") == "640"
    assert int(root.get("height")) > 3 * 50
    title, desc = root.find(f"{SVG}title"), root.find(f"{SVG}desc")
    assert root.get("aria-labelledby").split() == [title.get("id"), desc.get("id")]
    assert title.text == "Partners reached"
    unit = " %" if measure == Measure.SHARE else ""
    assert f"First: 12{unit} in March 2026" in desc.text
    assert "Second: <5 in March 2026, – in February 2026." in desc.text
    assert "fewer than 5" in desc.text
    assert len(_groups(root)) == 3
