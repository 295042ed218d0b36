"""Fields the API's schemas share: times with their offset, bounded ids, clean text."""

from marshmallow import ValidationError, fields, validate

from app.core.coerce import CONTROL_RANGE, MAX_ID
from app.core.time import UTC, to_local

# A path id: anything else (0, negative, past a 32-bit integer) is simply not found.
ID_PATH = f"int(min=1, max={MAX_ID})"
# Text without control characters (tab and newlines allowed); in the OpenAPI document
# as its pattern, so clients and fuzzers know it.
NO_CONTROL_CHARACTERS = f"^[^{CONTROL_RANGE}]*$"


class LocalDateTime(fields.AwareDateTime):
    """ISO 8601 with its offset, in the programme's zone (``2026-12-03T08:00:00+08:00``).

    Input must carry an offset (a naive time is refused: it could mean any zone) and is
    turned into aware UTC, as the database holds it."""

    def __init__(self, **kwargs):
        super().__init__(format="iso", **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_local(value).isoformat()

    def _deserialize(self, value, attr, data, **kwargs):
        parsed = super()._deserialize(value, attr, data, **kwargs)
        try:
            utc = parsed.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00+14:00 is before the year 1 in UTC
            utc = None
        if utc is None or not 2000 <= utc.year <= 2100:
            raise ValidationError("Times must lie between the years 2000 and 2100.")
        return utc


class Id(fields.Integer):
    """A row id: a positive 32-bit integer (in a JSON body, ``strict=True``: a number,
    not a string)."""

    def __init__(self, **kwargs):
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Text(fields.String):
    """Text from a client, stripped, without control characters (PostgreSQL refuses NUL)."""

    def __init__(self, *, max_length: int, min_length: int = 0, **kwargs):
        checks = [validate.Length(min=min_length, max=max_length),
                  validate.Regexp(NO_CONTROL_CHARACTERS,
                                  error="Control characters are not allowed.")]
        super().__init__(validate=checks, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()
