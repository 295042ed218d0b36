"""``flask users create``: staff accounts from the command line (the first admin, say)."""

import click
from flask.cli import AppGroup

from app.admin.services import create_staff
from app.auth.labels import STAFF_ROLES
from app.auth.models import Role
from app.core.errors import DomainError
from app.core.phones import InvalidPhone, normalize_mobile
from app.core.time import utcnow
from app.extensions import db

users_cli = AppGroup("users", help="Staff accounts.")


@users_cli.command("create")
@click.option("--phone", required=True, help="Mainland mobile number, the login.")
@click.option("--name", required=True)
@click.option("--role", "roles", required=True, multiple=True,
              type=click.Choice([r.value for r in STAFF_ROLES]),
              help="Repeat for several roles.")
@click.option("--venue", "venue_ids", multiple=True, type=int,
              help="Venue id a coordinator plans; repeat for several.")
@click.option("--expert", "expert_ids", multiple=True, type=int,
              help="Expert id: an expert's own entry, or one an assistant serves.")
@click.option("--institution", "institution_id", type=int,
              help="Institution id whose experts an institution admin keeps.")
@click.option("--centre", "centre_id", type=int,
              help="Venue id of the township health centre a township doctor works at.")
@click.option("--password", help="Prompted for (hidden, twice) when not given.")
def create_command(phone, name, roles, venue_ids, expert_ids, institution_id, centre_id,
                   password):
    """Create a staff account with its roles and assignments."""
    try:
        phone = normalize_mobile(phone)
    except InvalidPhone:
        raise click.BadParameter("not an 11-digit mainland mobile number",
                                 param_hint="--phone") from None
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        user = create_staff(phone=phone, name=name, password=password,
                            roles=[Role(r) for r in roles], venue_ids=venue_ids,
                            expert_ids=expert_ids, institution_id=institution_id,
                            centre_id=centre_id, by_id=None, now=utcnow())
    except DomainError as exc:
        db.session.rollback()
        raise click.ClickException(exc.message) from None
    user_id = user.id
    db.session.commit()
    click.echo(f"created user {user_id} ({phone}) with roles {', '.join(sorted(roles))}")


directory_cli = AppGroup("directory", help="The directory: townships, venues, experts …")


@directory_cli.command("import")
@click.argument("kind", type=click.Choice(["experts", "venues", "travel"]))
@click.argument("file", type=click.File("rb"))
def import_command(kind, file):
    """Import experts, venues or travel minutes between townships (乡镇甲, 乡镇乙, 分钟)
    from a CSV file (UTF-8 or GB18030), all or nothing."""
    from app.admin import travel
    from app.admin.directory_import import ImportRefused, import_file
    from app.core.db import begin_write

    begin_write(db.session)
    try:
        if kind == "travel":
            count = travel.import_file(file.read(), by_id=None, now=utcnow())
        else:
            count = import_file(kind, file.read(), by_id=None, now=utcnow())
    except ImportRefused as exc:
        db.session.rollback()
        for problem in exc.problems:
            click.echo(problem, err=True)
        raise click.ClickException(exc.message) from None
    db.session.commit()
    click.echo(f"imported {count} {kind}")
