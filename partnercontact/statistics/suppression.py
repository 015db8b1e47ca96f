"""Small-number suppression: which counts may not be shown.

In a small municipality a count of two is two people someone can name. So:

1. Every count below the clinic's threshold (5 by default) is hidden, zero included: a
   hidden cell then never tells a reader whether anyone is behind it.
2. Where counts add up to a shown total (the reasons partners were not contacted, the
   relayed events by kind), a hidden count could be worked out by subtraction. A group
   whose hidden cells could be worked out gets one more cell hidden, the smallest shown
   one, and the check runs again until no hidden count can be worked out.

"Worked out" is judged the way a reader would: every hidden cell shows as "<5", so a reader
knows it lies between 0 and threshold - 1 and knows the shown cells exactly. A hidden cell
is exposed when it is the only hidden cell of its group, or when those bounds and the sum
leave it a single value above zero (two hidden cells that must both be 4, say). Cells that
can only all be zero are left as they are: a zero points at no one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """Cells that add up: ``total`` is the sum of ``parts``."""

    total: str
    parts: tuple[str, ...]

    @property
    def members(self) -> tuple[str, ...]:
        return (*self.parts, self.total)


def hidden_cells(
    counts: Mapping[str, int], groups: Sequence[Group], threshold: int
) -> frozenset[str]:
    """The keys of ``counts`` that must not be shown."""
    hidden = {key for key, value in counts.items() if value < threshold}
    changed = True
    while changed:
        changed = False
        for group in groups:
            if not _exposed(group, counts, hidden, threshold):
                continue
            extra = _smallest_shown(group, counts, hidden)
            if extra is not None:
                hidden.add(extra)
                changed = True
    return frozenset(hidden)


def _exposed(group: Group, counts: Mapping[str, int], hidden: set[str], threshold: int) -> bool:
    unknown = [key for key in group.members if key in hidden]
    if not unknown:
        return False
    if len(unknown) == 1:
        return True
    # The group says: sum(parts) - total = 0. Move the shown cells to the right-hand side
    # and each hidden cell carries a sign: +1 for a part, -1 for the total.
    sign = {key: -1 if key == group.total else 1 for key in group.members}
    right = -sum(sign[key] * counts[key] for key in group.members if key not in hidden)
    most = threshold - 1
    for key in unknown:
        others = [sign[other] for other in unknown if other != key]
        # The range the other hidden cells' signed sum can take within their bounds.
        others_low = sum(-most for s in others if s < 0)
        others_high = sum(most for s in others if s > 0)
        low, high = right - others_high, right - others_low
        if sign[key] < 0:
            low, high = -high, -low
        low, high = max(low, 0), min(high, most)
        if low == high and low > 0:
            return True
    return False


def _smallest_shown(group: Group, counts: Mapping[str, int], hidden: set[str]) -> str | None:
    """The next cell to hide: the smallest shown part, else the total."""
    parts = [key for key in group.parts if key not in hidden]
    if parts:
        return min(parts, key=lambda key: (counts[key], group.parts.index(key)))
    return group.total if group.total not in hidden else None
