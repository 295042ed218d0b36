"""SQLite's writers wait their turn here rather than in SQLite's busy handler.

SQLite lets one writer in at a time, and its busy handler makes the others sleep — 1,
2, 5 … 100 ms at a time — however soon the lock frees: under a rush the lock stands idle
while writers sleep. So a unit of work that opens a write transaction
(``app.core.db.begin_write``) first takes this process's writer lock (a
``threading.Lock``: the next thread wakes as soon as the holder lets go) and an
exclusive ``flock`` of a file beside the database (for gunicorn's other workers), and
lets both go when its transaction has ended — committed or rolled back — through the
ORM Session's ``after_transaction_end`` event. Nothing of SQLAlchemy or the driver is
changed. A writer that has waited as long as SQLite's busy timeout goes on without
them and lets SQLite decide, as before. A process that dies loses its ``flock`` with it.
"""

import os
import threading
import time
import weakref

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

try:
    import fcntl
except ImportError:  # not on Windows: there, threads queue and processes use SQLite's
    fcntl = None

HOLDS = "xq_holds_writer"  # Session.info key: the writer this unit of work holds
_WRITERS: "weakref.WeakKeyDictionary[Engine, Writer]" = weakref.WeakKeyDictionary()


class Writer:
    """The turn to write to one SQLite database file, for this process's threads and
    (by ``flock``) for the other processes."""

    def __init__(self, lock_path: str | None, wait_s: float):
        self.lock = threading.Lock()
        self.lock_path = lock_path
        self.wait_s = wait_s
        self._file: tuple[int, int] | None = None  # (pid, fd): a forked child reopens
        self._flocked = False

    def enter(self) -> bool:
        """Wait for the turn; False when it took too long (SQLite decides then)."""
        deadline = time.monotonic() + self.wait_s
        if not self.lock.acquire(timeout=self.wait_s):
            return False
        self._flocked = self._flock(deadline)
        return True

    def leave(self) -> None:
        if self._flocked:
            fcntl.flock(self._file[1], fcntl.LOCK_UN)
            self._flocked = False
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
        if self._file is None or self._file[0] != os.getpid():
            try:
                fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            except OSError:  # a read-only folder: threads queue, processes use SQLite's
                self.lock_path = None
                return None
            self._file = (os.getpid(), fd)
        return self._file[1]


def install(engine: Engine, database: str | None, *, wait_s: float) -> None:
    """Give a SQLite engine its writer (a file database: the lock file beside it)."""
    in_memory = not database or database == ":memory:"
    _WRITERS[engine] = Writer(None if in_memory else f"{database}-writer.lock", wait_s)


def take_turn(session: Session) -> None:
    """Before a write transaction begins: wait for this database's writer, held until
    the session's transaction ends."""
    writer = _WRITERS.get(session.get_bind())
    if writer is not None and HOLDS not in session.info and writer.enter():
        session.info[HOLDS] = writer


def give_up_turn(session: Session) -> None:
    """Let go of the writer this session holds, if any (its write did not begin)."""
    writer = session.info.pop(HOLDS, None)
    if writer is not None:
        writer.leave()


@event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction) -> None:
    if transaction.parent is None:  # the unit of work's own, not a savepoint
        give_up_turn(session)
