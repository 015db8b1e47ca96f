"""The small-number rule on its own: which cells hide, and which more must hide so that no
hidden count can be worked out from the shown ones."""

from __future__ import annotations

import pytest

from partnercontact.statistics.suppression import Group, hidden_cells

GROUP = Group("total", ("a", "b", "c"))


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
    group = Group("total", ("a", "b", "c", "d"))
    assert hidden_cells({**parts, "total": 29}, [group], 5) == {"a", "b", "c"}


def test_hidden_parts_that_leave_room_stay_as_they_are() -> None:
    parts = {"a": 3, "b": 1, "c": 9, "d": 12}
    group = Group("total", ("a", "b", "c", "d"))
    assert hidden_cells({**parts, "total": 25}, [group], 5) == {"a", "b"}


def test_zeros_that_can_only_all_be_zero_point_at_no_one() -> None:
    assert hidden_cells(counts(0, 0, 14), [GROUP], 5) == {"a", "b"}


def test_a_small_total_hides_with_its_parts() -> None:
    assert hidden_cells(counts(1, 2, 1), [GROUP], 5) == {"a", "b", "c", "total"}


def test_a_lone_hidden_part_with_no_other_part_shown_hides_the_total() -> None:
    group = Group("total", ("a", "b"))
    assert hidden_cells({"a": 2, "b": 2, "total": 4}, [group], 5) == {"a", "b", "total"}
    assert hidden_cells({"a": 2, "total": 2}, [Group("total", ("a",))], 5) == {"a", "total"}


@pytest.mark.parametrize("threshold", [3, 5, 10])
def test_the_threshold_is_the_clinics_choice(threshold: int) -> None:
    hidden = hidden_cells({"x": 3, "y": 9}, [], threshold)
    assert hidden == ({"x"} if threshold > 3 else set()) | ({"y"} if threshold > 9 else set())


def test_no_hidden_cell_of_any_group_can_be_worked_out_afterwards() -> None:
    """Brute force over small tables: for every result, a reader who knows the shown cells
    and that each hidden one is below the threshold finds at least two possible values for
    each hidden non-zero cell, or the cell is one of several hidden ones."""
    threshold = 3
    group = Group("total", ("a", "b", "c"))
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
                    for values in _fills(sorted(hidden), threshold)
                    if _consistent({**cells, **values}, group)
                ]
                for key in hidden:
                    possible = {values[key] for values in candidates}
                    assert possible != {cells[key]} or cells[key] == 0 or not candidates, (
                        cells,
                        key,
                    )


def _fills(keys: list[str], threshold: int):
    if not keys:
        yield {}
        return
    for rest in _fills(keys[1:], threshold):
        for value in range(threshold):
            yield {keys[0]: value, **rest}


def _consistent(cells: dict[str, int], group: Group) -> bool:
    return sum(cells[key] for key in group.parts) == cells[group.total]
