"""Writing model rows with PostgreSQL COPY, column list and defaults taken from the models.

The generator names the fields it fills; every other concrete field gets its model default,
so a field added to a model later (with a default, as migrations require anyway) does not
break the generator. Models with fields that transform their value on the way to the
database (encrypted fields, blind indexes: any `pre_save` or `get_*prep*` that is not
Django's own) are written through a model instance and those methods, exactly as
`Model.save()` would; all others through a text template, which is several times faster.

Strings written through the template must not contain tabs, newlines or backslashes (the
generator's names, codes and notes do not)."""

from __future__ import annotations

import datetime
import decimal
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection, models
from django.utils import timezone

NULL = "\\N"
_PREP_METHODS = ("pre_save", "get_prep_value", "get_db_prep_value", "get_db_prep_save")


def _defined_outside_django(field: models.Field[Any, Any]) -> bool:
    for name in _PREP_METHODS:
        owner = next(k for k in type(field).__mro__ if name in vars(k))
        if not owner.__module__.startswith("django."):
            return True
    return False


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _array(values: Iterable[Any]) -> str:
    items = []
    for value in values:
        item = str(value).replace("\\", "\\\\").replace('"', '\\"')
        items.append(f'"{item}"')
    return _escape("{" + ",".join(items) + "}")


def text(value: Any) -> str:
    """Any Python value as a COPY text field."""
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, list | tuple):
        return _array(value)
    if isinstance(value, datetime.datetime | datetime.date | decimal.Decimal | int | float):
        return str(value)
    return _escape(str(value))


_FAST: dict[type, Callable[[Any], Any]] = {
    type(None): lambda value: NULL,
    bool: lambda value: "t" if value else "f",
    list: _array,
    tuple: _array,
}


def _fast(value: Any) -> Any:
    convert = _FAST.get(type(value))
    return value if convert is None else convert(value)


def _default_text(field: models.Field[Any, Any]) -> str:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return str(timezone.now())
    if field.has_default() or field.null:
        return text(field.get_default())
    if isinstance(field, models.CharField | models.TextField) and field.blank:
        return ""
    raise ValueError(
        f"{field.model.__name__}.{field.name} has no default: tell bench.copy what to write"
    )


class CopyTable:
    """One model's rows as COPY lines, for the fields named in `names`, in that order."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        fields = list(model._meta.concrete_fields)
        known = {f.attname for f in fields}
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ValueError(f"{model.__name__} has no fields {unknown}")
        self.model = model
        self.names = tuple(names)
        self.fields = fields
        self.sql = f"COPY {model._meta.db_table} ({', '.join(f.column for f in fields)}) FROM STDIN"
        self.custom = [f for f in fields if _defined_outside_django(f)]
        position = {name: i for i, name in enumerate(self.names)}
        parts = []
        for field in fields:
            if field.attname in position:
                parts.append("{" + str(position[field.attname]) + "}")
            else:
                parts.append(_default_text(field).replace("{", "{{").replace("}", "}}"))
        self.template = "\t".join(parts) + "\n"

    def line(self, values: Sequence[Any]) -> str:
        if self.custom:
            return self._through_instance(values)
        return self.template.format(*map(_fast, values))

    def _through_instance(self, values: Sequence[Any]) -> str:
        row = self.model(**dict(zip(self.names, values, strict=True)))
        prepared = {
            field.attname: field.get_db_prep_save(field.pre_save(row, True), connection)
            for field in self.custom
        }
        given = dict(zip(self.names, values, strict=True))
        out = []
        for field in self.fields:
            if field.attname in prepared:
                out.append(text(prepared[field.attname]))
            elif field.attname in given:
                out.append(text(given[field.attname]))
            else:
                out.append(text(getattr(row, field.attname)))
        return "\t".join(out) + "\n"


class Copier:
    """Streams lines into one COPY, in chunks (one write per ~1 MB)."""

    CHUNK = 4000

    def __init__(self, cursor: Any, table: CopyTable) -> None:
        self.table = table
        self._context = cursor.copy(table.sql)
        self._copy: Any = None
        self._lines: list[str] = []
        self.rows = 0

    def __enter__(self) -> Copier:
        self._copy = self._context.__enter__()
        return self

    def add(self, *values: Any) -> None:
        self._lines.append(self.table.line(values))
        if len(self._lines) >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self._lines:
            self._copy.write("".join(self._lines))
            self.rows += len(self._lines)
            self._lines = []

    def __exit__(self, *exc: Any) -> None:
        if exc[0] is None:
            self._flush()
        self._context.__exit__(*exc)
