"""Database plumbing: SQLite connection settings and the explicit write transaction.

pysqlite on its own starts no transaction before a SELECT, so a service that reads
and then writes would race. We take transaction control away from the driver and
emit ``BEGIN`` ourselves: plain (deferred) ``BEGIN`` for ordinary units of work, so
page views never take the write lock, and ``BEGIN IMMEDIATE`` for the units of work
that a write service opens with :func:`begin_write`.
"""

import threading

from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

WRITE_OPTION = "xq_write"
OUTER_TRANSACTION = "xq_outer_transaction"
SQLITE_BUSY_TIMEOUT_MS = 15_000
WRITER_WAIT_S = SQLITE_BUSY_TIMEOUT_MS / 1000


def configure_engine(engine: Engine) -> None:
    """Install the SQLite connection settings; other databases are left as they are."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Autocommit at the driver level: we emit BEGIN ourselves (see module docstring).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged booking survives a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    writer = _ProcessWriter(engine)

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        immediate = conn.get_execution_options().get(WRITE_OPTION, False)
        if not immediate:
            conn.exec_driver_sql("BEGIN")
            return
        writer.acquire(conn.connection.dbapi_connection)
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            writer.release(conn.connection.dbapi_connection)
            raise


class _ProcessWriter:
    """One writer at a time inside this process, queued on a lock.

    SQLite lets one writer in; a connection that finds the write lock taken sleeps in
    its busy handler (1, 2, 5 … 100 ms) however soon the lock frees. Threads of one
    worker therefore wait for each other here instead, and are woken the moment the
    writer before them has committed; SQLite's busy timeout remains for the writers of
    other processes. The lock is released after the driver's COMMIT or ROLLBACK (the
    dialect's ``do_commit`` / ``do_rollback``), never held past its transaction."""

    def __init__(self, engine: Engine):
        self.lock = threading.Lock()
        self.holder: int | None = None  # id() of the DBAPI connection holding it
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_conn):
            try:
                commit(dbapi_conn)
            finally:
                self.release(dbapi_conn)

        def do_rollback(dbapi_conn):
            try:
                rollback(dbapi_conn)
            finally:
                self.release(dbapi_conn)

        dialect.do_commit, dialect.do_rollback = do_commit, do_rollback

    def acquire(self, dbapi_conn) -> None:
        # Waiting longer than SQLite would have is pointless: then let SQLite decide.
        if self.lock.acquire(timeout=WRITER_WAIT_S):
            self.holder = _raw_id(dbapi_conn)

    def release(self, dbapi_conn) -> None:
        if self.holder is not None and self.holder == _raw_id(dbapi_conn):
            self.holder = None
            self.lock.release()


def _raw_id(dbapi_conn) -> int:
    """The driver connection's identity, whether given bare or in the pool's proxy."""
    return id(getattr(dbapi_conn, "dbapi_connection", dbapi_conn))


def begin_write(session: OrmSession | scoped_session) -> None:
    """Open the current unit of work as a write transaction.

    Call it first thing in a service that writes. On SQLite it takes the write lock
    up front (``BEGIN IMMEDIATE``) so that the reads the service checks its rules
    against cannot go stale before its writes; on PostgreSQL it is a no-op, where
    services rely on row locks and conditional updates instead.

    Calling it after the unit of work already read something is a bug on SQLite:
    the snapshot those reads came from could be stale, so we refuse.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        options = session.connection().get_execution_options()
        # Tests run inside an outer transaction that they roll back; it is theirs.
        if options.get(WRITE_OPTION) or session.info.get(OUTER_TRANSACTION):
            return
        raise RuntimeError("begin_write() must come before the unit of work reads anything")
    session.connection(execution_options={WRITE_OPTION: True})


def restart_as_write(session: OrmSession | scoped_session) -> None:
    """End what the unit of work has read so far and open it again as a write transaction.

    For services whose writes are conditional (``UPDATE … WHERE status = …``), so that
    a read before the lock cannot make them wrong; the caller's loaded objects reload
    on next use. Pending changes would be lost, so they are refused.
    """
    if isinstance(session, scoped_session):
        session = session()
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("restart_as_write() with pending changes would lose them")
    session.rollback()
    begin_write(session)


def insert_ignore(session: OrmSession | scoped_session, model, values: dict) -> None:
    """INSERT a row unless one with the same key exists (ON CONFLICT DO NOTHING)."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())
