"""``flask demo seed``: fill an empty database with a realistic Liling."""



import click
from flask.cli import AppGroup, with_appcontext

demo_cli = AppGroup("demo", help="Demo data.")


@demo_cli.command("seed")
@click.option("--scale", default=1, show_default=True, type=click.IntRange(1, 100),
              help="Multiply the number of sessions (load tests).")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Pretend today is this local date (default: the real today).")
@click.option("--states/--no-states", default=None,
              help="Also make the states a reviewer should see: a live waitlist offer, "
                   "a suspension, a series, a stop, queued reminders (default: at scale 1).")
@click.option("--history/--no-history", default=True, show_default=True,
              help="Also the year before: held sessions with bookings and outcomes, "
                   "for the statistics.")
@with_appcontext
def seed_command(scale: int, today, states: bool | None, history: bool) -> None:
    """Seed the demo data; does nothing if the database already holds data."""
    from app.demo.seed import seed

    seed(scale=scale, today=today.date() if today else None,
         states=scale == 1 if states is None else states, history=history, echo=click.echo)



