"""An account's patients (就诊人): add, edit, remove.

The full ID number goes into the patient row (encrypted, hashed, masked) and nowhere
else: not into messages, logs or errors.

One person (ID number) is the holder (本人) of one account at most — their own account,
which sees every booking made for them — and a family member under at most
``MAX_FAMILY_ACCOUNTS`` accounts, so a stranger who knows the number cannot take the
places of the person's real family.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.core.db import insert_ignore, restart_as_write
from app.core.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.patients import idnumbers, queries
from app.patients.labels import id_number_problem
from app.patients.models import Patient, Person, Relation, person_key

MAX_FAMILY_ACCOUNTS = 3


def parse_id_number(value: str) -> idnumbers.IdNumber:
    """A valid resident ID number, or a DomainError that does not repeat it."""
    try:
        return idnumbers.parse(value)
    except idnumbers.InvalidIdNumber:
        raise DomainError(str(id_number_problem(value)), code="bad_id_number") from None


def create_patient(account_id: int, *, name: str, id_number: str, phone: str,
                   relation: Relation, max_patients: int, now: datetime) -> Patient:
    """Add a patient to an account, inside the caller's write.

    At most ``max_patients`` enabled patients per account and one holder (本人). A
    person removed earlier comes back (the same row, updated) rather than twice."""
    parsed = parse_id_number(id_number)
    existing = db.session.scalar(
        select(Patient).where(Patient.account_id == account_id,
                              Patient.id_number_hash == person_key(parsed.number))
    )
    if existing is not None and existing.is_enabled:
        raise Conflict(_("这位就诊人已经添加过了"), code="duplicate_patient")
    if queries.count_enabled(account_id) >= max_patients:
        raise DomainError(_("每个账号最多添加%(n)s位就诊人，请先删除不再需要的", n=max_patients),
                          code="too_many_patients")
    if relation == Relation.SELF and _holder(account_id) is not None:
        raise Conflict(_("账号本人已经在就诊人里了"), code="bad_relation")
    key = person_key(parsed.number)
    if relation == Relation.SELF:
        _check_holder_free(key)
    else:
        _check_family_place(key, account_id)
    patient = existing or Patient(account_id=account_id, created_dt=now)
    patient.name, patient.phone, patient.relation = name.strip(), phone, relation
    patient.set_id_number(parsed)
    patient.is_enabled = True
    db.session.add(patient)
    _flush_holder()
    return patient


def add_patient(account_id: int, *, name: str, id_number: str, phone: str,
                relation: Relation, max_patients: int, now: datetime) -> Patient:
    """Add a family member (not the holder: the holder is added at registration)."""
    if relation == Relation.SELF:
        raise DomainError(_("请选择与本人的关系"), code="bad_relation")
    restart_as_write(db.session)
    _lock_account(account_id)
    return create_patient(account_id, name=name, id_number=id_number, phone=phone,
                          relation=relation, max_patients=max_patients, now=now)


def update_patient(account_id: int, patient_id: int, *, name: str, id_number: str,
                   phone: str, relation: Relation, now: datetime) -> Patient:
    """Change a patient's details. The holder stays 本人 and no one else becomes it."""
    parsed = parse_id_number(id_number)
    restart_as_write(db.session)
    patient = _owned(account_id, patient_id)
    if (patient.relation == Relation.SELF) != (relation == Relation.SELF):
        raise DomainError(_("请选择与本人的关系"), code="bad_relation")
    key = person_key(parsed.number)
    if key != patient.id_number_hash:
        twin = db.session.scalar(
            select(Patient.id).where(Patient.account_id == account_id,
                                     Patient.id_number_hash == key)
        )
        if twin is not None:
            raise Conflict(_("这个身份证号已经是另一位就诊人了"), code="duplicate_patient")
        if patient.relation == Relation.SELF:
            _check_holder_free(key)
        else:
            _check_family_place(key, account_id)
        patient.set_id_number(parsed)
    patient.name, patient.phone, patient.relation = name.strip(), phone, relation
    _flush_holder()
    return patient


def remove_patient(account_id: int, patient_id: int, *, now: datetime) -> Patient:
    """Remove (disable) a patient; the holder cannot be removed."""
    restart_as_write(db.session)
    patient = _owned(account_id, patient_id)
    if patient.relation == Relation.SELF:
        raise DomainError(_("不能删除账号本人"), code="holder")
    patient.is_enabled = False
    db.session.flush()
    return patient


def _owned(account_id: int, patient_id: int) -> Patient:
    patient = queries.account_patient(account_id, patient_id)
    if patient is None:
        raise NotFound(_("找不到这位就诊人"))
    return patient


def _holder(account_id: int) -> Patient | None:
    return db.session.scalar(
        select(Patient).where(Patient.account_id == account_id,
                              Patient.relation == Relation.SELF, Patient.is_enabled.is_(True))
    )


def _check_holder_free(key: str) -> None:
    """Refuse an ID number that is already another account's holder (本人)."""
    if db.session.scalar(select(Patient.id).where(
            Patient.id_number_hash == key, Patient.relation == Relation.SELF,
            Patient.account_id.is_not(None))) is not None:
        raise _holder_taken()


def _holder_taken() -> Conflict:
    return Conflict(_("这个身份证号已经注册过账号。如果这是您本人的身份证号，"
                      "请带身份证到医院窗口处理"), code="id_number_registered")


def _flush_holder() -> None:
    """Flush a patient; two accounts claiming one holder at once meet the database's
    unique index (``uq_patients_holder``), and the later one is refused."""
    try:
        db.session.flush()
    except IntegrityError as exc:
        message = str(exc.orig)  # PostgreSQL names the index, SQLite its one column
        if "uq_patients_holder" in message or message.endswith("failed: patients.id_number_hash"):
            raise _holder_taken() from exc
        raise


def _check_family_place(key: str, account_id: int) -> None:
    """Refuse a family member whom ``MAX_FAMILY_ACCOUNTS`` other accounts hold already.
    The person's row is locked first (PostgreSQL; SQLite's write lock already
    serialises), so two accounts adding them at once cannot both pass."""
    insert_ignore(db.session, Person, {"key": key, "active_count": 0})
    db.session.execute(select(Person.key).where(Person.key == key).with_for_update())
    accounts = db.session.scalar(
        select(func.count()).select_from(Patient)
        .where(Patient.id_number_hash == key, Patient.relation != Relation.SELF,
               Patient.is_enabled.is_(True), Patient.account_id != account_id))
    if accounts >= MAX_FAMILY_ACCOUNTS:
        raise Conflict(_("这个身份证号已被%(n)s个账号添加为家人，不能再添加。"
                         "如有疑问，请到医院窗口咨询", n=MAX_FAMILY_ACCOUNTS),
                       code="too_many_family_accounts")


def _lock_account(account_id: int) -> None:
    """Serialise changes to one account's patients (PostgreSQL; SQLite's write lock
    already does), so two adds cannot both pass the limit."""
    db.session.execute(select(User.id).where(User.id == account_id).with_for_update())
