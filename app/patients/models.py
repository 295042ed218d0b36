"""A patient (就诊人) is a person an account books for; the holder is one of them."""

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.core import crypto
from app.core.enums import enum_column
from app.core.time import utcnow
from app.extensions import db
from app.patients.idnumbers import IdNumber

ID_PURPOSE = "resident-id"


class Relation(StrEnum):
    SELF = "self"
    SPOUSE = "spouse"
    PARENT = "parent"
    CHILD = "child"
    OTHER = "other"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


_HOLDER_SQL = "relation = 'self' AND account_id IS NOT NULL"


class Patient(db.Model):
    """A person booked for. The full ID number is stored encrypted, matched by keyed hash."""

    __tablename__ = "patients"
    __table_args__ = (
        UniqueConstraint("account_id", "id_number_hash"),
        # One account per person is that person's own (its holder, 本人, has their ID
        # number): it sees every booking made for them. Walk-ins have no account.
        Index("uq_patients_holder", "id_number_hash", unique=True,
              sqlite_where=text(_HOLDER_SQL), postgresql_where=text(_HOLDER_SQL)),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # None for a walk-in booked at the front desk, who has no account.
    account_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(50))
    relation: Mapped[Relation] = mapped_column(enum_column(Relation, "relation"))
    phone: Mapped[str] = mapped_column(String(20))
    id_number_hash: Mapped[str] = mapped_column(String(64), index=True)
    id_number_encrypted: Mapped[str] = mapped_column(Text)
    id_number_masked: Mapped[str] = mapped_column(String(18))
    birth_date: Mapped[date] = mapped_column(Date)
    sex: Mapped[Sex] = mapped_column(enum_column(Sex, "sex"))
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_dt: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[User | None] = relationship()

    def set_id_number(self, id_number: IdNumber) -> None:
        self.id_number_hash = person_key(id_number.number)
        self.id_number_encrypted = crypto.encrypt(id_number.number, purpose=ID_PURPOSE)
        self.id_number_masked = id_number.masked
        self.birth_date = id_number.birth_date
        self.sex = Sex(id_number.sex)

    def reveal_id_number(self) -> str:
        """The full number, for its owner's edit form only."""
        return crypto.decrypt(self.id_number_encrypted, purpose=ID_PURPOSE)


class Person(db.Model):
    """One human, across accounts and front-desk bookings, keyed by the keyed hash of the
    ID number. Per-person limits are conditional updates on this row."""

    __tablename__ = "persons"
    __table_args__ = (CheckConstraint("active_count >= 0", name="active_not_negative"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    active_count: Mapped[int] = mapped_column(Integer, default=0)
    suspended_until: Mapped[datetime | None]


def person_key(number: str) -> str:
    """The keyed hash that identifies a person across accounts and front-desk bookings."""
    return crypto.keyed_hash(number, purpose=ID_PURPOSE)
