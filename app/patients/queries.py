"""Reading an account's patients. Disabled (removed) patients are never shown."""

from sqlalchemy import Row, ScalarSelect, Select, bindparam, case, func, select

from app.extensions import db
from app.patients.models import Patient, Relation


def account_patients(account_id: int) -> list[Patient]:
    """The account's patients, the holder first."""
    return list(db.session.scalars(
        select(Patient)
        .where(Patient.account_id == account_id, Patient.is_enabled.is_(True))
        .order_by(case((Patient.relation == Relation.SELF, 0), else_=1), Patient.id)
    ))


_OF_ACCOUNT = (Patient.account_id == bindparam("account_id"), Patient.is_enabled.is_(True))
_ACCOUNT_PATIENT = select(Patient).where(Patient.id == bindparam("patient_id"), *_OF_ACCOUNT)
# What a booking needs of its patient, as plain values (a row reads like the model).
_FACTS = (Patient.id, Patient.account_id, Patient.name, Patient.relation, Patient.phone,
          Patient.id_number_hash)
_PATIENT_FACTS = _ACCOUNT_PATIENT.with_only_columns(*_FACTS)
_HOLDER_FACTS = (select(*_FACTS).where(Patient.relation == Relation.SELF, *_OF_ACCOUNT)
                 .order_by(Patient.id).limit(1))


def account_patient(account_id: int, patient_id: int) -> Patient | None:
    """One of the account's patients, or None (another account's is as good as absent)."""
    return db.session.scalar(_ACCOUNT_PATIENT,
                             {"patient_id": patient_id, "account_id": account_id})


def patient_facts(account_id: int, patient_id: int | None = None) -> Row | None:
    """``account_patient`` — without ``patient_id``, the account holder as a patient of
    their own account (``account_patients``' first) — as a row of plain values:
    id, account_id, name, relation, phone and id_number_hash — what a booking reads, at
    a third of the model's cost (the API's booking path)."""
    if patient_id is None:
        return db.session.connection().execute(
            _HOLDER_FACTS, {"account_id": account_id}).first()
    return db.session.connection().execute(
        _PATIENT_FACTS, {"patient_id": patient_id, "account_id": account_id}).first()


def count_enabled(account_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Patient)
        .where(Patient.account_id == account_id, Patient.is_enabled.is_(True))
    )



_HOLDER = (Patient.id_number_hash == bindparam("key"), Patient.relation == Relation.SELF,
           Patient.account_id.is_not(None))
_HOLDER_ACCOUNT = select(Patient.account_id).where(*_HOLDER)


def holder_account_id(key: str) -> int | None:
    """The person's own account: the one whose holder (本人) has their ID number."""
    return db.session.connection().execute(_HOLDER_ACCOUNT, {"key": key}).scalar()


def holder_key(account_id: int) -> ScalarSelect:
    """The person key of the account's holder (本人), as a subquery."""
    return _holder_key(account_id).scalar_subquery()


def own_person_key(account_id: int) -> str | None:
    """The person key of the account's holder (本人)."""
    return db.session.scalar(_holder_key(account_id))


def _holder_key(account_id: int) -> Select:
    return select(Patient.id_number_hash).where(Patient.account_id == account_id,
                                                Patient.relation == Relation.SELF)
