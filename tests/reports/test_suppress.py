"""Small numbers never show, and no hidden number can be worked out from what is shown."""

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.reports.suppress import recoverable, recoverable_linked, suppress, suppress_linked, totalled

K = 5


def primary_only(cells, k):
    """What a careless report would show: only the small entries hidden."""
    return [[None if value < k else value for value in row] for row in totalled(cells)]


def test_totalled_adds_each_rows_total_and_the_columns_totals():
    assert totalled([[1, 2], [3, 4]]) == [[1, 2, 3], [3, 4, 7], [4, 6, 10]]


def test_every_count_below_k_is_hidden_zero_included():
    shown = suppress([[0, 9, 7], [12, 6, 8]], K)
    assert shown[0][0] is None  # zero is small too: a shown 0 beside a hidden cell helps subtraction
    assert all(value is None or value >= K for row in shown for value in row)


def test_a_hidden_cell_is_never_alone_in_its_row():
    # Row 0: 2 is small; its row total (19) and the other cells would give it back.
    shown = suppress([[2, 9, 8], [12, 6, 8], [10, 10, 10]], K)
    assert shown[0][0] is None
    assert sum(value is None for value in shown[0]) >= 2
    assert sum(row[0] is None for row in shown) >= 2
    assert recoverable(shown) == {}


def test_a_hidden_total_is_protected_like_a_cell():
    # One row, one column: the cell is its row's total, and the column total repeats it.
    shown = suppress([[3]], K)
    assert shown == [[None, None], [None, None]]
    assert recoverable(suppress([[3], [40], [50]], K)) == {}


def test_the_checker_finds_what_primary_suppression_alone_gives_away():
    cells = [[2, 9, 8], [12, 6, 8], [10, 10, 10]]
    found = recoverable(primary_only(cells, K))
    assert found == {(0, 0): Fraction(2)}  # 19 - 9 - 8


def test_the_checker_solves_by_adding_and_subtracting_lines():
    # Two hidden 2x2 blocks joined by one hidden cell (1, 2): every line holds two hidden
    # entries or more, yet rows 0 and 1 less columns 0 and 1 give the joining cell away.
    cells = [[6, 7, 8, 9], [10, 11, 12, 13], [14, 15, 16, 17], [18, 19, 20, 21]]
    hidden = {(0, 0), (0, 1), (1, 0), (1, 1), (2, 2), (2, 3), (3, 2), (3, 3), (1, 2)}
    shown = [[None if (i, j) in hidden else v for j, v in enumerate(row)] for i, row in enumerate(totalled(cells))]
    lines = [shown[i] for i in range(5)] + [[row[j] for row in shown] for j in range(5)]
    assert all(sum(value is None for value in line) != 1 for line in lines)
    assert recoverable(shown) == {(1, 2): 12}
    assert recoverable(suppress_with(cells, hidden)) == {}


def suppress_with(cells, hidden):
    """``suppress`` with ``hidden`` forced small: the same table, those cells below k."""
    forced = [[1 if (i, j) in hidden else value for j, value in enumerate(row)] for i, row in enumerate(cells)]
    return suppress(forced, K)


def test_a_bridge_between_two_hidden_blocks_is_closed():
    # Two blocks of small counts joined only through one row: a dumbbell that single-line
    # checks miss; the result must still give nothing away.
    cells = [
        [1, 2, 50, 60, 70],
        [3, 4, 50, 60, 70],
        [60, 1, 2, 70, 80],
        [70, 80, 3, 4, 90],
        [70, 80, 1, 2, 90],
    ]
    shown = suppress(cells, K)
    assert recoverable(shown) == {}


def test_shown_entries_are_the_true_counts():
    cells = [[0, 9, 7], [12, 6, 8], [1, 1, 30]]
    true = totalled(cells)
    shown = suppress(cells, K)
    assert all(value in (None, true[i][j]) for i, row in enumerate(shown) for j, value in enumerate(row))


def test_a_threshold_below_one_is_refused():
    with pytest.raises(ValueError):
        suppress([[1]], 0)


tables = st.integers(1, 6).flatmap(
    lambda width: st.lists(
        st.lists(st.one_of(st.integers(0, 6), st.integers(0, 60)), min_size=width, max_size=width),
        min_size=1,
        max_size=8,
    )
)


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(2, 10))
def test_for_any_table_nothing_hidden_can_be_recovered(cells, k):
    shown = suppress(cells, k)
    assert recoverable(shown) == {}
    assert all(value is None or value >= k for row in shown for value in row)
    true = totalled(cells)
    assert all(value in (None, true[i][j]) for i, row in enumerate(shown) for j, value in enumerate(row))


def _keys(measure, rows, columns, row_dimension, column_dimension):
    """Keys as casework.reports.tables gives them: measure and place along each dimension."""
    places_r = [(row_dimension, n) for n in range(rows)] + [None]
    places_c = [(column_dimension, n) for n in range(columns)] + [None]
    return [[(measure, frozenset(p for p in (r, c) if p is not None)) for c in places_c] for r in places_r]


def test_the_linked_checker_sees_a_total_one_table_hides_and_another_shows():
    # Table A alone gives nothing away: a0 + a1 = 10, each equal to its hidden row total.
    a = [[None, None], [None, None], [8, 8], [18, 18]]
    assert recoverable(a) == {}
    # Table B, by another dimension, shows the second row's total (7): together, a1 = 7, a0 = 3.
    b = [[None, None, None], [None, None, 7], [4, 4, 8], [None, None, 18]]
    keys_a, keys_b = _keys("m", 3, 1, "x", "y"), _keys("m", 3, 2, "x", "z")
    found = recoverable_linked([(a, keys_a), (b, keys_b)])
    assert found[(0, 0, 0)] == 3 and found[(0, 1, 0)] == 7


cubes = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)).flatmap(
    lambda shape: st.lists(
        st.lists(
            st.lists(st.integers(0, 9), min_size=shape[2], max_size=shape[2]), min_size=shape[1], max_size=shape[1]
        ),
        min_size=shape[0],
        max_size=shape[0],
    )
)


@settings(max_examples=150, deadline=None)
@given(cubes)
def test_two_tables_sharing_totals_give_nothing_away_together(cube):
    # One count by three dimensions, shown as x by y and as x by z: both total each x.
    by_y = [[sum(row) for row in plane] for plane in cube]
    by_z = [[sum(plane[y][z] for y in range(len(plane))) for z in range(len(plane[0]))] for plane in cube]
    keys_y = _keys("m", len(cube), len(cube[0]), "x", "y")
    keys_z = _keys("m", len(cube), len(cube[0][0]), "x", "z")
    shown = suppress_linked([(by_y, keys_y), (by_z, keys_z)], K)
    assert recoverable_linked([(shown[0], keys_y), (shown[1], keys_z)]) == {}
    assert recoverable(shown[0]) == {} and recoverable(shown[1]) == {}
    # A total the two share is hidden in both or in neither.
    assert [row[-1] is None for row in shown[0]] == [row[-1] is None for row in shown[1]]
