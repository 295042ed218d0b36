"""SQLite connection settings and the explicit write transaction (own database files)."""

import sqlite3
from datetime import UTC, datetime, timedelta, timezone

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
def test_restart_as_write_in_a_write_keeps_what_it_wrote_and_its_end_frees_the_lock(
        sqlite_engine, end):
    """A second service of the same unit of work restarts nothing: its writes and the
    first's commit (or roll back) together, and the end lets the next writer in."""
    from app.core.db import restart_as_write

    path = sqlite_engine.url.database
    with Session(sqlite_engine) as session:
        assert session.execute(text("SELECT count(*) FROM t")).scalar() == 0
        restart_as_write(session)
        session.execute(text("INSERT INTO t VALUES (1)"))
        restart_as_write(session)  # again, in the write transaction: kept
        session.execute(text("INSERT INTO t VALUES (2)"))

        assert _other_writer_is_locked_out(path) is True
        getattr(session, end)()
        assert _other_writer_is_locked_out(path) is False

    with sqlite_engine.connect() as conn:
        kept = conn.execute(text("SELECT count(*) FROM t")).scalar()
    assert kept == (2 if end == "commit" else 0)


def test_restart_as_write_refuses_to_drop_pending_changes(sqlite_engine):
    from app.core.db import restart_as_write

    with Session(sqlite_engine) as session:
        session.add(SchedulerHeartbeat(name="x", beat_dt=datetime(2026, 1, 1, tzinfo=UTC),
                                       pid=1))
        with pytest.raises(RuntimeError, match="pending changes"):
            restart_as_write(session)


@pytest.mark.parametrize("end", ["commit", "rollback"])
def test_writers_of_one_process_queue_and_the_next_starts_when_one_ends(sqlite_engine, end):
    """A second thread's write waits for the write lock (SQLite's busy timeout) and goes
    in once the first commits or rolls back."""
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
    """Across processes (gunicorn's workers), a writer waits in SQLite's busy handler
    while another holds the write lock (never a 'database is locked'), and goes in
    once the first has committed."""
    import multiprocessing

    path = sqlite_engine.url.database
    context = multiprocessing.get_context("spawn")
    holding, release = context.Event(), context.Event()
    other = context.Process(target=_hold_the_write_lock, args=(path, holding, release))
    other.start()
    try:
        assert holding.wait(30)
        assert _other_writer_is_locked_out(path) is True
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
