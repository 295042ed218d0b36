"""Reading an account's patients. Disabled (removed) patients are never shown."""

from sqlalchemy import case, func, select

from app.extensions import db
from app.patients.models import Patient, Relation


def account_patients(account_id: int) -> list[Patient]:
    """The account's patients, the holder first."""
    return list(db.session.scalars(
        select(Patient)
        .where(Patient.account_id == account_id, Patient.is_enabled.is_(True))
        .order_by(case((Patient.relation == Relation.SELF, 0), else_=1), Patient.id)
    ))


def account_patient(account_id: int, patient_id: int) -> Patient | None:
    """One of the account's patients, or None (another account's is as good as absent)."""
    return db.session.scalar(
        select(Patient).where(Patient.id == patient_id, Patient.account_id == account_id,
                              Patient.is_enabled.is_(True))
    )


def count_enabled(account_id: int) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Patient)
        .where(Patient.account_id == account_id, Patient.is_enabled.is_(True))
    )
