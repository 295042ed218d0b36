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
# newlines, and DEL — refused in the pages' forms (app.web.security) and the API's text
# fields (app.api.fields), as a regular-expression character range.
CONTROL_RANGE = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
CONTROL_CHARACTERS = re.compile(f"[{CONTROL_RANGE}]")
MAX_PAGE = 10_000  # a list's ?page= beyond it (or past its last page) shows nothing


def page_number(value: int | None) -> int:
    """A list's page asked for in ``?page=`` (read with ``type=int``): 1 … MAX_PAGE, so
    that no offset beyond SQLite's integers reaches the database."""
    return min(max(value or 1, 1), MAX_PAGE)


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
