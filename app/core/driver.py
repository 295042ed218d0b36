"""Hot statements run on the driver's cursor, compiled by SQLAlchemy once per dialect.

A short write through ``connection.execute`` costs SQLAlchemy 60–100 µs (the execution
context, the result object, each value's type processing) on top of what SQLite takes
to run it: 15 µs for a booking's counter update, 100 µs for its row. A booking makes
six such statements while it holds SQLite's one write lock, so that overhead, not the
database, bounded the site's booking rate. A :class:`DriverStatement` keeps
SQLAlchemy's part where it is cheap — the SQL, the order of its parameters and the
type processors are SQLAlchemy's own, from compiling the statement once per dialect —
and runs it with the driver's ``cursor.execute``: the database sees exactly what
``connection.execute`` would have sent.

What is skipped, and why it does not matter for the statements that use this: Python
column defaults (every column is given: a statement that would need one is refused
when compiled), result processing (rows come back as the driver gives them — read
ids, counts and strings, not datetimes), SQLAlchemy's statement events and echo
(logging), and its disconnect handling (a connection that died mid-statement is found
by the pool's pre-ping at its next checkout, PostgreSQL's being pre-pinged). Driver
errors come back as SQLAlchemy's exceptions (``IntegrityError`` …), as from
``connection.execute``.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import exc
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session
from sqlalchemy.sql import Executable

_GIVEN = object()  # a parameter the caller gives (not a value fixed in the statement)


@dataclass(frozen=True)
class _Form:
    """A statement as one dialect runs it."""

    sql: str
    # (name, bind processor or None, the fixed value already processed, or _GIVEN)
    params: tuple[tuple[str, Any, Any], ...]
    names: tuple[str, ...]  # as the SQL names them (named paramstyles)
    positional: bool


class DriverStatement:
    """A fixed Core statement (module docstring). ``column_keys`` per call are the
    keys of the values an INSERT is given, when the statement has none of its own."""

    def __init__(self, statement: Executable):
        self.statement = statement
        self._forms: dict[tuple, _Form] = {}

    def execute(self, session: OrmSession | scoped_session, params: Mapping[str, Any], *,
                column_keys: Iterable[str] | None = None):
        """Run on the unit of work's connection; the driver's cursor (``fetchone``,
        ``fetchall``, ``rowcount``)."""
        connection = session.connection()
        dialect = connection.dialect
        keys = frozenset(column_keys) if column_keys is not None else None
        kind = (type(dialect), dialect.paramstyle, keys)
        form = self._forms.get(kind)
        if form is None:  # two threads may both compile it: the same form either way
            form = self._forms[kind] = _compile(self.statement, dialect, keys)
        values = []
        for name, process, fixed in form.params:
            if fixed is _GIVEN:
                value = params[name]
                values.append(value if process is None else process(value))
            else:
                values.append(fixed)
        args = values if form.positional else dict(zip(form.names, values, strict=True))
        cursor = connection.connection.dbapi_connection.cursor()
        try:
            cursor.execute(form.sql, args)
        except dialect.loaded_dbapi.Error as error:
            raise exc.DBAPIError.instance(form.sql, args, error, dialect.loaded_dbapi.Error,
                                          dialect=dialect) from error
        return cursor


def _compile(statement: Executable, dialect: Dialect, column_keys: frozenset | None) -> _Form:
    compiled = statement.compile(dialect=dialect,
                                 column_keys=sorted(column_keys) if column_keys else None)
    if compiled.insert_prefetch or compiled.update_prefetch:
        missing = [c.key for c in (*compiled.insert_prefetch, *compiled.update_prefetch)]
        raise TypeError(f"give every column a value (Python defaults are not run): {missing}")
    if compiled.literal_execute_params or compiled.post_compile_params:
        raise TypeError("parameters rendered at execution (IN lists, LIMIT …) are not supported")
    by_name = {name: bind for bind, name in compiled.bind_names.items()}
    names = compiled.positiontup if dialect.positional else list(by_name)
    params = []
    for name in names:
        bind = by_name[name]
        if bind.expanding or bind.callable is not None:
            raise TypeError(f"{name}: expanding and callable parameters are not supported")
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if bind.required:
            params.append((name, process, _GIVEN))
        else:
            value = bind.value
            params.append((name, None, process(value) if process else value))
    # Named parameters go by the names in the SQL (SQLAlchemy escapes a few characters).
    escaped = compiled.escaped_bind_names or {}
    return _Form(compiled.string, tuple(params), tuple(escaped.get(n, n) for n in names),
                 dialect.positional)
