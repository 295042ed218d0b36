"""``flask db backup PATH``: a copy of the database that restores.

SQLite: SQLite's online backup API (Python's ``sqlite3.Connection.backup``) copies the
whole file in one step inside one read transaction — a consistent snapshot as of its
start, taken while the site goes on writing (WAL: readers never block writers). The
copy is written beside PATH, checked (``PRAGMA integrity_check``) and only then moved
onto PATH, so PATH is never half a backup. Restoring is putting the file back while
the site is stopped (README, "Backups").

PostgreSQL has its own tool for this, ``pg_dump``; the command says how to run it.
"""

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

import click
from flask.cli import with_appcontext
from sqlalchemy.engine import URL

from app.extensions import db

SQLITE_BUSY_TIMEOUT_S = 15


class CannotBackUp(Exception):
    """The backup cannot be made as asked; the message says why."""


class NotSQLite(CannotBackUp):
    """The database is not a SQLite file: the message says what to run instead."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int  # bytes
    tables: int


def backup(url: URL, target: Path) -> Backup:
    """Copy the SQLite database at ``url`` to ``target`` (replaced if it exists)."""
    if url.get_backend_name() != "sqlite":
        raise NotSQLite(pg_dump_advice(url, target))
    if not url.database or url.database == ":memory:":
        raise CannotBackUp("an in-memory SQLite database has nothing to back up")
    source_path = Path(url.database)
    if not source_path.is_file():
        raise CannotBackUp(f"no SQLite database at {source_path}")
    target = Path(target)
    if target.exists() and target.resolve() == source_path.resolve():
        raise CannotBackUp(f"{target} is the database itself: back up to another file")
    if not target.parent.is_dir():
        raise CannotBackUp(f"no folder {target.parent}: make it first")
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(source_path, timeout=SQLITE_BUSY_TIMEOUT_S)
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy)  # pages=-1: all in one step, one snapshot
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        (tables,) = copy.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()
    finally:
        copy.close()
        source.close()
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise RuntimeError(f"the copy failed SQLite's integrity check: {verdict}")
    with open(partial, "rb") as written:
        os.fsync(written.fileno())
    os.replace(partial, target)
    return Backup(target, target.stat().st_size, tables)


def pg_dump_advice(url: URL, target: Path) -> str:
    """What to run for a PostgreSQL database (its password never printed)."""
    address = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                         database=url.database).render_as_string()
    return (
        "This database is PostgreSQL: back it up with pg_dump (it takes a consistent "
        "snapshot while the site runs), e.g.\n"
        f"  pg_dump --format=custom --file {target} '{address}'\n"
        "run as the site's account (a password, if the database wants one, in its "
        "~/.pgpass); README, \"Backups\", says how to restore it."
    )


@click.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(path: Path) -> None:
    """Back up the database to PATH while the site runs (SQLite; for PostgreSQL it
    prints the pg_dump command to use)."""
    try:
        made = backup(db.engine.url, path)
    except CannotBackUp as refused:  # NotSQLite: the pg_dump command to run instead
        click.echo(str(refused), err=True)
        raise SystemExit(2) from None
    click.echo(f"backed up to {made.path} ({made.size / 1_048_576:.1f} MB, "
               f"{made.tables} tables, integrity checked)")
