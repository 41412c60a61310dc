"""For hot paths: a cursor whose statements PostgreSQL parses and plans once per connection,
and a pipeline that sends several statements in one round trip.

Django's cursors bind parameters on the client (the values are written into the SQL text), so
PostgreSQL parses and plans every statement anew: for the handful of index lookups of a charge
that was about a third of the database's CPU. `prepared_cursor()` gives a cursor that binds on
the server instead, and psycopg prepares each of its statements the first time a connection
runs it (the connection's `prepare_threshold`, set in the settings; Django's own cursors never
prepare). The statements go through Django's cursor wrapper, so query logging, the tests'
query counts and the error translation see them like any other.

Write statements for it with `%s` placeholders and cast arrays (`%s::bigint[]`): the values
travel as typed parameters, not as text in the statement.

Inside `pipeline()`, psycopg sends what is executed without waiting for the answer (the
BEGIN of a transaction included); a fetch waits only for the statements sent so far. The
server still runs the statements one after the other, in order, each with its own snapshot:
what holds for the same statements one by one holds here. An error surfaces at the next
fetch, or when the block ends, and the statements after it in the block are not run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from psycopg import Cursor


class _LoggedCursor(CursorDebugWrapper):
    """Logs each statement with its values written in, as Django logs its own (a
    server-binding cursor keeps no text of its last statement for Django to read)."""

    def execute(self, sql: Any, params: Any = None) -> Any:
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
        raw = Cursor(connection.connection)  # binds on the server, unlike Django's own
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    with wrapper(raw, connection) as cursor:
        yield cursor


@contextmanager
def pipeline(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    connection = connections[using]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    with connection.wrap_database_errors, connection.connection.pipeline():
        yield
