"""``flask notifications sweep [--now ISO-TIME]``: one pass of the outbox sweep."""

from dataclasses import asdict
from datetime import UTC, datetime

import click
from flask.cli import AppGroup

from app.core.time import utcnow
from app.notifications.sweep import sweep

notifications_cli = AppGroup("notifications", help="The outbox of SMS and other messages.")


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return utcnow()
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@notifications_cli.command("sweep")
@click.option("--now", "now", type=click.DateTime(["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S",
                                                   "%Y-%m-%dT%H:%M"]),
              help="Pretend it is this time (ISO; UTC unless an offset is given).")
@click.option("--batch", default=50, show_default=True, help="Rows claimed at a time.")
@click.option("--limit", type=int, help="At most this many rows in this pass.")
def sweep_command(now: datetime | None, batch: int, limit: int | None) -> None:
    """Send what is due now: claim, send, stamp; expire and retry as the rules say."""
    stats = sweep(now=_aware(now), batch=batch, limit=limit)
    click.echo(" ".join(f"{name}={count}" for name, count in asdict(stats).items()))
