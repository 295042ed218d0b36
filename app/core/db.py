"""Database plumbing: SQLite's connection settings and the write transaction.

pysqlite on its own starts no transaction before a SELECT, so a service that reads and
then writes would race, and its deferred transactions take SQLite's one write lock only
at the first write. As SQLAlchemy's documentation for pysqlite recommends, we take
transaction control from the driver and emit ``BEGIN`` ourselves, in one ``begin``
listener: a plain (deferred) ``BEGIN`` for ordinary units of work, so that pages never
take the write lock, and ``BEGIN IMMEDIATE`` for the units of work a write service opens
with :func:`begin_write` — it waits for the lock up front (SQLite's busy timeout), so
what it reads cannot go stale before it writes. PostgreSQL needs none of this: it runs
READ COMMITTED, services rely on row locks and conditional updates.
"""

import contextlib
import functools
import sqlite3

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

WRITE = "xq_write"  # execution option: this unit of work's transaction is a write
SQLITE_BUSY_TIMEOUT_MS = 15_000


def configure_engine(engine: Engine) -> None:
    """Install SQLite's connection settings; other databases are left as they are."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # no BEGIN from the driver: ours, below
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged booking survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(WRITE)
                             else "BEGIN")


def is_unavailable(error: BaseException) -> bool:
    """Whether ``error`` says the database cannot be used just now — PostgreSQL down
    or its connection dropped, SQLite's file unreadable, full or locked past the busy
    timeout — rather than that a statement was wrong (a bug: no such table, a syntax
    error, which SQLite reports as OperationalError too): then the site answers 503
    and the jobs wait for their next run."""
    if not isinstance(error, DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    code = getattr(error.orig, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_AWAY  # the primary code of an extended one
    if not isinstance(error, OperationalError):
        return False
    # PostgreSQL: no SQLSTATE when no connection was made; otherwise only its classes
    # for a lost connection (08), too few resources (53: the disk full) and an operator
    # or the server stopping it (57). A deadlock (40P01) or a serialization failure is
    # a bug to see, not an outage.
    state = getattr(error.orig, "sqlstate", None)
    return state is None or state[:2] in ("08", "53", "57")


_SQLITE_AWAY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_READONLY,
                sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN,
                sqlite3.SQLITE_NOTADB}


def forget_session(session: scoped_session) -> None:
    """End the unit of work and give its connection back — with the database gone that
    may fail too, which changes nothing then (the pool drops the dead connection)."""
    with contextlib.suppress(SQLAlchemyError):
        session.remove()


def first_line(error: BaseException) -> str:
    """The driver's message without SQLAlchemy's statement and parameters (a log line
    must not carry a booking's values)."""
    original = getattr(error, "orig", None) or error
    return (str(original).strip().splitlines() or [type(original).__name__])[0]


def _own(session: OrmSession | scoped_session) -> OrmSession:
    return session() if isinstance(session, scoped_session) else session


def is_writing(session: OrmSession | scoped_session) -> bool:
    """Whether the unit of work already runs in a write transaction."""
    session = _own(session)
    return session.in_transaction() and bool(
        session.connection().get_execution_options().get(WRITE))


def begin_write(session: OrmSession | scoped_session) -> None:
    """Open the current unit of work as a write transaction.

    Call it first thing in a service that writes. On SQLite it takes the write lock
    up front (``BEGIN IMMEDIATE``) so that the reads the service checks its rules
    against cannot go stale before its writes; on PostgreSQL it changes nothing.
    Calling it after the unit of work read something is a bug on SQLite (its snapshot
    could be stale), so it is refused; :func:`restart_as_write` is for that."""
    session = _own(session)
    if session.get_bind().dialect.name != "sqlite" or is_writing(session):
        return
    if session.in_transaction():
        raise RuntimeError("begin_write() must come before the unit of work reads anything")
    session.connection(execution_options={WRITE: True})


def restart_as_write(session: OrmSession | scoped_session) -> None:
    """End what the unit of work has read so far and go on in a write transaction.

    For services that read without a lock first (a booking's checks, an import's
    parsing) and then write conditionally (``UPDATE … WHERE …``), so that a read before
    the lock cannot make the writes wrong. On SQLite the read transaction ends and
    ``BEGIN IMMEDIATE`` opens the write; a write transaction already open (an earlier
    service of the same unit of work) is kept, with what it wrote. On PostgreSQL (READ
    COMMITTED) each statement reads what is committed by then and plain reads hold no
    locks: there is nothing to end. Either way loaded objects reload on next use; pending
    (unflushed) changes would be lost, so they are refused."""
    session = _own(session)
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("restart_as_write() with pending changes would lose them")
    if session.get_bind().dialect.name == "sqlite" and not is_writing(session):
        session.rollback()
        begin_write(session)
    session.expire_all()


def insert_ignore(session: OrmSession | scoped_session, model, values: dict):
    """INSERT a row unless it would clash with a unique index (``ON CONFLICT DO
    NOTHING``), on the unit of work's connection; the new row's primary key, or None
    when it was left out."""
    connection = _own(session).connection()
    statement = _insert_ignore(model.__table__, connection.dialect.name)
    return connection.execute(statement, values).scalar()


@functools.cache
def _insert_ignore(table, dialect: str):
    """Built once per table and dialect (the statement, and so SQLAlchemy's compiled
    form of it, is reused); Core, not the ORM's bulk path: a plain row."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING says whether the row went in (psycopg's rowcount does not, here).
    return insert(table).on_conflict_do_nothing().returning(*table.primary_key)
