"""SQLite connection settings and the explicit write transaction (own database files)."""

import fcntl
import os
import sqlite3
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from app.core.db import begin_write, configure_engine
from app.core.models import SchedulerHeartbeat


@pytest.fixture
def sqlite_engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    configure_engine(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def _other_writer_is_locked_out(path) -> bool:
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        assert "locked" in str(exc)
        return True
    other.execute("ROLLBACK")
    return False


def test_sqlite_connections_get_wal_full_sync_foreign_keys_and_busy_timeout(sqlite_engine):
    with sqlite_engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        }

    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                       "busy_timeout": 15000}


def test_begin_write_takes_the_write_lock_before_any_read(sqlite_engine):
    path = sqlite_engine.url.database
    with Session(sqlite_engine) as session:
        begin_write(session)
        session.execute(text("SELECT count(*) FROM t")).scalar()

        assert _other_writer_is_locked_out(path) is True
        session.execute(text("INSERT INTO t VALUES (1)"))
        session.commit()

    assert _other_writer_is_locked_out(path) is False


def test_read_only_unit_of_work_never_takes_the_write_lock(sqlite_engine):
    path = sqlite_engine.url.database
    with Session(sqlite_engine) as session:
        session.execute(text("SELECT count(*) FROM t")).scalar()

        assert session.in_transaction() is True
        assert _other_writer_is_locked_out(path) is False


def test_begin_write_after_a_read_is_refused(sqlite_engine):
    with Session(sqlite_engine) as session:
        session.execute(text("SELECT 1"))

        with pytest.raises(RuntimeError, match="before the unit of work reads"):
            begin_write(session)


def test_begin_write_twice_in_one_unit_of_work_is_fine(sqlite_engine):
    with Session(sqlite_engine) as session:
        begin_write(session)
        begin_write(session)
        session.execute(text("INSERT INTO t VALUES (2)"))
        session.commit()


def test_datetimes_round_trip_as_aware_utc(db):
    shanghai = timezone(timedelta(hours=8))
    db.session.add(SchedulerHeartbeat(name="t", beat_dt=datetime(2026, 12, 3, 8, 0,
                                                                   tzinfo=shanghai), pid=1))
    db.session.flush()
    db.session.expire_all()

    beat = db.session.get(SchedulerHeartbeat, "t")

    assert beat.beat_dt == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert beat.beat_dt.tzinfo == UTC


def test_naive_datetimes_are_refused(db):
    db.session.add(SchedulerHeartbeat(name="n", beat_dt=datetime(2026, 12, 3, 8, 0), pid=1))  # noqa: DTZ001

    with pytest.raises(Exception, match="naive datetime"):
        db.session.flush()
    db.session.rollback()


def test_restart_as_write_ends_the_reads_and_takes_the_write_lock(sqlite_engine):
    from app.core.db import restart_as_write

    path = sqlite_engine.url.database
    with Session(sqlite_engine) as session:
        session.execute(text("SELECT count(*) FROM t")).scalar()
        restart_as_write(session)

        assert _other_writer_is_locked_out(path) is True
        session.rollback()


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_restart_as_write_keeps_the_connection_and_its_end_frees_the_lock(sqlite_engine, end):
    """The read transaction is restarted as a write one on the same connection; what
    was read reloads, what is written commits, and the end lets the next writer in."""
    from app.core.db import restart_as_write

    path = sqlite_engine.url.database
    with Session(sqlite_engine) as session:
        before = session.connection().connection.dbapi_connection
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
        restart_as_write(session)
        assert session.connection().connection.dbapi_connection is before
        restart_as_write(session)  # again: a write transaction is restarted too

        assert _other_writer_is_locked_out(path) is True
        session.execute(text("INSERT INTO t VALUES (1)"))
        getattr(session, end)()
        assert _other_writer_is_locked_out(path) is False

    with sqlite_engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM t")).scalar()
    assert kept == (1 if end == "commit" else 0)


def test_restart_as_write_refuses_to_drop_pending_changes(sqlite_engine):
    from app.core.db import restart_as_write

    with Session(sqlite_engine) as session:
        session.add(SchedulerHeartbeat(name="x", beat_dt=datetime(2026, 1, 1, tzinfo=UTC),
                                       pid=1))
        with pytest.raises(RuntimeError, match="pending changes"):
            restart_as_write(session)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_writers_of_one_process_queue_and_the_next_starts_when_one_ends(sqlite_engine, end):
    """A second thread's write waits in the process (not in SQLite's busy handler) and
    goes in as soon as the first commits or rolls back."""
    import threading
    import time

    first = Session(sqlite_engine)
    begin_write(first)
    first.execute(text("INSERT INTO t VALUES (1)"))
    started = threading.Event()
    order: list[str] = []

    def second_writer():
        with Session(sqlite_engine) as second:
            started.set()
            begin_write(second)
            second.execute(text("INSERT INTO t VALUES (2)"))
            order.append("second wrote")
            second.commit()

    thread = threading.Thread(target=second_writer)
    thread.start()
    started.wait()
    time.sleep(0.2)
    order.append("first ends")
    getattr(first, end)()
    thread.join(5)
    first.close()

    assert order == ["first ends", "second wrote"]
    with sqlite_engine.connect() as conn:
        rows = conn.execute(text("SELECT x FROM t ORDER BY x")).scalars().all()
    assert rows == ([1, 2] if end == "commit" else [2])
    assert _other_writer_is_locked_out(sqlite_engine.url.database) is False


def _hold_the_write_lock(path: str, holding, release) -> None:
    engine = create_engine(f"sqlite:///{path}")
    configure_engine(engine)
    with Session(engine) as session:
        begin_write(session)
        session.execute(text("INSERT INTO t VALUES (1)"))
        holding.set()
        release.wait(10)
        session.commit()
    engine.dispose()


def test_a_writer_of_another_process_waits_for_the_first_and_then_writes(sqlite_engine):
    """Across processes, writers queue on the lock file beside the database (never a
    'database is locked'), and the second goes in once the first has committed."""
    import multiprocessing

    path = sqlite_engine.url.database
    context = multiprocessing.get_context("spawn")
    holding, release = context.Event(), context.Event()
    other = context.Process(target=_hold_the_write_lock, args=(path, holding, release))
    other.start()
    try:
        assert holding.wait(30)
        probe = os.open(f"{path}-writer.lock", os.O_RDWR)
        try:  # the other process holds the lock file while its transaction is open
            with pytest.raises(BlockingIOError):
                fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        finally:
            os.close(probe)
        with Session(sqlite_engine) as session:
            release.set()  # the other process commits while we wait for the lock
            begin_write(session)
            rows = session.execute(text("SELECT x FROM t")).scalars().all()
            session.execute(text("INSERT INTO t VALUES (2)"))
            session.commit()
    finally:
        other.join(30)

    assert rows == [1]  # our write transaction began after theirs had committed
    assert other.exitcode == 0
    assert Path(f"{path}-writer.lock").exists()


def test_writes_handed_in_meanwhile_go_in_together_each_undone_alone(tmp_path):
    """While one write waits for the lock, the others queue; the next transaction takes
    them all, a savepoint each: one COMMIT for many, a failing work's writes undone
    and its exception raised in its own thread, each work seeing its own session.info."""
    import sqlite3
    import threading

    from sqlalchemy import event
    from sqlalchemy.orm import scoped_session, sessionmaker

    from app.core.db import write_together
    from tests.helpers import at_once

    path = tmp_path / "group.sqlite3"
    engine = create_engine(f"sqlite:///{path}", pool_size=20)
    configure_engine(engine, group_commit=True)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER UNIQUE)"))
    scoped = scoped_session(sessionmaker(engine))
    commits = []
    event.listen(engine, "commit", lambda _conn: commits.append(threading.get_ident()))
    seen = {}

    def book(n: int):
        def work():
            seen[n] = scoped.info["who"]
            scoped.connection().execute(text("INSERT INTO t VALUES (:x)"), {"x": n})
            if n % 3 == 0:
                raise ValueError(n)
            return n * 10

        def call():
            scoped.info["who"] = n
            try:
                return write_together(scoped, work)
            finally:
                scoped.remove()
        return call

    blocker = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")  # the first writer waits; the rest queue
    threading.Timer(0.5, lambda: blocker.execute("ROLLBACK")).start()
    results = at_once([book(n) for n in range(1, 13)])

    with engine.connect() as conn:
        kept = sorted(conn.execute(text("SELECT x FROM t")).scalars())
    assert kept == [n for n in range(1, 13) if n % 3]
    assert [r if isinstance(r, int) else str(r) for r in results] == [
        str(n) if n % 3 == 0 else n * 10 for n in range(1, 13)]
    assert all(isinstance(results[n - 1], ValueError) for n in (3, 6, 9, 12))
    assert seen == {n: n for n in range(1, 13)}
    assert len(commits) < 6  # together, not one transaction each
    scoped.remove()
    engine.dispose()


@pytest.mark.parametrize("group_commit", [True, False])
def test_write_together_commits_or_undoes_alone(tmp_path, group_commit):
    from sqlalchemy.orm import Session as PlainSession

    from app.core.db import write_together

    sqlite_engine = create_engine(f"sqlite:///{tmp_path / 'alone.sqlite3'}")
    configure_engine(sqlite_engine, group_commit=group_commit)
    with sqlite_engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))

    def fails(session):
        session.execute(text("INSERT INTO t VALUES (2)"))
        raise ValueError("refused")

    with PlainSession(sqlite_engine) as session:
        session.execute(text("SELECT count(*) FROM t")).scalar()
        assert write_together(session, lambda: session.execute(
            text("INSERT INTO t VALUES (1)")).rowcount) == 1
        with pytest.raises(ValueError, match="refused"):
            write_together(session, lambda: fails(session))
    with sqlite_engine.connect() as conn:
        assert conn.execute(text("SELECT x FROM t")).scalars().all() == [1]
    sqlite_engine.dispose()


def test_psycopg_converts_a_bookings_outbox_insert_once(db):
    # Four messages are 76 parameters: beyond psycopg's default cache bound, the
    # INSERT's placeholders were parsed afresh on every booking (configure_engine).
    if db.engine.dialect.driver != "psycopg":
        pytest.skip("the PostgreSQL tier's driver")
    from psycopg import _queries

    from app.notifications.models import Channel
    from app.notifications.services import queue_messages

    now = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    messages = [{"channel": Channel.SMS, "kind": "test", "body": "x", "now": now,
                 "recipient": f"1390000000{n}"} for n in range(4)]
    queue_messages(messages)
    before = _queries._query2pg.cache_info()
    queue_messages(messages)
    after = _queries._query2pg.cache_info()

    assert (after.hits, after.misses) == (before.hits + 1, before.misses)
