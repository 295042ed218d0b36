"""The township × township travel-time table the programme office keeps: minutes by
road between two townships' seats, used by the conflict check and the experts'
circuits (app.scheduling.conflicts.TravelTimes). Set or clear a pair, or import a
file of them, all or nothing; every change audited. Services flush; the caller commits.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import aliased

from app.admin.directory_import import ImportRefused, read_rows
from app.core import audit
from app.core.coerce import digits
from app.core.errors import DomainError
from app.directory.models import Township, TravelTime
from app.extensions import db

MAX_MINUTES = 600
COLUMNS = {
    "a": (("乡镇甲", "from"), True, 40),
    "b": (("乡镇乙", "to"), True, 40),
    "minutes": (("分钟", "minutes"), True, 4),
}


def rows() -> list[tuple[str, str, int, int, int]]:
    """The table as (township name, other township name, minutes, id, other id)."""
    first, second = aliased(Township), aliased(Township)
    return db.session.execute(
        select(first.name, second.name, TravelTime.minutes, first.id, second.id)
        .join(first, first.id == TravelTime.from_township_id)
        .join(second, second.id == TravelTime.to_township_id)
        .order_by(first.id, second.id)).all()


def set_minutes(a_id: int, b_id: int, minutes: int | None, *, by_id: int | None,
                now: datetime) -> None:
    """Set the minutes between two townships (None: clear the pair, so that it takes
    the default again). Audited with what it was before."""
    if a_id == b_id:
        raise DomainError(_("请选择两个不同的乡镇"), code="b")
    if minutes is not None and not 1 <= minutes <= MAX_MINUTES:
        raise DomainError(_("分钟数应为 1 到 %(n)s", n=MAX_MINUTES), code="minutes")
    if db.session.scalar(select(func.count(Township.id))
                         .where(Township.id.in_((a_id, b_id)))) != 2:
        raise DomainError(_("找不到所选的乡镇"), code="a")
    low, high = min(a_id, b_id), max(a_id, b_id)
    row = db.session.get(TravelTime, (low, high))
    before = row.minutes if row is not None else None
    if before == minutes:
        return
    if minutes is None:
        db.session.execute(delete(TravelTime).where(TravelTime.from_township_id == low,
                                                    TravelTime.to_township_id == high))
    elif row is None:
        db.session.add(TravelTime(from_township_id=low, to_township_id=high, minutes=minutes))
    else:
        row.minutes = minutes
    db.session.flush()
    # Written against the pair's first township (an audit entry names one object).
    audit.record("travel_times.update", db.session.get(Township, low), actor_id=by_id, now=now,
                 before={"townships": [low, high], "minutes": before},
                 after={"townships": [low, high], "minutes": minutes})


def import_file(data: bytes, *, by_id: int | None, now: datetime) -> int:
    """Set the pairs of a CSV file (乡镇甲, 乡镇乙, 分钟), townships matched by name;
    all or nothing, every problem listed with its line. How many pairs it holds."""
    parsed, problems = read_rows(COLUMNS, data)
    names = dict(db.session.execute(select(Township.name, Township.id)).all())
    pairs = []
    for row in parsed:
        ids = []
        for field in ("a", "b"):
            if row.cells[field] not in names:
                problems.append(_("第%(line)s行：找不到乡镇“%(name)s”", line=row.line,
                                  name=row.cells[field]))
            ids.append(names.get(row.cells[field]))
        minutes = row.cells["minutes"]
        if not digits(minutes) or not 1 <= int(minutes) <= MAX_MINUTES:
            problems.append(_("第%(line)s行：分钟数应为 1 到 %(n)s 的整数", line=row.line,
                              n=MAX_MINUTES))
        elif None not in ids:
            if ids[0] == ids[1]:
                problems.append(_("第%(line)s行：两个乡镇相同", line=row.line))
            pairs.append((ids[0], ids[1], int(minutes)))
    if problems:
        raise ImportRefused(problems)
    for a_id, b_id, minutes in pairs:
        set_minutes(a_id, b_id, minutes, by_id=by_id, now=now)
    return len(pairs)
