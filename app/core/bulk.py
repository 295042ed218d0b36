"""Many rows in a few statements, for writes that must be short: an import's thousands
of sessions and slots, written while SQLite's write lock is held.

On SQLite, SQLAlchemy's executemany is the fastest there is: the driver loops in C.
On PostgreSQL, psycopg runs an executemany as one statement a row (pipelined), and
SQLAlchemy's "insertmanyvalues" batches (a thousand rows' placeholders a statement)
are parsed afresh by psycopg every time: 2,000 sessions and their 14,000 slots took
about two seconds either way (bench/README.md, imports). There each column travels as
one array and ``unnest`` turns the arrays back into rows, in one ``INSERT … SELECT``.
"""

from sqlalchemy import Table, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session


def insert_many(session: OrmSession | scoped_session, table: Table, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into ``table`` on the unit of work's
    connection; columns they leave out get their defaults."""
    if not rows:
        return
    if session.get_bind().dialect.name != "postgresql":
        session.execute(insert(table), rows)
        return
    names = list(rows[0])
    arrays = [bindparam(name, [row[name] for row in rows], type_=ARRAY(table.c[name].type))
              for name in names]
    source = func.unnest(*arrays).table_valued(*names).render_derived(name="source")
    session.execute(insert(table).from_select(names, select(*[source.c[n] for n in names])))


def insert_many_returning_ids(session: OrmSession | scoped_session, table: Table,
                              rows: list[dict]) -> list[int]:
    """:func:`insert_many` for a table with an integer ``id``; the new ids, in the order
    of ``rows``. PostgreSQL draws them from the column's sequence first."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "postgresql":
        return list(session.scalars(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), rows))
    sequence = func.pg_get_serial_sequence(table.name, "id")
    ids = list(session.scalars(
        select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))))
    insert_many(session, table, [{"id": new_id, **row} for new_id, row in zip(
        ids, rows, strict=True)])
    return ids
