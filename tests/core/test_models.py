"""UTCDateTime: aware UTC in, aware UTC out, stored on SQLite as SQLAlchemy's DATETIME
stores it."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import DateTime
from sqlalchemy.dialects.sqlite import pysqlite

from app.core.models import UTCDateTime

SQLITE = pysqlite.dialect()
SHANGHAI = timezone(timedelta(hours=8))


@pytest.mark.parametrize("value", [
    datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
    datetime(2026, 11, 30, 8, 0, 5, 123456, tzinfo=UTC),
    datetime(2026, 12, 1, 0, 30, tzinfo=SHANGHAI),  # another zone: converted to UTC
    datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    None,
])
def test_sqlite_text_is_what_sqlalchemys_datetime_stores(value):
    ours = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    theirs = DateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    expected = None if value is None else theirs(value.astimezone(UTC).replace(tzinfo=None))

    assert ours(value) == expected


def test_sqlite_refuses_a_naive_datetime():
    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)

    with pytest.raises(ValueError, match="naive"):
        process(datetime(2026, 11, 30, 8, 0, tzinfo=UTC).replace(tzinfo=None))
