"""Resident ID numbers (GB 11643): validation, what they tell, and how they are shown."""

from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from app.core.coerce import digits


class InvalidIdNumber(ValueError):
    pass


@dataclass(frozen=True)
class IdNumber:
    number: str
    birth_date: date
    sex: str  # "male" / "female"

    @property
    def masked(self) -> str:
        return mask(self.number)


PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}


def parse(value: str) -> IdNumber:
    """Validate an 18-digit ID number (check digit, birth date) and read what it tells.

    Not ``stdnum.cn.ric.validate``: it also refuses an area code that did not exist in
    the birth year (430281 only from 1989), but elderly residents rightly carry the
    code of where their number was issued, so that check would turn away the very
    people this site serves. We check the format, the province, the birth date and
    the GB 11643 check digit.
    """
    number = ric.compact(value or "").upper()
    if len(number) != 18 or not digits(number[:17]):
        raise InvalidIdNumber("an 18-digit resident ID number is required")
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber("unknown province code")
    if number[-1] != ric.calc_check_digit(number):
        raise InvalidIdNumber("wrong check digit")
    try:
        birth_date = ric.get_birth_date(number)
    except ValidationError as exc:
        raise InvalidIdNumber("invalid birth date") from exc
    sex = "male" if int(number[16]) % 2 else "female"
    return IdNumber(number=number, birth_date=birth_date, sex=sex)


def mask(number: str) -> str:
    """430281********1234 — the form every page but its owner's edit form shows."""
    return f"{number[:6]}{'*' * 8}{number[14:]}"


def with_check_digit(first17: str) -> str:
    """Complete 17 digits with their GB 11643 check digit (used to make demo data)."""
    # stdnum expects a full-length number and ignores its last character.
    return first17 + ric.calc_check_digit(first17 + "0")
