"""Keyset pagination: opaque cursors over a sort key that always ends with the id."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from tortoise.expressions import Case, Q, When
from tortoise.queryset import QuerySet

from app.services.errors import ErrorCode, fail

PAGE_DEFAULT, PAGE_MAX = 20, 100


MAX_KEY = 2**31 - 1


@dataclass(frozen=True)
class Column:
    name: str
    nullable: bool = False
    is_datetime: bool = False
    # The values a text column may hold (an enumeration); None for an integer column.
    choices: frozenset[str] | None = None
    # Sorted against the list's direction (e.g. most votes first within a priority).
    reverse: bool = False

    def parse(self, value: Any) -> Any:
        """A value read back from a cursor, checked against the column; ValueError if foreign."""
        if value is None:
            if not self.nullable:
                raise ValueError
            return None
        if self.is_datetime:
            parsed = datetime.fromisoformat(value) if isinstance(value, str) else None
            if parsed is None or parsed.tzinfo is None:
                raise ValueError
            return parsed
        if self.choices is not None:
            if value not in self.choices:
                raise ValueError
            return value
        if type(value) is not int or not 0 <= value <= MAX_KEY:
            raise ValueError
        return value


@dataclass(frozen=True)
class Window:
    """Which slice of an ordered list a caller asks for."""

    first: int | None = None
    after: str | None = None
    last: int | None = None
    before: str | None = None


T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    items: list[T]
    has_next: bool
    has_previous: bool


def page_size(window: Window) -> int:
    if window.first is not None and window.last is not None:
        raise fail(ErrorCode.VALIDATION, "give first or last, not both", "first")
    if window.after is not None and window.before is not None:
        raise fail(ErrorCode.VALIDATION, "give after or before, not both", "after")
    if (window.first is not None and window.before is not None) or (
        window.last is not None and window.after is not None
    ):
        raise fail(
            ErrorCode.VALIDATION,
            "page forwards with first and after, or backwards with last and before",
            "first" if window.first is not None else "last",
        )
    for name in ("first", "last"):
        value = getattr(window, name)
        if value is not None and not 1 <= value <= PAGE_MAX:
            raise fail(
                ErrorCode.VALIDATION, f"{name} must be between 1 and {PAGE_MAX} (got {value})", name
            )
    return window.first or window.last or PAGE_DEFAULT


def encode_cursor(tag: str, values: Sequence[Any]) -> str:
    raw = [tag, *(v.isoformat() if isinstance(v, datetime) else v for v in values)]
    return base64.urlsafe_b64encode(json.dumps(raw, separators=(",", ":")).encode()).decode()


def decode_cursor(tag: str, cursor: str, columns: Sequence[Column], field: str) -> list[Any]:
    """The key values inside a cursor made for this ordering; a clear error otherwise."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        if not isinstance(raw, list) or len(raw) != len(columns) + 1 or raw[0] != tag:
            raise ValueError
        return [column.parse(value) for column, value in zip(columns, raw[1:], strict=True)]
    except (ValueError, TypeError, IndexError, binascii.Error, UnicodeError):
        raise fail(
            ErrorCode.VALIDATION, f"{field} is not a cursor of this list and ordering", field
        ) from None


def _after(column: Column, value: Any, descending: bool) -> Q | None:
    """Rows strictly after value in one column; NULL sorts as the largest value."""
    name = column.name
    descending = descending != column.reverse
    if descending:
        if value is None:
            return Q(**{f"{name}__isnull": False})
        return Q(**{f"{name}__lt": value})
    if value is None:
        return None
    after = Q(**{f"{name}__gt": value})
    return after | Q(**{f"{name}__isnull": True}) if column.nullable else after


def _equal(column: Column, value: Any) -> Q:
    if value is None:
        return Q(**{f"{column.name}__isnull": True})
    return Q(**{column.name: value})


def seek(
    query: QuerySet[Any], columns: Sequence[Column], values: Sequence[Any], descending: bool
) -> QuerySet[Any]:
    """Keep the rows that come after the key values in this order."""
    branches: list[Q] = []
    for i, column in enumerate(columns):
        step = _after(column, values[i], descending)
        if step is None:
            continue
        for previous, value in zip(columns[:i], values[:i], strict=True):
            step &= _equal(previous, value)
        branches.append(step)
    if not branches:
        return query.filter(id__in=[])
    condition = branches[0]
    for branch in branches[1:]:
        condition |= branch
    return query.filter(condition)


def order(query: QuerySet[Any], columns: Sequence[Column], descending: bool) -> QuerySet[Any]:
    """Order by the columns, NULLs last when ascending and first when descending.

    That is PostgreSQL's own order, which its indexes serve as they are; SQLite sorts
    NULLs first, so there a flag column puts them in their place."""
    nulls_sort_first = query.model._meta.db.capabilities.dialect == "sqlite"
    orderings = []
    for column in columns:
        sign = "-" if descending != column.reverse else ""
        if column.nullable and nulls_sort_first:
            flag = f"{column.name}_is_null"
            query = query.annotate(
                **{flag: Case(When(Q(**{f"{column.name}__isnull": True}), then="1"), default="0")}
            )
            orderings.append(sign + flag)
        orderings.append(sign + column.name)
    return query.order_by(*orderings)


async def fetch_page(
    query: QuerySet[Any], *, tag: str, columns: Sequence[Column], descending: bool, window: Window
) -> Page[Any]:
    """One page of query in keyset order, forwards (first/after) or backwards (last/before)."""
    size = page_size(window)
    backwards = window.last is not None or (window.before is not None and window.first is None)
    cursor, cursor_field = (window.before, "before") if backwards else (window.after, "after")
    scan_descending = descending != backwards
    if cursor is not None:
        values = decode_cursor(tag, cursor, columns, cursor_field)
        query = seek(query, columns, values, scan_descending)
    rows = await order(query, columns, scan_descending).limit(size + 1)
    more = len(rows) > size
    rows = rows[:size]
    if backwards:
        rows.reverse()
        return Page(rows, has_next=window.before is not None, has_previous=more)
    return Page(rows, has_next=more, has_previous=window.after is not None)


def cursor_of(row: Any, *, tag: str, columns: Sequence[Column]) -> str:
    return encode_cursor(tag, [getattr(row, c.name) for c in columns])
