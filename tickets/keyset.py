"""Keyset (seek) pages of an ordered list: "previous" and "next" links carry a cursor, the sort
key of the page's first or last row, and a page is the rows just after (or before) it in that
order. No COUNT(*) of the whole list and no OFFSET: each page costs the same at a million rows
(an index on the sort key serves it), and rows that arrive meanwhile shift no page.

The count shown with the list is bounded (`count_bounded`): exact up to COUNT_LIMIT, then
"more than COUNT_LIMIT".
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Field, Func, IntegerField, Q, QuerySet, Value
from django.db.models.lookups import GreaterThan, LessThan

from servicedesk.api.pagination import MAX_ID

COUNT_LIMIT = 1000
NEXT, PREVIOUS = "n", "p"


class BadCursor(ValueError):
    """A cursor we did not make, or one of another ordering: the caller shows the first page."""


def _as_datetime(value: Any) -> datetime:
    if not isinstance(value, str):
        raise BadCursor(value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadCursor(value) from None
    if moment.tzinfo is None:
        raise BadCursor(value)
    return moment


def _as_int(value: Any) -> int:
    if type(value) is not int or not -MAX_ID <= value <= MAX_ID:
        raise BadCursor(value)
    return value


def _as_text(value: Any) -> str:
    if not isinstance(value, str) or len(value) > 200:
        raise BadCursor(value)
    return value


# How a sort key's value is read back from a cursor (JSON keeps ints and strings; datetimes
# travel as ISO 8601 with their offset).
KEY_TYPES = {
    "id": _as_int,
    "created_at": _as_datetime,
    "updated_at": _as_datetime,
    "priority_rank": _as_int,
    "reference": _as_text,
}


@dataclass(frozen=True)
class Cursor:
    ordering: str  # the name of the ordering it was made for (ORDERINGS in tickets.filters)
    direction: str  # NEXT: the rows after `values`; PREVIOUS: the rows before them
    values: tuple

    def encode(self) -> str:
        values = [v.isoformat() if isinstance(v, datetime) else v for v in self.values]
        raw = json.dumps([self.ordering, self.direction, values], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, *, ordering: str, fields: tuple[str, ...]) -> Cursor:
        """The cursor in `text`; BadCursor if it is not one of ours for this ordering."""
        if not text or len(text) > 400:
            raise BadCursor(text)
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            made_for, direction, values = json.loads(raw)
        except (binascii.Error, ValueError, TypeError):
            raise BadCursor(text) from None
        if made_for != ordering or direction not in (NEXT, PREVIOUS):
            raise BadCursor(text)
        if not isinstance(values, list) or len(values) != len(fields):
            raise BadCursor(text)
        keys = [field.lstrip("-") for field in fields]
        return cls(made_for, direction, tuple(KEY_TYPES[key](value) for key, value in zip(keys, values, strict=True)))


class Row(Func):
    """A row value, (a, b, c): PostgreSQL and SQLite compare two of them key by key, the order of
    an index on (a, b, c), and PostgreSQL seeks such an index to the bound."""

    template = "(%(expressions)s)"
    output_field = Field()


def seek_condition(queryset: QuerySet, fields: tuple[str, ...], values: tuple, *, after: bool) -> Q:
    """The rows after (or before) `values` in the order of `fields`: all ascending or all
    descending ("-name"), which every ordering of the list is."""
    descending = {field.startswith("-") for field in fields}
    if len(descending) != 1:
        raise ValueError(f"a keyset ordering goes one way: {fields}")
    model_fields = {f.name: f for f in queryset.model._meta.concrete_fields}
    names = [field.lstrip("-") for field in fields]
    bound = Row(
        *(Value(v, output_field=model_fields.get(n, IntegerField())) for n, v in zip(names, values, strict=True))
    )
    lookup = LessThan if descending.pop() == after else GreaterThan
    return Q(lookup(Row(*(F(n) for n in names)), bound))


@dataclass
class KeysetPage:
    rows: list
    previous_cursor: str | None
    next_cursor: str | None

    @property
    def has_previous(self) -> bool:
        return self.previous_cursor is not None

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next


def keyset_page(
    queryset: QuerySet,
    *,
    rows: QuerySet,
    ordering: str,
    fields: tuple[str, ...],
    cursor: Cursor | None,
    size: int,
) -> KeysetPage:
    """The page of `queryset` (ordered by `fields`) after or before `cursor`, or the first page.

    The page's ids are picked in a subquery on `queryset` alone (its filters only, none of the page's joins), so the
    planner walks the sort index and stops after a page; `rows` (the same order, with the joins
    and prefetches the page shows, and no filter) reads those rows. Joined and filtered in one,
    a misjudged row count can make the planner fetch every row past the cursor and sort them,
    and the filters are evaluated twice."""
    keys = [field.lstrip("-") for field in fields]

    def cursor_of(row, direction: str) -> str:
        return Cursor(ordering, direction, tuple(getattr(row, key) for key in keys)).encode()

    def read(seek: QuerySet) -> list:
        return list(rows.filter(pk__in=seek.values("pk")[: size + 1]))

    if cursor is None:
        found = read(queryset)
        more = len(found) > size
        found = found[:size]
        next_cursor = cursor_of(found[-1], NEXT) if more else None
        return KeysetPage(rows=found, previous_cursor=None, next_cursor=next_cursor)
    after = cursor.direction == NEXT
    seek = queryset.filter(seek_condition(queryset, fields, cursor.values, after=after))
    found = read(seek if after else seek.reverse())
    more = len(found) > size
    found = found[:size] if after else found[-size:]
    if not found:
        return KeysetPage(rows=[], previous_cursor=None, next_cursor=None)
    if after:
        previous_cursor, next_cursor = cursor_of(found[0], PREVIOUS), cursor_of(found[-1], NEXT) if more else None
    else:
        previous_cursor, next_cursor = cursor_of(found[0], PREVIOUS) if more else None, cursor_of(found[-1], NEXT)
    return KeysetPage(rows=found, previous_cursor=previous_cursor, next_cursor=next_cursor)


def count_bounded(queryset: QuerySet) -> tuple[int, bool]:
    """How many rows, up to COUNT_LIMIT, and whether there are more: counts no further than
    COUNT_LIMIT + 1 rows (more than that is all a reader needs to know)."""
    count = queryset.order_by().values("pk")[: COUNT_LIMIT + 1].count()
    return min(count, COUNT_LIMIT), count > COUNT_LIMIT
