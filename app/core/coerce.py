"""Coercions shared by forms, and the numbers a request may name."""

import re

from werkzeug.routing import IntegerConverter

# The largest id a row can have (the columns are 32-bit on PostgreSQL): a larger number
# in an address names nothing, and must not reach the database (SQLite refuses integers
# beyond 64 bits with an error, not an empty answer).
MAX_ID = 2**31 - 1


def digits(value: str | None) -> bool:
    """Whether ``value`` is a plain number: ASCII digits only (``str.isdigit`` also
    accepts '²', which ``int`` refuses)."""
    return bool(value) and value.isascii() and value.isdigit()


def id_or_none(value: str | None) -> int | None:
    """The id a query parameter names (``?township=3``), or None for anything that
    cannot be one."""
    return int(value) if digits(value) and 0 < int(value) <= MAX_ID else None


# Characters nobody types and PostgreSQL partly refuses (NUL): C0 controls but tab and
# newlines, and DEL. The API's text fields refuse the same (app.api.fields).
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: Werkzeug's integer converter, but never above
    ``MAX_ID`` — a larger number is a 404 like any id that does not exist."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_ID, signed=False):  # noqa: A002
        super().__init__(map, fixed_digits, min, max, signed)


def optional_int(value) -> int | None:
    """'' or None → None; anything else must be an integer (else ValueError → form error)."""
    if value in (None, ""):
        return None
    number = int(value)
    if abs(number) > MAX_ID:
        raise ValueError(f"{value!r} is out of range")
    return number


def strip(value):
    """A form filter: text without the spaces around it (anything else unchanged)."""
    return value.strip() if isinstance(value, str) else value
