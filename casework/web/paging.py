"""Pages of a long list without counting all of it."""

from typing import Any

from django.core.paginator import Page, PageNotAnInteger, Paginator
from django.db.models import QuerySet
from django.utils.functional import cached_property

# Past this many rows a list says "more than 1,000" instead of counting them.
COUNT_CAP = 1000
# How deep a long list may be paged: each page reads every row before it, so a page number
# from a crafted URL (or past what the database's integers hold) must not set the depth.
# Past it, narrow the list with its filters.
MAX_ROWS_PAGED = 10_000


class CappedPaginator(Paginator):
    """Django's paginator, counting at most ``cap`` + 1 rows: the count reads no further
    than that, whatever the list's length.

    While the list is no longer than ``cap`` it behaves exactly like ``Paginator``. Past
    that, ``capped`` is true, the number of pages is unknown, and any page may be asked
    for: each one reads one row more than it shows, to know whether there is a next one.
    """

    def __init__(self, object_list: Any, per_page: int, cap: int | None = None) -> None:
        super().__init__(object_list, per_page)
        self.cap = COUNT_CAP if cap is None else cap

    @cached_property
    def count(self) -> int:
        rows: QuerySet[Any] = self.object_list  # type: ignore[assignment]  # a queryset here
        # Without the list's order: any cap + 1 rows will do for counting, and the database
        # may take them the cheapest way (a caseworker's own rows, say) instead of walking
        # the order until it has found enough.
        return rows.order_by()[: self.cap + 1].count()

    @property
    def capped(self) -> bool:
        return self.count > self.cap

    def validate_number(self, number: Any) -> int:
        if not self.capped:
            valid: int = super().validate_number(number)
            return valid
        try:
            valid = int(number)
        except (TypeError, ValueError):
            valid = 0
        if valid < 1:  # get_page() then gives the first page: the last one is not known
            raise PageNotAnInteger("That page number is not a whole number from 1 up")
        if (valid - 1) * self.per_page >= MAX_ROWS_PAGED:
            raise PageNotAnInteger("That page is deeper than a list is paged")
        return valid

    def page(self, number: Any) -> Page:
        if not self.capped:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        rows = list(self.object_list[bottom : bottom + self.per_page + 1])
        return CappedPage(rows[: self.per_page], number, self, has_more=len(rows) > self.per_page)


class CappedPage(Page):
    """A page of a list longer than the cap: whether a next page exists is known, not how many."""

    def __init__(self, object_list: list[Any], number: int, paginator: Paginator, has_more: bool) -> None:
        super().__init__(object_list, number, paginator)
        self.has_more = has_more

    def has_next(self) -> bool:
        return self.has_more
