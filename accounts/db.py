"""A cursor for hot paths whose statements PostgreSQL parses and plans once per connection.

Django's cursors bind parameters on the client (the values are written into the SQL text), so
PostgreSQL parses and plans every statement anew: for the handful of index lookups of a charge
that was about a third of the database's CPU. `prepared_cursor()` gives a cursor that binds on
the server instead, and psycopg prepares each of its statements the first time a connection
runs it (the connection's `prepare_threshold`, set in the settings; Django's own cursors never
prepare). The statements go through Django's cursor wrapper, so query logging, the tests'
query counts and the error translation see them like any other.

Write statements for it with `%s` placeholders and cast arrays (`%s::bigint[]`): the values
travel as typed parameters, not as text in the statement."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper


class _LoggedCursor(CursorDebugWrapper):
    """Logs each statement with its values written in, as Django logs its own (a
    server-binding cursor keeps no text of its last statement for Django to read)."""

    def execute(self, sql: str, params: Any = None) -> Any:
        with self.debug_sql(self.db.ops.compose_sql(sql, params)):
            return CursorWrapper.execute(self, sql, params)


@contextmanager
def prepared_cursor(using: str = DEFAULT_DB_ALIAS) -> Iterator[CursorWrapper]:
    connection = connections[using]
    # What `connection.cursor()` does, with a server-binding cursor in place of the default.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    with connection.wrap_database_errors:
        raw = ServerBindingCursor(connection.connection)
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    with wrapper(raw, connection) as cursor:
        yield cursor
