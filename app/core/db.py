"""Database plumbing: SQLite connection settings and the explicit write transaction.

pysqlite on its own starts no transaction before a SELECT, so a service that reads
and then writes would race. We take transaction control away from the driver and
emit ``BEGIN`` ourselves: plain (deferred) ``BEGIN`` for ordinary units of work, so
page views never take the write lock, and ``BEGIN IMMEDIATE`` for the units of work
that a write service opens with :func:`begin_write`.
"""

import functools
import os
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event

try:
    import fcntl
except ImportError:  # not on Windows: there, SQLite's busy handler alone
    fcntl = None
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlalchemy.orm import scoped_session

from app.core.driver import DriverStatement

WRITE_OPTION = "xq_write"
OUTER_TRANSACTION = "xq_outer_transaction"
SQLITE_BUSY_TIMEOUT_MS = 15_000
WRITER_WAIT_S = SQLITE_BUSY_TIMEOUT_MS / 1000
T = TypeVar("T")
_WRITERS: "weakref.WeakKeyDictionary[Engine, _ProcessWriter]" = weakref.WeakKeyDictionary()
_GROUPS: "weakref.WeakKeyDictionary[Engine, _Group]" = weakref.WeakKeyDictionary()


def configure_engine(engine: Engine, *, group_commit: bool = True) -> None:
    """Install the SQLite connection settings; other databases are left as they are
    (but for psycopg's query cache, below). ``group_commit``: ``write_together``
    gathers the writes that queue meanwhile."""
    if engine.dialect.driver == "psycopg":
        _widen_psycopg_query_cache()
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

    database = engine.url.database
    lock_path = f"{database}-writer.lock" if database and database != ":memory:" else None
    writer = _WRITERS[engine] = _ProcessWriter(engine, lock_path)
    if group_commit and lock_path is not None:
        _GROUPS[engine] = _Group()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # On the driver's connection: every unit of work starts here, and a statement
        # through SQLAlchemy's execution machinery costs more than SQLite's BEGIN.
        raw = conn.connection.dbapi_connection
        if conn.get_execution_options().get(WRITE_OPTION, False):
            writer.begin_immediate(raw)
        else:
            raw.execute("BEGIN")


# psycopg turns a query's %(name)s placeholders into PostgreSQL's with a regular
# expression, and caches the result only for queries of at most 50 parameters and 4 KB.
# A booking's outbox INSERT has 19 parameters a message (four messages: 76), so it was
# converted afresh every time: half of that INSERT's cost, and a tenth of a booking's
# CPU. The cache is an LRU of 128 queries whatever the bounds; ours are few and fixed.
PSYCOPG_CACHED_PARAMS = 400
PSYCOPG_CACHED_LENGTH = 32_768


def _widen_psycopg_query_cache() -> None:
    try:
        from psycopg import _queries
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", None) is not None:
        _queries.MAX_CACHED_STATEMENT_PARAMS = max(_queries.MAX_CACHED_STATEMENT_PARAMS,
                                                   PSYCOPG_CACHED_PARAMS)
    if getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None) is not None:
        _queries.MAX_CACHED_STATEMENT_LENGTH = max(_queries.MAX_CACHED_STATEMENT_LENGTH,
                                                   PSYCOPG_CACHED_LENGTH)


class _ProcessWriter:
    """Writers queue for SQLite's one write lock here, and are woken as soon as it is
    free, instead of sleeping in SQLite's busy handler (1, 2, 5 … 100 ms at a time,
    however soon the lock frees).

    Inside a process, threads queue on a lock. Across processes (gunicorn's workers)
    the thread at the head of its process's queue takes an exclusive ``flock`` on a
    file beside the database, polling at most every millisecond. Both are released
    after the driver's COMMIT or ROLLBACK (the dialect's ``do_commit`` /
    ``do_rollback``), never held past their transaction; a process that dies loses its
    ``flock`` with it. After ``WRITER_WAIT_S`` a writer stops waiting here and lets
    SQLite's busy timeout decide, as before."""

    def __init__(self, engine: Engine, lock_path: str | None):
        self.lock = threading.Lock()
        self.holder: int | None = None  # id() of the DBAPI connection holding it
        self.lock_path = lock_path
        self._file: tuple[int, int] | None = None  # (pid, fd): a forked child reopens
        self._flocked = False
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

    def begin_immediate(self, raw) -> None:
        """Queue for the write lock, then take SQLite's (``raw``: the driver's
        connection, outside any transaction)."""
        self.acquire(raw)
        try:
            raw.execute("BEGIN IMMEDIATE")
        except BaseException:
            self.release(raw)
            raise

    def acquire(self, dbapi_conn) -> None:
        deadline = time.monotonic() + WRITER_WAIT_S
        if not self.lock.acquire(timeout=WRITER_WAIT_S):
            return  # waiting longer than SQLite would have is pointless
        self.holder = _raw_id(dbapi_conn)
        self._flocked = self._flock(deadline)

    def release(self, dbapi_conn) -> None:
        if self.holder is None or self.holder != _raw_id(dbapi_conn):
            return
        if self._flocked:
            fcntl.flock(self._file[1], fcntl.LOCK_UN)
            self._flocked = False
        self.holder = None
        self.lock.release()

    def _flock(self, deadline: float) -> bool:
        fd = self._fd()
        if fd is None:
            return False
        pause = 0.0001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return False
                time.sleep(pause)
                pause = min(pause * 2, 0.001)

    def _fd(self) -> int | None:
        if fcntl is None or self.lock_path is None:
            return None
        pid = os.getpid()
        if self._file is None or self._file[0] != pid:
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:
                self.lock_path = None  # a read-only folder: SQLite's busy handler only
                return None
            self._file = (pid, fd)
        return self._file[1]


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
    bind = session.get_bind()
    if bind.dialect.name != "sqlite":
        # READ COMMITTED (PostgreSQL's default, kept here): each statement reads what
        # is committed by then, and plain reads hold no locks, so there is nothing to
        # end — only the loaded objects to reload. No round trips, and the connection
        # stays with the unit of work.
        session.expire_all()
        return
    writer = _WRITERS.get(bind)
    if session.info.get(OUTER_TRANSACTION):
        # Tests: one connection in the test's own transaction, which holds everything.
        session.expire_all()
        return
    if writer and session.in_transaction():
        conn = session.connection()
        if conn.get_execution_options().get(WRITE_OPTION):
            # Already a write transaction (a second service of the same unit of work):
            # keep it and what it wrote.
            session.expire_all()
            return
        # A read transaction (nothing written: writes take begin_write): end and
        # restart it on the same connection, instead of giving the connection back to
        # the pool and checking one out again (a booking's hot path).
        raw = conn.connection.dbapi_connection
        raw.execute("ROLLBACK")
        writer.begin_immediate(raw)
        conn.execution_options(**{WRITE_OPTION: True})
        session.expire_all()
        return
    session.rollback()
    begin_write(session)


def insert_ignore(session: OrmSession | scoped_session, model, values: dict, *,
                  on: str | None = None):
    """INSERT a row unless one with the same key exists (ON CONFLICT DO NOTHING), on
    the unit of work's connection; the new row's primary key, or None when it was not
    inserted. ``on``: ignore a clash on this unique column only (others still raise)."""
    statement = _insert_ignore(model, session.get_bind().dialect.name, on)
    rows = statement.execute(session, values, column_keys=values).fetchall()
    return rows[0][0] if rows else None


@functools.cache
def _insert_ignore(model, dialect: str, on: str | None) -> DriverStatement:
    """Built once per model and dialect, run on the driver (the booking and its
    idempotency record are on the hot path); every column's value is given."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # RETURNING says whether the row went in (psycopg's rowcount does not, here).
    return DriverStatement(
        insert(model).on_conflict_do_nothing(index_elements=[on] if on else None)
        .returning(*model.__table__.primary_key))


# --- group commit --------------------------------------------------------------------


def write_together(session: OrmSession | scoped_session, work: Callable[[], T]) -> T:
    """End the unit of work's reads, run ``work`` in a write transaction and commit it;
    ``work``'s answer, or its exception (its writes undone).

    ``work`` writes with Core statements on the current session's connection
    (``db.session``; no ORM flushes), knowing that this may be another request's: on
    SQLite, the works that threads of this process hand in while one transaction
    waits for the write lock or runs go into the next one, a savepoint each, with one
    ``BEGIN IMMEDIATE`` and one ``COMMIT`` (one fsync) for all — the thread that finds
    no transaction gathering leads it, the others wait for their answer. Each work
    sees the writer's ``session.info`` swapped for its own thread's (what the outbox
    notes there is its own). SQLite's writes are serial anyway; what a group saves is
    the lock's hand-overs and the fsyncs. Elsewhere (and in the tests' outer
    transaction) it is plain: write transaction, work, commit.
    """
    own = session() if isinstance(session, scoped_session) else session
    group = _GROUPS.get(own.get_bind())
    if group is None or own.info.get(OUTER_TRANSACTION):
        restart_as_write(own)
        try:
            answer = work()
            own.commit()
            return answer
        except BaseException:
            own.rollback()
            raise
    own.rollback()  # end the reads: a waiting thread keeps no snapshot
    return group.run(session, _Work(work, own.info))


class _Work:
    """One thread's work in a group, and what became of it."""

    __slots__ = ("run", "info", "done", "answer", "error", "woken")

    def __init__(self, run: Callable[[], Any], info: dict):
        self.run, self.info = run, info
        self.done, self.answer, self.error = False, None, None
        self.woken = threading.Event()

    def outcome(self):
        if self.error is not None:
            raise self.error
        return self.answer


class _Group:
    """The works waiting for the next transaction, and whether a thread leads one."""

    def __init__(self):
        self.mutex = threading.Lock()
        self.waiting: list[_Work] = []
        self.leading = False

    def run(self, session, work: _Work):
        with self.mutex:
            self.waiting.append(work)
            lead = not self.leading
            self.leading = True
        if not lead:
            work.woken.wait()
            if work.done:
                return work.outcome()
            # Woken undone: the last leader handed this thread the next transaction.
        try:
            self._lead(session)
        finally:
            with self.mutex:
                if self.waiting:
                    self.waiting[0].woken.set()
                else:
                    self.leading = False
        return work.outcome()

    def _lead(self, scoped) -> None:
        session = scoped() if isinstance(scoped, scoped_session) else scoped
        batch: list[_Work] = []
        try:
            begin_write(session)  # BEGIN IMMEDIATE: the lock is this transaction's
            raw = session.connection().connection.dbapi_connection
            with self.mutex:  # everyone who queued while the lock was taken
                batch, self.waiting = self.waiting, []
            own_info = session.info
            for work in batch:
                session.info = work.info
                # On the driver: SQLAlchemy's savepoints cost more than the works'
                # statements, and the lock is held meanwhile. Works write with Core
                # statements (no ORM flushes), so there is no ORM state to undo.
                raw.execute("SAVEPOINT group_work")
                try:
                    work.answer = work.run()
                except Exception as error:  # undone by its savepoint; it is theirs
                    work.error = error
                    raw.execute("ROLLBACK TO group_work")
                finally:
                    session.info = own_info
                raw.execute("RELEASE group_work")
            session.commit()
        except BaseException as error:  # no lock, or no commit: nobody's work went in
            session.rollback()
            if not batch:
                with self.mutex:
                    batch, self.waiting = self.waiting, []
            for work in batch:
                work.answer, work.error = None, error
            if not isinstance(error, Exception):
                raise
        finally:
            for work in batch:
                work.done = True
                work.woken.set()
