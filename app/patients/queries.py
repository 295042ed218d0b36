"""Reading an account's patients. Disabled (removed) patients are never shown."""

from sqlalchemy import bindparam, case, func, select

from app.extensions import db
from app.patients.models import Patient, Relation


def account_patients(account_id: int) -> list[Patient]:
    """The account's patients, the holder first."""
    return list(db.session.scalars(
        select(Patient)
        .where(Patient.account_id == account_id, Patient.is_enabled.is_(True))
        .order_by(case((Patient.relation == Relation.SELF, 0), else_=1), Patient.id)
    ))


_ACCOUNT_PATIENT = select(Patient).where(
    Patient.id == bindparam("patient_id"), Patient.account_id == bindparam("account_id"),
    Patient.is_enabled.is_(True))
_HOLDER = select(Patient).where(
    Patient.account_id == bindparam("account_id"), Patient.relation == Relation.SELF,
    Patient.is_enabled.is_(True)).order_by(Patient.id).limit(1)


def account_patient(account_id: int, patient_id: int) -> Patient | None:
    """One of the account's patients, or None (another account's is as good as absent)."""
    return db.session.scalar(_ACCOUNT_PATIENT,
                             {"patient_id": patient_id, "account_id": account_id})


def account_holder(account_id: int) -> Patient | None:
    """The account holder as a patient of their own account (``account_patients``'
    first), or None."""
    return db.session.scalar(_HOLDER, {"account_id": account_id})


def count_enabled(account_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Patient)
        .where(Patient.account_id == account_id, Patient.is_enabled.is_(True))
    )
