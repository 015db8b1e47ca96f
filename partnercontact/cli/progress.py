"""A progress line for long commands on a terminal: rows done, rate, time left.

The commands' core functions take an optional ``on_progress(done, total)`` callback and know
nothing of terminals. A command passes :func:`terminal_progress`'s callback, which is ``None``
unless standard error is a terminal: in a log (cron, systemd, a pipe) nothing is printed but
the command's usual lines.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

# Redrawing more often than this only costs time; the eye cannot follow it anyway.
MIN_INTERVAL = 0.5


def _count(value: int) -> str:
    return f"{value:,}".replace(",", " ")


def _duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, seconds_left = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds_left:02d}"
    return f"{minutes}:{seconds_left:02d}"


class ProgressLine:
    """Draws ``label: done / total unit (percent), rate unit/s, time left`` on one line of
    ``stream``, overwritten in place with a carriage return, at most every ``interval``
    seconds (and always for the last call); :meth:`close` ends the line.

    Call it as the ``on_progress(done, total)`` callback. ``total`` may be ``None`` (unknown:
    no percentage, no time left) and may be passed by ``done`` (rows appended meanwhile).
    """

    def __init__(
        self,
        stream: TextIO,
        label: str,
        unit: str = "rows",
        *,
        interval: float = MIN_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stream = stream
        self._label = label
        self._unit = unit
        self._interval = interval
        self._clock = clock
        self._started = clock()
        self._drawn_at: float | None = None
        self._width = 0
        self._pending: tuple[int, int | None] | None = None

    def __call__(self, done: int, total: int | None) -> None:
        now = self._clock()
        if self._drawn_at is not None and now - self._drawn_at < self._interval:
            self._pending = (done, total)
            return
        self._draw(done, total, now)

    def text(self, done: int, total: int | None, now: float) -> str:
        """The line for ``done`` of ``total`` at ``now`` (a time of the clock)."""
        elapsed = now - self._started
        rate = done / elapsed if elapsed > 0 else 0.0
        parts = [f"{self._label}: {_count(done)}"]
        if total is not None and total >= done and total > 0:
            parts[0] += f" / {_count(total)} {self._unit} ({100 * done // total}%)"
        else:
            parts[0] += f" {self._unit}"
        if rate > 0:
            parts.append(f"{_count(round(rate))} {self._unit}/s")
            if total is not None and total >= done:
                parts.append(f"{_duration((total - done) / rate)} left")
        return ", ".join(parts)

    def _draw(self, done: int, total: int | None, now: float) -> None:
        line = self.text(done, total, now)
        # Spaces over whatever is left of a longer line drawn before.
        padding = " " * max(0, self._width - len(line))
        self._stream.write(f"\r{line}{padding}")
        self._stream.flush()
        self._width = len(line)
        self._drawn_at = now
        self._pending = None

    def close(self) -> None:
        """Draw the last state if a call was skipped, and end the line (if one was drawn)."""
        if self._pending is not None:
            self._draw(*self._pending, self._clock())
        if self._drawn_at is not None:
            self._stream.write("\n")
            self._stream.flush()
            self._drawn_at = None


@contextmanager
def terminal_progress(
    label: str, unit: str = "rows", stream: TextIO | None = None
) -> Iterator[ProgressLine | None]:
    """A :class:`ProgressLine` on standard error (or ``stream``) if it is a terminal, else
    ``None``; the line is ended on leaving, also when the command fails."""
    target = stream if stream is not None else sys.stderr
    if not target.isatty():
        yield None
        return
    line = ProgressLine(target, label, unit)
    try:
        yield line
    finally:
        line.close()
