"""``flask import ics|csv FILE --venue ID [--expert ID] [--as PHONE]``: a hospital's
schedule as draft sessions, all or nothing; prints the summary and every problem."""

from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import select

from app.auth.models import User
from app.calendar.importing import ImportResult, import_csv, import_ics
from app.core.time import utcnow
from app.extensions import db

import_cli = AppGroup("import", help="Import a schedule (.ics or CSV) as draft sessions.")


def _options(command):
    command = click.option("--as", "phone", help="Phone of the staff account to record.")(
        command)
    command = click.option("--expert", "expert_id", type=int,
                           help="Default expert id (events that name none).")(command)
    command = click.option("--venue", "venue_id", type=int, required=True,
                           help="Venue id.")(command)
    return click.argument("file", type=click.Path(exists=True, dir_okay=False,
                                                  path_type=Path))(command)


def _run(importer, file: Path, venue_id: int, expert_id: int | None, phone: str | None):
    by = None
    if phone:
        by = db.session.scalar(select(User).where(User.phone == phone))
        if by is None:
            raise click.ClickException(f"no account with phone {phone}")
    result: ImportResult = importer(file.read_bytes(), venue_id=venue_id,
                                    default_expert_id=expert_id, by=by, now=utcnow())
    if result.ok:
        db.session.commit()
    else:
        db.session.rollback()
    click.echo(result.summary)
    for problem in result.errors:
        where = f"line {problem.line}" if problem.line else "file"
        click.echo(f"{where}{' ' + problem.event if problem.event else ''}: {problem.reason}")
    if not result.ok:
        raise SystemExit(1)


@import_cli.command("ics")
@_options
def ics(file, venue_id, expert_id, phone):
    """Import an iCalendar (.ics) file."""
    _run(import_ics, file, venue_id, expert_id, phone)


@import_cli.command("csv")
@_options
def csv_(file, venue_id, expert_id, phone):
    """Import a CSV file: date,start,end[,expert,kind,title,capacity,description]."""
    _run(import_csv, file, venue_id, expert_id, phone)
