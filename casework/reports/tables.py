"""The report's tables as they may be shown: every count through ``suppress``, each
hidden one as the words "fewer than k", each shown one rounded to the nearest ``ROUND_TO``,
and the bars of each table's chart.

Suppression makes sure no hidden count follows from the totals of the tables it knows
share them. Rounding covers what it cannot see: tables that count the same cases under
other names (the cases opened in a quarter and the journey steps they took, where intake
records a first step), and a late correction to an ended quarter read before and after.
With every shown count rounded, the difference of two of them no longer pins a hidden
count down. Suppression is decided on the exact counts, then what is shown is rounded.
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from casework.reports.queries import Section
from casework.reports.suppress import Keys, Shown, suppress_linked

# The chart's drawing, in SVG user units.
CHART_WIDTH = 640
LABEL_WIDTH = 220
BAR_AREA = 300
BAR_HEIGHT = 18
ROW_HEIGHT = 26
TOP = 8

ROUND_TO = 5  # every shown count, totals included, to the nearest multiple of this


@dataclass(frozen=True)
class Count:
    value: int | None  # None: hidden

    @property
    def hidden(self) -> bool:
        return self.value is None

    def __str__(self) -> str:
        return fewer_than() if self.value is None else number_format(self.value)

    def csv(self) -> str:
        return fewer_than() if self.value is None else str(self.value)


def fewer_than() -> str:
    return _("fewer than %(k)s") % {"k": settings.REPORT_MIN_COUNT}


def rounded(value: int | None) -> int | None:
    """``value`` to the nearest multiple of ``ROUND_TO`` (halves up), never below it: a
    shown count is at least the threshold, and 0 would read as "none"."""
    if value is None:
        return None
    return max(ROUND_TO, (2 * value + ROUND_TO) // (2 * ROUND_TO) * ROUND_TO)


def rounding_note() -> str:
    return _(
        "Every count is rounded to the nearest %(n)s, totals included, and any count below %(k)s reads "
        '"fewer than %(k)s": the totals need not add up exactly.'
    ) % {"n": ROUND_TO, "k": settings.REPORT_MIN_COUNT}


@dataclass(frozen=True)
class Bar:
    label: str
    count: Count
    y: int
    width: int

    @property
    def text_y(self) -> int:
        return self.y + BAR_HEIGHT - 5

    @property
    def value_x(self) -> int:
        return LABEL_WIDTH + self.width + 6


@dataclass
class Table:
    slug: str
    title: Promise
    note: Promise | str
    row_heading: Promise | str
    columns: list[str]
    rows: list[tuple[str, list[Count]]]  # each row's cells, its total last
    totals: list[Count]  # the columns' totals, the grand total last
    bars: list[Bar] = field(default_factory=list)

    @property
    def height(self) -> int:
        return TOP * 2 + ROW_HEIGHT * len(self.bars)

    def csv_rows(self) -> list[list[str]]:
        """The table as CSV rows (labels and counts, "fewer than k" for hidden ones)."""
        total = _("Total")
        lines = [[str(self.title)], [str(self.row_heading), *self.columns, total]]
        lines += [[label, *(count.csv() for count in counts)] for label, counts in self.rows]
        lines.append([total, *(count.csv() for count in self.totals)])
        return lines


def shown(sections: list[Section], k: int | None = None) -> list[Table]:
    """The report's ``sections`` as they may be shown, suppressed together (a total two
    tables share is hidden in both or in neither), each with its chart's bars."""
    k = k or settings.REPORT_MIN_COUNT
    grids = suppress_linked([(section.cells(), keys(section)) for section in sections], k)
    return [table(section, grid, k) for section, grid in zip(sections, grids, strict=True)]


def keys(section: Section) -> Keys:
    """What each entry of the section's totalled grid counts: its measure, and its row's
    and column's place along the section's dimensions (a total has one of them, or none)."""
    row_dimension, column_dimension = section.dimensions
    rows = [(row_dimension, key) for key, _label in section.rows] + [None]
    columns = [(column_dimension, key) for key, _label in section.columns] + [None]
    return [
        [(section.measure, frozenset(part for part in (row, column) if part is not None)) for column in columns]
        for row in rows
    ]


def table(section: Section, grid: Shown, k: int) -> Table:
    labels = [label for _key, label in section.rows]
    counted = [[Count(rounded(value)) for value in row] for row in grid]
    made = Table(
        slug=section.slug,
        title=section.title,
        note=section.note,
        row_heading=section.row_heading,
        columns=[label for _key, label in section.columns],
        rows=list(zip(labels, counted[:-1], strict=True)),
        totals=counted[-1],
    )
    made.bars = _bars(made.rows, k)
    return made


def _bars(rows: list[tuple[str, list[Count]]], k: int) -> list[Bar]:
    """One bar per row for its total; a hidden total is drawn as long as ``k`` would be,
    hatched and labelled in words, so its length tells nothing about the count."""
    largest = max([k, *(counts[-1].value or 0 for _label, counts in rows)])
    bars = []
    for n, (label, counts) in enumerate(rows):
        total = counts[-1]
        length = k if total.hidden else (total.value or 0)
        bars.append(Bar(label, total, TOP + n * ROW_HEIGHT, round(BAR_AREA * length / largest)))
    return bars
