"""The declarative base, shared column types and the few tables every package may use."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, Index, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator

from app.core.time import UTC

# Explicit constraint names keep migrations identical on SQLite and PostgreSQL
# and make every constraint droppable by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """An aware UTC datetime on every database.

    SQLite has no time zones, so values are stored as naive UTC there and made
    aware again on the way out; naive input is a programming error.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect):
        """On SQLite, straight to the text SQLAlchemy's DATETIME stores
        (``2026-11-30 08:00:00.000000``) with ``isoformat``, in C: the two-step chain
        (this type, then DATETIME's formatting) cost twice as much, and a booking binds
        some thirty datetimes while it holds the write lock."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value):
            if value is None:
                return None
            if value.tzinfo is not UTC:
                value = _as_utc(value)
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: store aware UTC datetimes only")
    return value.astimezone(UTC)


class Base(DeclarativeBase):
    # One explicit registry: Flask-SQLAlchemy subclasses this base, and SQLAlchemy 2.1
    # only carries a type map over to subclasses when it lives on the registry.
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime},
    )


MAIN_SCHEDULER = "main"


class SchedulerHeartbeat(Base):
    """The scheduler's lease, stamped by its heartbeat job; /healthz and /metrics read
    it. ``owner`` (host:pid) is the one scheduler running the jobs: another takes over
    only once the stamp is older than the lease (app.scheduler)."""

    __tablename__ = "scheduler_heartbeats"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    beat_dt: Mapped[datetime]
    pid: Mapped[int] = mapped_column(Integer)
    owner: Mapped[str] = mapped_column(String(120), default="", server_default="")


class AuditEntry(Base):
    """Who changed what, when, from what to what: every staff change to a schedule or a
    booking is written here in the same transaction as the change."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int] = mapped_column(Integer)
    before: Mapped[dict | None] = mapped_column(JSON)
    after: Mapped[dict | None] = mapped_column(JSON)
    created_dt: Mapped[datetime]
