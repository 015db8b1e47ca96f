"""Small-number suppression: which counts may not be shown.

In a small municipality a count of two is two people someone can name. So:

1. Every count below the clinic's threshold (5 by default) is hidden, zero included: a
   hidden cell then never tells a reader whether anyone is behind it.
2. A reader can subtract along every relation between the published figures
   (:mod:`.relations`). While some hidden count can be worked out exactly, one more shown
   cell is hidden, and the check runs again. The cell is the first that alone leaves the
   exposed count more than one value, trying the shown parts of the relations it is in
   (smallest first), then their totals, then the same over the relations connected to
   those; when no one cell is enough, the first of them.
3. A cell worked out from others (a change from the previous period) is hidden when any of
   them is.

"Worked out" is judged as the strongest reader who knows only true things would judge it:
she knows every shown cell, every relation, that every count and every unpublished rest is
at least zero, and even which hidden cells were hidden for being small (so each of those is
at most threshold - 1) and which to protect another (so each of those is at least the
threshold). The relations are then a system of linear equations over the hidden cells and
the rests, with those bounds. A hidden count is exposed when every whole-number solution
gives it the same value: the solver looks for a second solution, with that count one lower
or one higher, and the count is safe only once one is found. The search is bounded; when it
gives up the count is taken as exposed, so giving up hides more, never less.

A hidden count whose own bounds leave it one value (with a threshold of 1, "<1" is zero)
cannot be protected by hiding others and is left as it is; so is one the relations pin
whatever is shown (a reader who knows that nobody was asked before the period knows that
nobody was asked in the one before).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from partnercontact.statistics.relations import Relation

# How far from its true value the search moves a hidden cell or a rest: first one step
# (another solution, where there is one, mostly lies there for sums with coefficients of
# one), then the threshold plus this, so that a small cell can take any value it may and a
# larger one make room for it. A narrower window can only hide more, never less.
WINDOW_EXTRA = 2
# Nodes one search may visit before it gives up (and the count is taken as exposed).
SEARCH_BUDGET = 3_000

Terms = tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class _Equation:
    """``sum(coefficient * variable) == constant``; the relation it came from."""

    terms: Terms
    constant: int
    relation: Relation


def hidden_cells(
    counts: Mapping[str, int],
    relations: Sequence[Relation],
    threshold: int,
    *,
    follows: Mapping[str, Sequence[str]] | None = None,
) -> frozenset[str]:
    """The keys of ``counts`` that must not be shown.

    ``follows`` maps a cell worked out from others (a change) to those cells: it is hidden
    when any of them is, never for its own size, and may be negative.
    """
    derived = dict(follows or {})
    hidden = {key for key, value in counts.items() if key not in derived and value < threshold}
    small = frozenset(hidden)
    given_up: set[str] = set()
    # Hiding more only widens what a reader can suppose, so a count once safe stays safe.
    safe: set[str] = set()
    while True:
        hidden |= {key for key, inputs in derived.items() if any(i in hidden for i in inputs)}
        system = _System(counts, relations, hidden, small, threshold, derived)
        exposed = None
        for key in counts:
            if key not in hidden or key in derived or key in given_up or key in safe:
                continue
            if not system.determined(key):
                safe.add(key)
                continue
            exposed = key
            break
        if exposed is None:
            return frozenset(hidden)
        extra = _next_to_hide(exposed, system, counts, relations, hidden, small, threshold, derived)
        if extra is None:
            given_up.add(exposed)
        else:
            hidden.add(extra)


def _next_to_hide(
    exposed: str,
    system: _System,
    counts: Mapping[str, int],
    relations: Sequence[Relation],
    hidden: set[str],
    small: frozenset[str],
    threshold: int,
    derived: Mapping[str, Sequence[str]],
) -> str | None:
    """The first candidate (:meth:`_System.candidates`) whose hiding leaves ``exposed`` more
    than one value; failing that the first candidate, and the loop goes on from there. None
    when hiding every candidate would not be enough either."""
    candidates = system.candidates(exposed)

    def enough(more: Iterable[str]) -> bool:
        trial = hidden | set(more)
        trial |= {cell for cell, inputs in derived.items() if any(i in trial for i in inputs)}
        return not _System(counts, relations, trial, small, threshold, derived).determined(exposed)

    for key in candidates:
        if enough([key]):
            return key
    if not candidates or not enough(candidates):
        # Pinned by the relations alone, whatever is shown: a reader who knows that a rest
        # is zero knows what that zero says. Hiding more would not help.
        return None
    return candidates[0]


def exposed_cells(
    counts: Mapping[str, int],
    relations: Sequence[Relation],
    hidden: Iterable[str],
    threshold: int,
    *,
    follows: Mapping[str, Sequence[str]] | None = None,
) -> frozenset[str]:
    """The hidden counts a reader could work out exactly, by the rule above."""
    derived = dict(follows or {})
    hidden = set(hidden)
    small = frozenset(key for key in hidden if key not in derived and counts[key] < threshold)
    system = _System(counts, relations, hidden, small, threshold, derived)
    return frozenset(key for key in hidden if key not in derived and system.determined(key))


class _System:
    """What a reader knows: the relations over the hidden cells and the rests, and bounds."""

    def __init__(
        self,
        counts: Mapping[str, int],
        relations: Sequence[Relation],
        hidden: set[str],
        small: frozenset[str],
        threshold: int,
        derived: Mapping[str, Sequence[str]],
    ) -> None:
        self.counts = counts
        self.hidden = hidden
        self.truth: dict[str, int] = {}
        self.low: dict[str, int | None] = {}
        self.high: dict[str, int | None] = {}
        self.equations: list[_Equation] = []
        self.order = {key: index for index, key in enumerate(counts)}
        for number, relation in enumerate(relations):
            rest = counts[relation.total] - sum(counts[part] for part in relation.parts)
            if relation.rest is None and rest != 0:
                raise ValueError(f"{relation.total} is not the sum of its parts")
            if rest < 0:
                continue  # the relation does not hold this time: a reader using it is misled
            terms = [(relation.total, 1), *((part, -1) for part in relation.parts)]
            if rest > 0:
                # Not known to be zero: a count a reader knows only to be at least zero.
                name = f"rest#{number}"
                terms.append((name, -1))
                self.truth[name], self.low[name], self.high[name] = rest, 0, None
            unknown = tuple((key, sign) for key, sign in terms if key in hidden or "#" in key)
            if not unknown:
                continue
            constant = -sum(sign * counts[key] for key, sign in terms if (key, sign) not in unknown)
            self.equations.append(_Equation(unknown, constant, relation))
        for key in hidden:
            self.truth[key] = counts[key]
            if key in derived or any(key in r.signed for r in relations):
                self.low[key], self.high[key] = None, None
            elif key in small:
                self.low[key], self.high[key] = 0, threshold - 1
            else:
                self.low[key], self.high[key] = threshold, None
        self._drop_free_variables()
        self.windows = (1, threshold + WINDOW_EXTRA)

    def _drop_free_variables(self) -> None:
        """An equation with a cell that may take any value and is in no other equation says
        nothing about the rest of it (a hidden change absorbs whatever the two periods do)."""
        changed = True
        while changed:
            changed = False
            for equation in self.equations:
                for key, _sign in equation.terms:
                    free = self.low.get(key) is None and self.high.get(key) is None
                    if free and sum(key in dict(e.terms) for e in self.equations) == 1:
                        self.equations.remove(equation)
                        changed = True
                        break
                if changed:
                    break

    def _component(self, key: str) -> list[_Equation]:
        """The equations connected to ``key`` through shared unknowns."""
        reached = {key}
        chosen: list[_Equation] = []
        pending = list(self.equations)
        grew = True
        while grew:
            grew = False
            for equation in list(pending):
                names = {name for name, _sign in equation.terms}
                if names & reached:
                    reached |= names
                    chosen.append(equation)
                    pending.remove(equation)
                    grew = True
        return chosen

    def determined(self, key: str) -> bool:
        low, high = self.low[key], self.high[key]
        if low is not None and low == high:
            return False  # its own bounds pin it: nothing hidden elsewhere changes that
        equations = self._component(key)
        if not equations:
            return False
        truth = self.truth[key]
        order = _nearest_first(key, equations)
        for window in self.windows:
            for side_low, side_high in ((None, truth - 1), (truth + 1, None)):
                bounds = self._window(equations, window)
                lo, hi = bounds[key]
                bounds[key] = (
                    lo if side_low is None else max(lo, side_low),
                    hi if side_high is None else min(hi, side_high),
                )
                if bounds[key][0] <= bounds[key][1] and _solvable(
                    equations, bounds, self.truth, order
                ):
                    return False
        return True

    def _window(self, equations: list[_Equation], window: int) -> dict[str, tuple[int, int]]:
        bounds: dict[str, tuple[int, int]] = {}
        for equation in equations:
            for key, _sign in equation.terms:
                truth, low, high = self.truth[key], self.low[key], self.high[key]
                bounds[key] = (
                    truth - window if low is None else max(low, truth - window),
                    truth + window if high is None else min(high, truth + window),
                )
        return bounds

    def candidates(self, exposed: str) -> list[str]:
        """The shown cells that could be hidden for ``exposed``, in the order to try them:
        of the relations it is in, the shown parts, smallest first, then the totals; then the
        same over every relation connected to it."""
        direct = [e.relation for e in self.equations if exposed in dict(e.terms)]
        connected = [e.relation for e in self._component(exposed)]
        found: list[str] = []
        for relations in (direct, connected):
            shown = {
                (key == relation.total, self.counts[key], self.order[key], key)
                for relation in relations
                for key in relation.members
                if key not in self.hidden and key not in relation.signed
            }
            found += [key for *_, key in sorted(shown) if key not in found]
        return found


def _nearest_first(key: str, equations: list[_Equation]) -> dict[str, int]:
    """Each unknown's distance from ``key`` through the equations, to branch near it first."""
    distance = {key: 0}
    frontier = [key]
    while frontier:
        following = []
        for equation in equations:
            names = [name for name, _sign in equation.terms]
            near = [distance[name] for name in names if name in distance and name in frontier]
            for name in names:
                if near and name not in distance:
                    distance[name] = min(near) + 1
                    following.append(name)
        frontier = following
    return distance


def _solvable(
    equations: list[_Equation],
    bounds: dict[str, tuple[int, int]],
    truth: Mapping[str, int],
    order: Mapping[str, int],
) -> bool:
    """Whether the equations have a whole-number solution within ``bounds``: propagate the
    bounds, then branch on the unknowns nearest the changed one, values nearest the true
    ones first."""
    budget = [SEARCH_BUDGET]

    def search(bounds: dict[str, tuple[int, int]]) -> bool:
        budget[0] -= 1
        if budget[0] < 0 or not _propagate(equations, bounds):
            return False
        open_keys = [key for key, (low, high) in bounds.items() if low < high]
        if not open_keys:
            return True
        key = min(open_keys, key=lambda k: (order.get(k, 0), bounds[k][1] - bounds[k][0], k))
        low, high = bounds[key]
        target = min(max(truth[key], low), high)
        values = sorted(range(low, high + 1), key=lambda value: (abs(value - target), value))
        return any(search({**bounds, key: (value, value)}) for value in values)

    return search(dict(bounds))


def _propagate(equations: list[_Equation], bounds: dict[str, tuple[int, int]]) -> bool:
    """Narrow ``bounds`` (in place) by each equation until nothing changes; False when an
    equation cannot hold."""
    changed = True
    while changed:
        changed = False
        for equation in equations:
            low_sum = sum(bounds[k][0] if s > 0 else -bounds[k][1] for k, s in equation.terms)
            high_sum = sum(bounds[k][1] if s > 0 else -bounds[k][0] for k, s in equation.terms)
            if low_sum > equation.constant or high_sum < equation.constant:
                return False
            for key, sign in equation.terms:
                low, high = bounds[key]
                own_low, own_high = (low, high) if sign > 0 else (-high, -low)
                # sign * key = constant - (the others), the others within their sums.
                term_low = equation.constant - (high_sum - own_high)
                term_high = equation.constant - (low_sum - own_low)
                new_low, new_high = (term_low, term_high) if sign > 0 else (-term_high, -term_low)
                if new_low > low or new_high < high:
                    low, high = max(low, new_low), min(high, new_high)
                    if low > high:
                        return False
                    bounds[key] = (low, high)
                    changed = True
    return True
