"""Reading an uploaded CSV schedule into occurrences, or a list of problems.

Pure: bytes and "now" in, :class:`app.calendar.icsread.Occurrence` values out; no
database. A header ``date,start,end`` and optionally ``expert``, ``kind``, ``title``,
``capacity``, ``description``; dates YYYY-MM-DD, times HH:MM local; UTF-8 with or
without BOM. Rows are read one at a time and reading stops at the first row past the
caller's limit of rows still ahead of ``now``, so a long file is refused without being
read to its end.
"""

import csv
import io
import re
from datetime import date, datetime, time

from flask_babel import gettext as _

from app.calendar.icsread import Occurrence, Problem, Reading
from app.core.time import FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY, local_to_utc
from app.scheduling.services import PlanError

CSV_REQUIRED = ("date", "start", "end")
CSV_COLUMNS = CSV_REQUIRED + ("expert", "kind", "title", "capacity", "description")


def read_csv(raw: bytes, *, now: datetime, limit: int) -> Reading:
    """The file's rows as occurrences, each bad row a problem naming its line; past
    ``limit`` rows that have not ended by ``now``, ``over_cap`` and no occurrences."""
    reading = Reading()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        reading.problems.append(Problem(line, "", _(
            "文件不是 UTF-8 编码，请另存为 UTF-8（CSV UTF-8）后再导入")))
        return reading
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in CSV_REQUIRED if c not in header]
    if missing:
        reading.problems.append(Problem(1, "", _(
            "表头缺少 %(cols)s 列；表头应为：%(header)s",
            cols="、".join(missing), header=",".join(CSV_COLUMNS))))
        return reading
    reader.fieldnames = header
    ahead = 0
    for row in reader:
        line = reader.line_num
        try:
            occurrence = _row(row, line)
        except PlanError as error:
            reading.problems.append(Problem(line, (row.get("title") or "").strip(),
                                            error.message))
            continue
        ahead += occurrence.end_dt > now
        if ahead > limit:
            reading.occurrences, reading.over_cap = [], True
            return reading
        reading.occurrences.append(occurrence)
    if not reading.occurrences and not reading.problems:
        reading.problems.append(Problem(None, "", _("文件中没有任何场次")))
    return reading


def _row(row: dict, line: int) -> Occurrence:
    def cell(name: str) -> str:
        return (row.get(name) or "").strip()

    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", cell("date")):
        raise PlanError(_("日期应为 YYYY-MM-DD，例如 2026-12-08"))
    try:
        day = date.fromisoformat(cell("date"))
        start, end = _hhmm(cell("start")), _hhmm(cell("end"))
    except ValueError:
        raise PlanError(_("日期或时间不存在（日期 YYYY-MM-DD，时间 HH:MM）")) from None
    if not FIRST_PLAUSIBLE_DAY <= day <= LAST_PLAUSIBLE_DAY:
        raise PlanError(_("请填写 2000 年到 2100 年之间的日期"))
    start_dt, end_dt = local_to_utc(day, start), local_to_utc(day, end)
    if end_dt <= start_dt:
        raise PlanError(_("结束时间必须晚于开始时间（同一天内）"))
    props = {"X-XQ-EXPERT": cell("expert"), "X-XQ-KIND": cell("kind"),
             "X-XQ-CAPACITY": cell("capacity")}
    return Occurrence(uid="", line=line, summary=cell("title")[:121],
                      description=cell("description"), start_dt=start_dt, end_dt=end_dt,
                      props={k: v for k, v in props.items() if v})


def _hhmm(value: str) -> time:
    if not re.fullmatch(r"\d{1,2}:\d{2}", value):
        raise ValueError(value)
    hours, minutes = (int(part) for part in value.split(":"))
    return time(hours, minutes)
