"""The progress line of long commands (`audit verify`, `keys verify`, `keys rotate`): rows
done, rate and time left on a terminal, overwritten in place; nothing at all in a log."""

from __future__ import annotations

import io

from partnercontact.cli.progress import ProgressLine, terminal_progress


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_line_shows_rows_done_rate_and_time_left_and_is_overwritten_in_place() -> None:
    clock = FakeClock()
    stream = io.StringIO()
    line = ProgressLine(stream, "audit verify", clock=clock)

    clock.now += 10
    line(500_000, 2_000_000)
    clock.now += 10
    line(1_000_000, 2_000_000)
    line.close()

    drawn = stream.getvalue()
    assert drawn == (
        "\raudit verify: 500 000 / 2 000 000 rows (25%), 50 000 rows/s, 0:30 left"
        "\raudit verify: 1 000 000 / 2 000 000 rows (50%), 50 000 rows/s, 0:20 left\n"
    )


def test_a_shorter_line_blanks_what_is_left_of_the_longer_one() -> None:
    clock = FakeClock()
    stream = io.StringIO()
    line = ProgressLine(stream, "keys verify", clock=clock)
    clock.now += 1
    line(9_000, None)
    clock.now += 1000
    line(9_001, None)

    first, second = stream.getvalue().split("\r")[1:]
    assert first == "keys verify: 9 000 rows, 9 000 rows/s"
    assert second.rstrip() == "keys verify: 9 001 rows, 9 rows/s"
    assert len(second) == len(first)


def test_calls_in_quick_succession_are_drawn_once_and_the_last_state_at_the_end() -> None:
    clock = FakeClock()
    stream = io.StringIO()
    line = ProgressLine(stream, "keys rotate", "data keys", clock=clock)
    clock.now += 1
    for done in range(100, 1001, 100):
        line(done, 1000)
        clock.now += 0.01
    line.close()

    drawn = stream.getvalue().split("\r")[1:]
    assert len(drawn) == 2
    assert drawn[0].startswith("keys rotate: 100 / 1 000 data keys (10%)")
    assert drawn[1].startswith("keys rotate: 1 000 / 1 000 data keys (100%)")
    assert drawn[1].endswith("0:00 left\n")


def test_rows_appended_meanwhile_do_not_make_a_percentage_past_100() -> None:
    clock = FakeClock()
    stream = io.StringIO()
    line = ProgressLine(stream, "audit verify", clock=clock)
    clock.now += 2
    line(1_010, 1_000)
    assert stream.getvalue() == "\raudit verify: 1 010 rows, 505 rows/s"


def test_on_a_terminal_the_line_is_drawn_and_ended() -> None:
    stream = Terminal()
    with terminal_progress("audit verify", stream=stream) as progress:
        assert progress is not None
        progress(0, 10)
    assert stream.getvalue().startswith("\raudit verify: 0 / 10 rows (0%)")
    assert stream.getvalue().endswith("\n")


def test_without_a_terminal_there_is_no_line_at_all() -> None:
    stream = io.StringIO()
    with terminal_progress("audit verify", stream=stream) as progress:
        assert progress is None
    assert stream.getvalue() == ""


def test_a_line_never_drawn_ends_nothing() -> None:
    stream = Terminal()
    with terminal_progress("keys rotate", "data keys", stream=stream):
        pass
    assert stream.getvalue() == ""
