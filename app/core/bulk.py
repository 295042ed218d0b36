"""Many rows in a few statements, for writes that must be short: an import's thousands
of sessions and slots, written while SQLite's write lock is held.

On SQLite, SQLAlchemy's executemany is the fastest there is: the driver loops in C.
On PostgreSQL, psycopg runs an executemany as one statement a row (pipelined), and
SQLAlchemy's "insertmanyvalues" batches (a thousand rows' placeholders a statement)
are parsed afresh by psycopg every time: 2,000 sessions and their 14,000 slots took
about two seconds either way (bench/README.md, imports). There each column travels as
one array and ``unnest`` turns the arrays back into rows, in one ``INSERT … SELECT``
(about half a second, half of it the server's own work).
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
    first = rows[0]
    # A value every row shares goes once, not as an array (dumping arrays is most of the
    # client's time: psycopg quotes every element of a text array).
    shared = {n for n in first if all(row[n] == first[n] for row in rows)}
    # At least one array: its length is the number of rows.
    varying = [n for n in first if n not in shared] or [next(iter(first))]
    arrays = [bindparam(n, [row[n] for row in rows], type_=ARRAY(table.c[n].type))
              for n in varying]
    source = func.unnest(*arrays).table_valued(*varying).render_derived(name="source")
    values = [source.c[n] if n in varying else bindparam(n, first[n], type_=table.c[n].type)
              for n in first]
    session.execute(insert(table).from_select(list(first), select(*values)))


def insert_many_with_ids(session: OrmSession | scoped_session, table: Table,
                        rows: list[dict]) -> list[int]:
    """:func:`insert_many` for a table with an integer ``id``, drawing the ids first:
    the new ids, in the order of ``rows``. PostgreSQL draws them from the column's
    sequence. SQLite takes those after the largest: only inside a write transaction
    (``app.core.db.begin_write`` or ``restart_as_write``), whose lock keeps any other
    writer from taking them — SQLAlchemy cannot match a multi-row RETURNING to its rows
    there, and a statement a row cost twice the time."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = func.pg_get_serial_sequence(table.name, "id")
        ids = list(session.scalars(
            select(func.nextval(sequence)).select_from(func.generate_series(1, len(rows)))))
    else:
        largest = session.scalar(select(func.max(table.c.id))) or 0
        ids = list(range(largest + 1, largest + 1 + len(rows)))
    insert_many(session, table, [{"id": new_id, **row} for new_id, row in zip(
        ids, rows, strict=True)])
    return ids
