"""Tables the reader sorts by a column header (`{% sort_th %}` in templates/ui)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest

M = TypeVar("M", bound=Model)


def sorted_by(
    request: HttpRequest,
    rows: QuerySet[M],
    columns: Mapping[str, Sequence[str]],
    default: str,
) -> tuple[QuerySet[M], str]:
    """`rows` ordered by the column the request asks for (`?sort=key` or `-key`), among
    `columns` (key -> the fields it orders by, the last one a tie-breaker); anything else is
    the `default` column. Returns the rows and the sort key in force."""
    asked = request.GET.get("sort", "")
    key = asked.removeprefix("-")
    if key not in columns:
        asked, key = default, default.removeprefix("-")
    descending = asked.startswith("-")
    fields = [_flipped(f) if descending else f for f in columns[key]]
    return rows.order_by(*fields), asked


def _flipped(field: str) -> str:
    return field[1:] if field.startswith("-") else "-" + field
