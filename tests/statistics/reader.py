"""A reader of published statistics who tries to work out hidden counts.

She reads a page, a CSV or XLSX file or an API answer, knows every relation written in
partnercontact/statistics/relations.py, that every count and every unpublished rest is at
least zero, and (to be as strong as a reader can be while knowing only true things) which
hidden counts are small and which were hidden to protect another. For each hidden count she
searches for a second set of values that fits everything she knows; where there is none she
has worked the count out.

The search here is written apart from the one in suppression.py, on purpose, and over the
published text rather than the report: depth-first over every hidden cell and rest tied to
the one in question, nearest first, each relation narrowing the others' ranges.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from fractions import Fraction

import openpyxl

from partnercontact.statistics.relations import CHANGE, CURRENT, PREVIOUS, Relation
from partnercontact.statistics.report import Measure, Report

# A cell as published: its number, or None when hidden ("<5").
Published = dict[str, int | None]
BUDGET = 200_000


def count_lines(report: Report) -> Iterator[tuple[str, str]]:
    """(section label, cell) of every count line of ``report``, in the order shown."""
    for section in report.sections:
        if section.measure != Measure.COUNT:
            continue
        for line in section.lines:
            yield str(line.label), f"{section.key}.{line.key}"


def _number(text: str, threshold: int) -> int | None:
    if text == f"<{threshold}":
        return None
    return int(text.lstrip("'"))


def from_rows(report: Report, rows: list[list[object]]) -> Published:
    """The counts of a CSV or XLSX sheet's rows (section, line, current, previous, change)."""
    by_label = {str(row[1]): row[2:5] for row in rows if len(row) >= 5}
    published: Published = {}
    for label, cell in count_lines(report):
        for period, value in zip((CURRENT, PREVIOUS, CHANGE), by_label[label], strict=True):
            published[f"{period}:{cell}"] = (
                _number(str(value), report.threshold) if isinstance(value, str) else int(value)  # type: ignore[call-overload]
            )
    return published


def from_csv(report: Report, text: str) -> Published:
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    return from_rows(report, rows)  # type: ignore[arg-type]


def from_xlsx(report: Report, body: bytes) -> Published:
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return from_rows(report, [list(row) for row in sheet.iter_rows(values_only=True)])


def from_api(report: Report, answer: Mapping[str, object]) -> Published:
    published: Published = {}
    for section in answer["sections"]:  # type: ignore[attr-defined]
        if section["measure"] != Measure.COUNT.value:
            continue
        for line in section["lines"]:
            for period in (CURRENT, PREVIOUS):
                figure = line[period]
                value = None if figure["hidden"] else int(figure["value"])
                published[f"{period}:{section['key']}.{line['key']}"] = value
    return published


@dataclass
class Reader:
    truth: Mapping[str, int]
    published: Published
    relations: tuple[Relation, ...]
    threshold: int

    def __post_init__(self) -> None:
        cap = max(abs(value) for value in self.truth.values()) + self.threshold + 2
        self.domains: dict[str, range] = {}
        self.rests: dict[str, int] = {}
        self.equations: list[tuple[dict[str, int], int]] = []
        for key, value in self.published.items():
            if value is not None:
                continue
            if key.startswith(f"{CHANGE}:"):
                self.domains[key] = range(-cap, cap + 1)
            elif self.truth[key] < self.threshold:
                self.domains[key] = range(self.threshold)
            else:
                self.domains[key] = range(self.threshold, cap + 1)
        for number, relation in enumerate(self.relations):
            if any(key not in self.published for key in relation.members):
                continue
            rest = self.truth[relation.total] - sum(self.truth[p] for p in relation.parts)
            if rest < 0:
                continue
            terms = {relation.total: 1, **{part: -1 for part in relation.parts}}
            if rest > 0:
                terms[f"rest{number}"] = -1
                self.domains[f"rest{number}"] = range(cap + 1)
                self.rests[f"rest{number}"] = rest
            constant = -sum(
                sign * self.published[key]  # type: ignore[operator]
                for key, sign in terms.items()
                if key in self.published and self.published[key] is not None
            )
            unknown = {key: sign for key, sign in terms.items() if key in self.domains}
            if unknown:
                self.equations.append((unknown, constant))
            else:
                assert constant == 0, relation

    def fixed_by_the_sums(self, key: str) -> bool:
        """Whether the relations alone, bounds aside, give ``key`` one value: it is then a
        sum of shown cells (Gaussian elimination over fractions)."""
        names = self._nearest_first(key)
        rows = [
            [Fraction(terms.get(name, 0)) for name in names]
            for terms, _constant in self.equations
            if set(terms) & set(names)
        ]
        target = [Fraction(int(name == key)) for name in names]
        pivots: list[tuple[int, list[Fraction]]] = []
        for row in rows:
            for column, pivot in pivots:
                if row[column]:
                    factor = row[column] / pivot[column]
                    row = [a - factor * b for a, b in zip(row, pivot, strict=True)]
            lead = next((i for i, value in enumerate(row) if value), None)
            if lead is not None:
                pivots.append((lead, row))
        for column, pivot in pivots:
            if target[column]:
                factor = target[column] / pivot[column]
                target = [a - factor * b for a, b in zip(target, pivot, strict=True)]
        return not any(target)

    def candidates(self, key: str) -> bool:
        """Whether ``key`` has a value other than its true one that fits everything known."""
        if self.fixed_by_the_sums(key):
            return False
        order = self._nearest_first(key)
        equations = [e for e in self.equations if set(e[0]) & set(order)]
        budget = [BUDGET]

        def narrow(bounds: dict[str, tuple[int, int]]) -> bool:
            """Narrow each unknown to what the others leave it, until nothing moves."""
            moved = True
            while moved:
                moved = False
                for terms, constant in equations:
                    for name, sign in terms.items():
                        low = high = constant
                        for other, other_sign in terms.items():
                            if other == name:
                                continue
                            ends = (other_sign * bounds[other][0], other_sign * bounds[other][1])
                            low, high = low - max(ends), high - min(ends)
                        if sign < 0:
                            low, high = -high, -low
                        old = bounds[name]
                        new = (max(old[0], low), min(old[1], high))
                        if new[0] > new[1]:
                            return False
                        if new != old:
                            bounds[name] = new
                            moved = True
            return True

        def search(bounds: dict[str, tuple[int, int]]) -> bool:
            budget[0] -= 1
            assert budget[0] > 0, f"the reader gave up on {key}"
            if not narrow(bounds):
                return False
            name = next((n for n in order if bounds[n][0] < bounds[n][1]), None)
            if name is None:
                return True
            truth = self.truth[name] if name in self.truth else self.rests[name]
            values = range(bounds[name][0], bounds[name][1] + 1)
            return any(
                search({**bounds, name: (value, value)})
                for value in sorted(values, key=lambda v: abs(v - truth))
            )

        start = {name: (self.domains[name][0], self.domains[name][-1]) for name in order}
        truth = self.truth[key]
        return any(
            search({**start, key: side})
            for side in ((start[key][0], truth - 1), (truth + 1, start[key][1]))
            if side[0] <= side[1]
        )

    def _nearest_first(self, key: str) -> list[str]:
        """The unknowns tied to ``key`` by the relations, nearest first: a contradiction
        then shows before the search wanders off among cells far from it."""
        order = [key]
        for name in order:
            for terms, _constant in self.equations:
                if name in terms:
                    order += sorted(other for other in terms if other not in order)
        return order

    def worked_out(self) -> set[str]:
        """The hidden counts she can work out exactly."""
        return {
            key
            for key, value in self.published.items()
            if value is None
            and not key.startswith(f"{CHANGE}:")
            and len(self.domains[key]) > 1
            and not self.candidates(key)
        }
