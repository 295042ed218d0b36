"""The audit log: services record staff changes in the same unit of work as the change."""

from datetime import datetime

from app.core.models import AuditEntry
from app.extensions import db


def record(action: str, obj, *, actor_id: int | None, now: datetime,
           before: dict | None = None, after: dict | None = None,
           object_id: int | None = None) -> AuditEntry:
    """Write who did ``action`` to ``obj`` (a model with an ``id``, or another key given
    as ``object_id``), from what to what."""
    entry = AuditEntry(
        actor_id=actor_id, action=action, object_type=obj.__tablename__,
        object_id=object_id if object_id is not None else obj.id,
        before=before, after=after, created_dt=now,
    )
    db.session.add(entry)
    return entry
