"""The audit log: services record staff changes in the same unit of work as the change."""

from datetime import datetime

from app.core.models import AuditEntry
from app.extensions import db


def record(action: str, obj, *, actor_id: int | None, now: datetime,
           before: dict | None = None, after: dict | None = None) -> AuditEntry:
    """Write who did ``action`` to ``obj`` (a model with an ``id``), from what to what."""
    entry = AuditEntry(
        actor_id=actor_id, action=action, object_type=obj.__tablename__, object_id=obj.id,
        before=before, after=after, created_dt=now,
    )
    db.session.add(entry)
    return entry
