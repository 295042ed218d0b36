"""Coercions shared by forms."""


def optional_int(value) -> int | None:
    """'' or None → None; anything else must be an integer (else ValueError → form error)."""
    if value in (None, ""):
        return None
    return int(value)


def strip(value):
    """A form filter: text without the spaces around it (anything else unchanged)."""
    return value.strip() if isinstance(value, str) else value
