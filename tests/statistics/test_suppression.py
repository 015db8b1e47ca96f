"""The small-number rule on its own: which cells hide, and which more must hide so that no
hidden count can be worked out from the shown ones through the relations between them."""

from __future__ import annotations

import pytest

from partnercontact.statistics.relations import Relation
from partnercontact.statistics.suppression import exposed_cells, hidden_cells

GROUP = Relation("total", ("a", "b", "c"))


def counts(a: int, b: int, c: int) -> dict[str, int]:
    return {"a": a, "b": b, "c": c, "total": a + b + c}


def test_counts_under_the_threshold_hide_and_the_rest_show() -> None:
    assert hidden_cells({"x": 4, "y": 5, "z": 0, "w": 120}, [], 5) == {"x", "z"}


def test_a_lone_hidden_part_hides_the_next_smallest_part_too() -> None:
    # Shown 7 + 9 and a total of 19 would give the hidden 3 straight back.
    assert hidden_cells(counts(9, 3, 7), [GROUP], 5) == {"b", "c"}


def test_two_hidden_parts_that_can_only_both_be_the_highest_value_are_not_enough() -> None:
    # 4 + 4 = total - 9: both must be 4, so one more shown part goes.
    parts = {"a": 4, "b": 4, "c": 9, "d": 12}
    group = Relation("total", ("a", "b", "c", "d"))
    assert hidden_cells({**parts, "total": 29}, [group], 5) == {"a", "b", "c"}


def test_hidden_parts_that_leave_room_stay_as_they_are() -> None:
    parts = {"a": 3, "b": 1, "c": 9, "d": 12}
    group = Relation("total", ("a", "b", "c", "d"))
    assert hidden_cells({**parts, "total": 25}, [group], 5) == {"a", "b"}


def test_hidden_zeros_that_the_sum_pins_to_zero_hide_one_more_part() -> None:
    # 14 shown of a total of 14 would say both hidden cells are zero: "<5" promises that a
    # hidden cell never tells whether anyone is behind it.
    assert hidden_cells(counts(0, 0, 14), [GROUP], 5) == {"a", "b", "c"}


def test_a_small_total_hides_with_its_parts() -> None:
    assert hidden_cells(counts(1, 2, 1), [GROUP], 5) == {"a", "b", "c", "total"}


def test_a_lone_hidden_part_with_no_other_part_shown_hides_the_total() -> None:
    group = Relation("total", ("a", "b"))
    assert hidden_cells({"a": 2, "b": 2, "total": 4}, [group], 5) == {"a", "b", "total"}
    assert hidden_cells({"a": 2, "total": 2}, [Relation("total", ("a",))], 5) == {"a", "total"}


@pytest.mark.parametrize("threshold", [3, 5, 10])
def test_the_threshold_is_the_clinics_choice(threshold: int) -> None:
    hidden = hidden_cells({"x": 3, "y": 9}, [], threshold)
    assert hidden == ({"x"} if threshold > 3 else set()) | ({"y"} if threshold > 9 else set())


def test_a_cell_hidden_to_protect_another_is_known_to_be_at_least_the_threshold() -> None:
    # 3 hidden for being small, 5 hidden to protect it: a reader who knows which is which
    # knows 3 + 5 = 8 with the 5 at least 5, so the 3 is 0 to 3 and the 5 is 5 to 8.
    relation = Relation("total", ("a", "b", "c"))
    cells = {"a": 3, "b": 5, "c": 9, "total": 17}
    assert hidden_cells(cells, [relation], 5) == {"a", "b"}
    # Were the protecting cell exactly the threshold and the small one zero, both would be
    # pinned (0 + 5 = 5 with the 5 at least 5): the 9 protects the zero instead.
    cells = {"a": 0, "b": 5, "c": 9, "total": 14}
    assert hidden_cells(cells, [relation], 5) == {"a", "c"}
    assert exposed_cells(cells, [relation], {"a", "b"}, 5) == {"a", "b"}


def test_the_reported_case_asked_nine_consents_seven_hides_more_than_the_refused_two() -> None:
    """Clients asked 9 and consents given 7 shown beside "<5" refused gave the 2 away."""
    relation = Relation("asked", ("given", "refused"), rest="asked before")
    cells = {"asked": 9, "given": 7, "refused": 2}
    assert exposed_cells(cells, [relation], {"refused"}, 5) == {"refused"}
    hidden = hidden_cells(cells, [relation], 5)
    assert "refused" in hidden and len(hidden) >= 2
    assert not exposed_cells(cells, [relation], hidden, 5)


def test_a_relation_with_an_unpublished_rest_is_a_bound_only() -> None:
    # Asked 12 of whom some were asked before: given 7 and refused at most 5 (here 2) can be
    # 0 to 4 each as far as a reader knows.
    relation = Relation("asked", ("given", "refused"), rest="asked before")
    assert hidden_cells({"asked": 12, "given": 7, "refused": 2}, [relation], 5) == {"refused"}


def test_a_relation_that_does_not_hold_this_time_is_not_used() -> None:
    # Two consents of one client in the period: given + refused is more than asked.
    relation = Relation("asked", ("given", "refused"), rest="asked before")
    assert hidden_cells({"asked": 8, "given": 7, "refused": 2}, [relation], 5) == {"refused"}


def test_relations_across_tables_and_periods_are_followed_together() -> None:
    relations = [
        Relation("now:asked", ("now:given", "now:refused"), rest="asked before"),
        Relation("now:asked", ("before:asked", "now:given", "now:refused"), rest="other"),
        Relation("now:asked", ("before:asked", "change:asked"), signed=("change:asked",)),
    ]
    cells = {
        "now:asked": 14,
        "before:asked": 7,
        "now:given": 5,
        "now:refused": 2,
        "change:asked": 7,
    }
    follows = {"change:asked": ("now:asked", "before:asked")}
    # 14 = 7 + 5 + 2: the refused 2 would follow from the period before.
    hidden = hidden_cells(cells, relations, 5, follows=follows)
    assert hidden == {"now:refused", "now:given"}
    assert not exposed_cells(cells, relations, hidden, 5, follows=follows)


def test_a_change_is_hidden_with_either_of_its_figures() -> None:
    relation = Relation("now", ("before", "change"), signed=("change",))
    follows = {"change": ("now", "before")}
    cells = {"now": 12, "before": 3, "change": 9}
    assert hidden_cells(cells, [relation], 5, follows=follows) == {"before", "change"}


def test_no_hidden_cell_of_any_group_can_be_worked_out_afterwards() -> None:
    """Brute force over small tables: for every result, a reader who knows the shown cells,
    that each cell hidden for being small is below the threshold and each one hidden to
    protect another is not, finds at least two possible values for each hidden cell."""
    threshold = 3
    group = Relation("total", ("a", "b", "c"))
    for a in range(6):
        for b in range(6):
            for c in range(6):
                cells = counts(a, b, c)
                hidden = hidden_cells(cells, [group], threshold)
                if not hidden:
                    continue
                assert len(hidden & set(group.members)) != 1, cells
                candidates = [
                    values
                    for values in _fills(sorted(hidden), cells, threshold)
                    if _consistent({**cells, **values}, group)
                ]
                for key in hidden:
                    possible = {values[key] for values in candidates}
                    assert len(possible) > 1, (cells, key)


def _fills(keys: list[str], cells: dict[str, int], threshold: int):
    if not keys:
        yield {}
        return
    key = keys[0]
    small = cells[key] < threshold
    for rest in _fills(keys[1:], cells, threshold):
        for value in range(threshold) if small else range(threshold, 20):
            yield {key: value, **rest}


def _consistent(cells: dict[str, int], group: Relation) -> bool:
    return sum(cells[key] for key in group.parts) == cells[group.total]
