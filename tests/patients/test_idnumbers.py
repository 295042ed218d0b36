from datetime import date

import pytest

from app.patients import idnumbers
from app.patients.models import Relation, Sex, person_key
from tests.factories import create_patient, create_user, make_id_number


def test_parse_reads_birth_date_and_sex():
    number = idnumbers.with_check_digit("43028119560307123")

    parsed = idnumbers.parse(number)

    assert (parsed.birth_date, parsed.sex) == (date(1956, 3, 7), "male")
    assert parsed.masked == f"430281********{number[14:]}"


@pytest.mark.parametrize(
    "value",
    [
        "430281195603071230",  # wrong check digit (the right one is computed below)
        "43028119561307123X",  # month 13
        "4302811956030712",  # too short
        "43028156030712",  # 15-digit old form is not accepted
        "abcdefghijklmnopqr",
    ],
)
def test_parse_refuses_invalid_numbers(value):
    if value == "430281195603071230" and idnumbers.with_check_digit(value[:17]) == value:
        value = value[:17] + "1"
    with pytest.raises(idnumbers.InvalidIdNumber):
        idnumbers.parse(value)


def test_patient_keeps_the_number_encrypted_and_matches_by_keyed_hash(db):
    number = make_id_number(date(1948, 11, 2), 224)

    patient = create_patient(id_number=number)

    assert number not in (patient.id_number_encrypted, patient.id_number_hash)
    assert patient.reveal_id_number() == number
    assert patient.id_number_masked == f"430281********{number[14:]}"
    assert (patient.birth_date, patient.sex) == (date(1948, 11, 2), Sex.FEMALE)
    assert patient.id_number_hash == person_key(number)


def test_same_person_under_two_accounts_has_the_same_key(db):
    number = make_id_number()

    first = create_patient(id_number=number, account=create_user())
    second = create_patient(id_number=number, account=create_user(), relation=Relation.PARENT)

    assert first.id_number_hash == second.id_number_hash
