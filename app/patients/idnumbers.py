"""Resident ID numbers (GB 11643): validation, what they tell, and how they are shown."""

from dataclasses import dataclass
from datetime import date

from stdnum.cn import ric
from stdnum.exceptions import ValidationError


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


def parse(value: str) -> IdNumber:
    """Validate an 18-digit ID number (check digit, birth date) and read what it tells."""
    try:
        number = ric.validate(value)
    except ValidationError as exc:
        raise InvalidIdNumber(str(exc)) from exc
    if len(number) != 18:
        raise InvalidIdNumber("an 18-digit resident ID number is required")
    sex = "male" if int(number[16]) % 2 else "female"
    return IdNumber(number=number, birth_date=ric.get_birth_date(number), sex=sex)


def mask(number: str) -> str:
    """430281********1234 — the form every page but its owner's edit form shows."""
    return f"{number[:6]}{'*' * 8}{number[14:]}"


def with_check_digit(first17: str) -> str:
    """Complete 17 digits with their GB 11643 check digit (used to make demo data)."""
    return first17 + ric.calc_check_digit(first17)
