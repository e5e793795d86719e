"""Small numbers never show: a table of counts, its totals, and what of it may be shown.

Pure functions, no Django. A table is ``cells`` (rows of counts); ``totalled`` adds a total
to each row and a row of column totals below (with the grand total in its corner), and
every entry of that grid, totals included, is shown only when it is at least ``k``.

Primary suppression hides every entry below ``k``, zero included (a shown 0 beside a
hidden cell helps whoever subtracts). Complementary suppression then hides more, until no
hidden entry can be worked out from what is shown. Each row of the grid, and each column,
is one sum (its cells add up to its total), so a line with a single hidden entry gives it
away; and lines can be added and subtracted (the "sum of lines" case). In the grid, with
the totals' signs turned, every line sums to a known number, so the hidden entries are the
edges of a bipartite graph (rows against columns), and an entry can be worked out exactly
when its edge lies on no cycle of that graph (it is a bridge). Suppression hides the
smallest shown entry that closes such a cycle, cells before totals, until none is left.

``recoverable`` checks a shown grid the other way, by elimination over the rationals,
without the graph: the tests hold the two against each other.

Tables of one report can share numbers: referrals by service and status, and by service and
team, both total each service. Hidden in one and shown in the other, such a total would
undo the first table's protection. ``suppress_linked`` names each entry by a key (what it
counts), hides an entry everywhere it is hidden anywhere, and checks the tables together
(``recoverable_linked``: one system of equations in which entries of the same key are one
unknown) until nothing of any of them can be worked out.
"""

from collections.abc import Hashable, Sequence
from fractions import Fraction

Grid = list[list[int]]
Shown = list[list[int | None]]  # None: hidden ("fewer than k", or hidden beside one)
Entry = tuple[int, int]
Keys = list[list[Hashable | None]]  # per entry of a grid: what it counts (None: its own)


def totalled(cells: Sequence[Sequence[int]]) -> Grid:
    """``cells`` with each row's total on its right and the columns' totals below."""
    if not cells or not cells[0]:
        raise ValueError("A table needs at least one row and one column.")
    width = len(cells[0])
    if any(len(row) != width for row in cells):
        raise ValueError("Every row of a table has the same number of cells.")
    grid = [[*row, sum(row)] for row in cells]
    grid.append([sum(row[j] for row in grid) for j in range(width + 1)])
    return grid


def suppress(cells: Sequence[Sequence[int]], k: int, forced: frozenset[Entry] | set[Entry] = frozenset()) -> Shown:
    """The totalled grid of ``cells`` as it may be shown: None for every hidden entry
    (and for the entries ``forced``, hidden whatever their value)."""
    if k < 1:
        raise ValueError("The threshold is at least 1.")
    grid = totalled(cells)
    hidden = {(i, j) for i, row in enumerate(grid) for j, value in enumerate(row) if value < k} | set(forced)
    while True:
        more = _lonely(grid, hidden) or _bridged(grid, hidden)
        if more is None:
            break
        hidden.add(more)
    return [[None if (i, j) in hidden else value for j, value in enumerate(row)] for i, row in enumerate(grid)]


def _line(grid: Grid, axis: int, index: int) -> list[Entry]:
    if axis == 0:
        return [(index, j) for j in range(len(grid[0]))]
    return [(i, index) for i in range(len(grid))]


def _lines(grid: Grid) -> list[list[Entry]]:
    return [_line(grid, 0, i) for i in range(len(grid))] + [_line(grid, 1, j) for j in range(len(grid[0]))]


def _smallest(grid: Grid, entries: list[Entry]) -> Entry | None:
    """The entry to hide next among ``entries`` (all shown): the smallest cell, or else
    the smallest total (a total hidden needs more than a cell hidden to stay hidden)."""
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    if not entries:
        return None

    def cost(entry: Entry) -> tuple[bool, int, Entry]:
        is_total = entry[0] == last_row or entry[1] == last_column
        return (is_total, grid[entry[0]][entry[1]], entry)

    return min(entries, key=cost)


def _lonely(grid: Grid, hidden: set[Entry]) -> Entry | None:
    """In a line with exactly one hidden entry, the entry to hide beside it."""
    for line in _lines(grid):
        if sum(entry in hidden for entry in line) == 1:
            return _smallest(grid, [entry for entry in line if entry not in hidden])
    return None


def _bridged(grid: Grid, hidden: set[Entry]) -> Entry | None:
    """For a hidden entry on no cycle (one that sums of lines would give away), the shown
    entry that puts it on one: in its row, a column that the rest of the graph reaches
    from its column (or the same the other way round)."""
    for entry in sorted(hidden):
        rest = hidden - {entry}
        row, column = entry
        rows_reached, columns_reached = _reach(rest, columns={column})
        if row in rows_reached:
            continue  # on a cycle: safe
        candidates = [(row, j) for j in columns_reached if (row, j) not in hidden]
        candidates += [(i, column) for i in _reach(rest, rows={row})[0] if (i, column) not in hidden]
        return _smallest(grid, candidates) or _any_shown(grid, hidden)
    return None


def _any_shown(grid: Grid, hidden: set[Entry]) -> Entry | None:
    shown = [(i, j) for i in range(len(grid)) for j in range(len(grid[0])) if (i, j) not in hidden]
    return _smallest(grid, shown)


def _reach(edges: set[Entry], rows: set[int] | None = None, columns: set[int] | None = None) -> tuple[set, set]:
    """The rows and columns connected to ``rows``/``columns`` through hidden ``edges``."""
    by_row: dict[int, list[int]] = {}
    by_column: dict[int, list[int]] = {}
    for i, j in edges:
        by_row.setdefault(i, []).append(j)
        by_column.setdefault(j, []).append(i)
    rows, columns = set(rows or ()), set(columns or ())
    waiting = [("row", i) for i in rows] + [("column", j) for j in columns]
    while waiting:
        kind, index = waiting.pop()
        for other in (by_row if kind == "row" else by_column).get(index, ()):
            reached = columns if kind == "row" else rows
            if other not in reached:
                reached.add(other)
                waiting.append(("column" if kind == "row" else "row", other))
    return rows, columns


def suppress_linked(tables: Sequence[tuple[Sequence[Sequence[int]], Keys]], k: int) -> list[Shown]:
    """Each ``(cells, keys)`` suppressed so that, taken together, they give nothing away:
    an entry hidden in one table is hidden wherever its key appears, and a hidden entry
    that the tables together determine gets one more entry hidden beside it. Tables that
    share no key are suppressed each on its own (the costly joint check is for the others)."""
    shown: list[Shown | None] = [None] * len(tables)
    for group in _groups(tables):
        for n, grid in zip(group, _suppress_group([tables[n] for n in group], k), strict=True):
            shown[n] = grid
    return [grid for grid in shown if grid is not None]


def _groups(tables: Sequence[tuple[Sequence[Sequence[int]], Keys]]) -> list[list[int]]:
    """The tables by groups that share keys (a table alone is a group of one)."""
    groups: list[tuple[set[Hashable], list[int]]] = []
    for n, (_cells, keys) in enumerate(tables):
        mine = {key for row in keys for key in row if key is not None}
        joined = [group for group in groups if group[0] & mine]
        merged = (mine.union(*(group[0] for group in joined)), sorted(sum((group[1] for group in joined), [n])))
        groups = [group for group in groups if group not in joined] + [merged]
    return sorted((members for _keys, members in groups), key=min)


def _suppress_group(tables: Sequence[tuple[Sequence[Sequence[int]], Keys]], k: int) -> list[Shown]:
    if len(tables) == 1:
        return [suppress(tables[0][0], k)]
    forced: list[set[Entry]] = [set() for _table in tables]
    while True:
        shown = [suppress(cells, k, forced[t]) for t, (cells, _keys) in enumerate(tables)]
        hidden_keys = {
            keys[i][j]
            for t, (_cells, keys) in enumerate(tables)
            for i, row in enumerate(shown[t])
            for j, value in enumerate(row)
            if value is None and keys[i][j] is not None
        }
        spread = False
        for t, (_cells, keys) in enumerate(tables):
            for i, row in enumerate(shown[t]):
                for j, value in enumerate(row):
                    if value is not None and keys[i][j] in hidden_keys:
                        forced[t].add((i, j))
                        spread = True
        if spread:
            continue
        found = recoverable_linked([(grid, keys) for grid, (_cells, keys) in zip(shown, tables, strict=True)])
        if not found:
            return shown
        _hide_beside(tables, shown, forced, min(found))


def _hide_beside(
    tables: Sequence[tuple[Sequence[Sequence[int]], Keys]],
    shown: list[Shown],
    forced: list[set[Entry]],
    recovered: tuple[int, int, int],
) -> None:
    """One more entry hidden for a ``recovered`` (table, row, column): the smallest shown
    in its row or column, or else the smallest shown anywhere (hiding grows every time)."""
    t, i, j = recovered
    grid = totalled(tables[t][0])
    line = [(i, column) for column in range(len(grid[0]))] + [(row, j) for row in range(len(grid))]
    more = _smallest(grid, [entry for entry in line if shown[t][entry[0]][entry[1]] is not None])
    if more is not None:
        forced[t].add(more)
        return
    anywhere = [
        (value, n, (row, column))
        for n in range(len(tables))
        for row, values in enumerate(shown[n])
        for column, value in enumerate(values)
        if value is not None
    ]
    _value, n, entry = min(anywhere)
    forced[n].add(entry)


def recoverable(shown: Shown) -> dict[Entry, Fraction]:
    """Every hidden entry of a shown grid (``suppress``'s form: totals last) that the shown
    entries determine, with its value: each line gives one equation (its cells sum to its
    total), and Gauss-Jordan elimination over the rationals finds each unknown that some
    combination of lines isolates (a single unknown in a line is the simplest such)."""
    keys: Keys = [[None] * len(row) for row in shown]
    return {(i, j): value for (_t, i, j), value in recoverable_linked([(shown, keys)]).items()}


def recoverable_linked(tables: Sequence[tuple[Shown, Keys]]) -> dict[tuple[int, int, int], Fraction]:
    """``recoverable`` over several shown grids at once, entries of one key being one
    unknown: (table, row, column) of every hidden entry they determine, with its value."""
    unknown_of: dict[tuple[int, int, int], Hashable] = {}
    for t, (shown, keys) in enumerate(tables):
        for i, row in enumerate(shown):
            for j, value in enumerate(row):
                if value is None:
                    unknown_of[(t, i, j)] = keys[i][j] if keys[i][j] is not None else ("entry", t, i, j)
    unknowns = list(dict.fromkeys(unknown_of.values()))
    position = {unknown: n for n, unknown in enumerate(unknowns)}
    equations = []
    for t, (shown, _keys) in enumerate(tables):
        named = {(i, j): position[unknown_of[(t, i, j)]] for (tt, i, j) in unknown_of if tt == t}
        equations += [_equation(shown, line, named, len(unknowns)) for line in _lines_of(shown)]
    determined: dict[int, Fraction] = {}
    for equation, column in _eliminate(equations, len(unknowns)):
        if all(value == 0 for n, value in enumerate(equation[:-1]) if n != column):
            determined[column] = equation[-1]
    return {
        entry: determined[position[unknown]] for entry, unknown in unknown_of.items() if position[unknown] in determined
    }


def _lines_of(shown: Shown) -> list[list[Entry]]:
    height, width = len(shown), len(shown[0])
    return [[(i, j) for j in range(width)] for i in range(height)] + [
        [(i, j) for i in range(height)] for j in range(width)
    ]


def _equation(shown: Shown, line: list[Entry], position: dict[Entry, int], width: int | None = None) -> list[Fraction]:
    """The line's sum as coefficients of the unknowns and a constant: its cells minus its
    total (the last entry) is zero."""
    equation = [Fraction(0)] * ((len(position) if width is None else width) + 1)
    for n, entry in enumerate(line):
        sign = -1 if n == len(line) - 1 else 1
        value = shown[entry[0]][entry[1]]
        if value is None:
            equation[position[entry]] += sign
        else:
            equation[-1] -= sign * value
    return equation


def _eliminate(equations: list[list[Fraction]], unknowns: int) -> list[tuple[list[Fraction], int]]:
    """Reduced row echelon form: each remaining equation with its pivot column."""
    rows = [list(equation) for equation in equations]
    pivots: list[int] = []
    top = 0
    for column in range(unknowns):
        found = next((r for r in range(top, len(rows)) if rows[r][column] != 0), None)
        if found is None:
            continue
        rows[top], rows[found] = rows[found], rows[top]
        pivot = rows[top][column]
        rows[top] = [value / pivot for value in rows[top]]
        for r in range(len(rows)):
            if r != top and rows[r][column] != 0:
                factor = rows[r][column]
                rows[r] = [a - factor * b for a, b in zip(rows[r], rows[top], strict=True)]
        pivots.append(column)
        top += 1
    return [(rows[n], column) for n, column in enumerate(pivots)]
