"""Reading an uploaded .ics file into concrete occurrences, or a list of problems.

Pure: bytes and "now" in, :class:`Occurrence` values out; no database. The rules come
from the corpus contract (``shared/data/ics-corpus/README.md``): icalendar alone is not a
validator, so this module checks what it lets through —

- strict UTF-8 after unfolding at the byte level (a fold may split a character), a BOM
  allowed; GB18030 and broken bytes are refused, never replaced by U+FFFD;
- every property we use must have parsed (icalendar ≥ 6 records bad values in
  ``component.errors`` instead of raising);
- a ``TZID`` that resolves to nothing is refused, never turned into a floating or
  server-local time; a floating time (no ``TZID``, no ``Z``) is the programme's local
  wall clock, which is what a schedule written for one venue means by it;
- DTEND before DTSTART, a negative DURATION, DTEND with DURATION, duplicate UIDs that
  SEQUENCE cannot settle, and recurrences finer than daily are refused.

Recurrences are expanded with python-dateutil: RRULE, RDATE (dates and periods), EXDATE
and RECURRENCE-ID overrides; an open-ended rule runs to ``horizon`` ahead of now.
Expansion is bounded across the whole file, lazily, so that a small file cannot make
the server build what it would refuse anyway: the caller's :class:`Cap` on the
occurrences it would import (the file stops at the first one past it, before that is
built), and ``MAX_OCCURRENCES`` on all of them, past ones included.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from dateutil.rrule import rruleset, rrulestr
from flask_babel import gettext as _
from icalendar import Calendar, vRecur

from app.core.time import local_day_bounds, local_zone

BOM = b"\xef\xbb\xbf"
FOLD = re.compile(rb"\r?\n[ \t]")
CANCELLED_PREFIX = "【已停诊】"
USED = {"UID", "DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID",
        "SUMMARY", "DESCRIPTION", "STATUS", "SEQUENCE", "TRANSP"}
SINGLE = USED - {"RRULE", "RDATE", "EXDATE"}  # may appear once in an event
MAX_TITLE = 120
MAX_DESCRIPTION = 5000
MAX_HOURS = 24
MAX_EXPANSION = 20_000  # occurrences one rule may step through (past ones included)
# Occurrences a whole file may describe, past ones included (each is built: ~1.5 s).
MAX_OCCURRENCES = 100_000
MIN_YEAR = 1900
FINE_FREQS = {"SECONDLY", "MINUTELY", "HOURLY"}


class Problem(NamedTuple):
    """Why (part of) a file was refused: where, which event, and the reason in words."""

    line: int | None
    event: str
    reason: str


class IcsRefused(Exception):
    def __init__(self, problem: Problem):
        super().__init__(problem.reason)
        self.problem = problem


class _Stop(Exception):
    """The whole file's expansion ends here: ``problem``, or over the caller's cap."""

    def __init__(self, problem: Problem | None = None):
        super().__init__(problem.reason if problem else "over the cap")
        self.problem = problem


@dataclass(frozen=True)
class Cap:
    """At most ``limit`` occurrences of a file that count: those not over by ``now``,
    all-day ones only when ``all_day`` is true, cancelled and free (TRANSP:TRANSPARENT)
    ones only when ``not_busy`` is true — what the importer would write."""

    limit: int
    all_day: bool = True
    not_busy: bool = True

    def counts(self, event: "_Event", end_dt: datetime, now: datetime) -> bool:
        return (end_dt > now and (self.all_day or not event.all_day)
                and (self.not_busy or not (event.cancelled or event.transparent)))


@dataclass
class Occurrence:
    """One concrete event instance, in aware UTC."""

    uid: str
    line: int | None
    summary: str
    description: str
    start_dt: datetime
    end_dt: datetime
    all_day: bool = False
    cancelled: bool = False
    transparent: bool = False
    props: dict = field(default_factory=dict)  # X-XQ-* values

    @property
    def label(self) -> str:
        return self.summary or self.uid


@dataclass
class Reading:
    occurrences: list[Occurrence] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    undated: int = 0  # events without DTSTART: nothing to schedule
    over_cap: bool = False  # more than the cap's limit: reading stopped there


class _Budget:
    """The whole file's occurrences as they are expanded: all of them against
    ``MAX_OCCURRENCES``, those that count against the cap; each is admitted before it
    is built, and the first one past a bound stops the file."""

    def __init__(self, cap: Cap | None, now: datetime):
        self.cap, self.now = cap, now
        self.described = self.counted = 0

    def admit(self, event: "_Event", span: tuple[datetime, datetime]) -> None:
        self.described += 1
        if self.described > MAX_OCCURRENCES:
            raise _Stop(Problem(None, "", _(
                "文件中的日程重复展开后超过 %(n)s 次，请缩短重复范围或分批导入",
                n=MAX_OCCURRENCES)))
        if self.cap is not None and self.cap.counts(event, span[1], self.now):
            self.counted += 1
            if self.counted > self.cap.limit:
                raise _Stop()


# --- bytes to text -------------------------------------------------------------------


def decode(raw: bytes) -> str:
    """The text of an .ics file, unfolded; refuses anything but well-formed UTF-8."""
    if raw.startswith(BOM):
        raw = raw[len(BOM):]
    if not raw.strip():
        raise IcsRefused(Problem(None, "", _("文件是空的")))
    # Unfold the bytes before decoding: a fold may split a multi-byte character.
    pieces, folds, last, removed = [], [], 0, 0
    for match in FOLD.finditer(raw):
        pieces.append(raw[last:match.start()])
        at = match.start() - removed  # where the fold was, in the unfolded bytes
        removed += match.end() - match.start()
        folds.append((at, removed))
        last = match.end()
    pieces.append(raw[last:])
    unfolded = b"".join(pieces)
    try:
        text = unfolded.decode("utf-8")
    except UnicodeDecodeError as exc:
        offset = exc.start + max((r for at, r in folds if at <= exc.start), default=0)
        line = raw.count(b"\n", 0, offset) + 1
        if exc.end == len(unfolded):
            raise IcsRefused(Problem(line, "", _("文件不完整：在一个字符中间被截断"))) from None
        raise IcsRefused(Problem(line, "", _gb_hint(raw))) from None
    first = text.lstrip().split("\n", 1)[0].strip().upper()
    if first != "BEGIN:VCALENDAR":
        raise IcsRefused(Problem(1, "", _("这不是 iCalendar 日历文件（应以 BEGIN:VCALENDAR 开头），"
                                          "可能是导出链接已过期返回的网页")))
    return text


def _gb_hint(raw: bytes) -> str:
    try:
        raw.decode("gb18030")
    except UnicodeDecodeError:
        return _("文件含有无效的 UTF-8 字节，请用 UTF-8 编码重新导出")
    return _("文件不是 UTF-8 编码（看起来是 GBK/GB18030），请另存为 UTF-8 后再导入")


def event_lines(raw: bytes) -> list[int]:
    """Physical line numbers of each top-level BEGIN:VEVENT, in file order."""
    lines = raw.split(b"\n")
    return [i + 1 for i, line in enumerate(lines) if line.strip().upper() == b"BEGIN:VEVENT"]


# --- text to occurrences -------------------------------------------------------------


def read(raw: bytes, *, now: datetime, horizon: timedelta, cap: Cap | None = None) -> Reading:
    """Every occurrence the file describes, or the problems that refuse it; past
    ``cap``, ``over_cap`` and no occurrences. Never raises for bad input."""
    reading = Reading()
    try:
        text = decode(raw)
        calendar = Calendar.from_ical(text)
    except IcsRefused as refused:
        reading.problems.append(refused.problem)
        return reading
    except Exception as exc:  # icalendar raises ValueError, AttributeError, KeyError …
        detail = str(exc).replace("\n", " ")[:160]
        reading.problems.append(Problem(None, "", _(
            "日历文件格式错误或不完整，无法读取（%(detail)s）", detail=detail)))
        return reading
    events = [c for c in calendar.subcomponents if c.name == "VEVENT"]
    if not events:
        reading.problems.append(Problem(None, "", _("文件中没有任何日程（VEVENT）")))
        return reading
    lines = event_lines(raw)
    parsed = []
    for index, event in enumerate(events):
        line = lines[index] if index < len(lines) else None
        try:
            item = _Event.read(event, line)
        except IcsRefused as refused:
            reading.problems.append(refused.problem)
            continue
        except Exception as exc:  # noqa: BLE001 — a bad file must never escape as a crash
            reading.problems.append(Problem(line, _label(event), _(
                "无法读取这个日程（%(detail)s）", detail=str(exc)[:120])))
            continue
        if item is None:
            reading.undated += 1
        else:
            parsed.append(item)
    masters, overrides = _settle_duplicates(parsed, reading.problems)
    if reading.problems:
        return reading
    try:
        _expand_all(masters, overrides, reading, _Budget(cap, now), now=now, horizon=horizon)
    except _Stop as stop:
        reading.occurrences = []
        if stop.problem is None:
            reading.over_cap = True
        else:
            reading.problems.append(stop.problem)
    reading.occurrences.sort(key=lambda o: (o.start_dt, o.uid))
    return reading


def _expand_all(masters: dict, overrides: dict, reading: Reading, budget: _Budget, *,
                now: datetime, horizon: timedelta) -> None:
    for master in masters.values():
        try:
            reading.occurrences += _expand(master, overrides.pop(master.uid, {}), budget,
                                           now=now, horizon=horizon)
        except IcsRefused as refused:
            reading.problems.append(refused.problem)
    for orphans in overrides.values():  # overrides of a series not in the file
        reading.occurrences += [_admitted(o, None, budget) for o in orphans.values()]


def _label(event) -> str:
    try:
        return str(event.get("UID") or event.get("SUMMARY") or "")
    except Exception:  # noqa: BLE001
        return ""


@dataclass
class _Event:
    uid: str
    line: int | None
    summary: str
    description: str
    start: datetime | date
    duration: timedelta
    all_day: bool
    cancelled: bool
    transparent: bool
    sequence: int
    recurrence_id: datetime | date | None
    event: object
    props: dict

    @classmethod
    def read(cls, event, line: int | None) -> "_Event | None":
        uid = str(event.get("UID") or "").strip()
        label = uid or str(event.get("SUMMARY") or "")

        def refuse(reason: str):
            raise IcsRefused(Problem(line, label, reason))

        bad = [name for name, _msg in event.errors if name.upper() in USED]
        if bad:
            refuse(_("属性 %(names)s 的值无效", names="、".join(dict.fromkeys(bad))))
        repeated = [name for name in sorted(SINGLE) if isinstance(event.get(name), list)]
        if repeated:
            refuse(_("属性 %(names)s 出现了多次", names="、".join(repeated)))
        if not uid:
            refuse(_("缺少 UID"))
        if event.get("DTSTART") is None:
            return None
        start, all_day = _when(event["DTSTART"], refuse)
        if start.year < MIN_YEAR:
            refuse(_("日期不合理：%(year)s 年", year=start.year))
        duration = _duration(event, start, all_day, refuse)
        summary = str(event.get("SUMMARY") or "").strip()
        description = str(event.get("DESCRIPTION") or "").strip()
        if len(summary) > MAX_TITLE:
            refuse(_("标题超过 %(n)s 个字", n=MAX_TITLE))
        if len(description) > MAX_DESCRIPTION:
            refuse(_("说明过长（%(len)s 字，最多 %(n)s 字）", len=len(description),
                     n=MAX_DESCRIPTION))
        cancelled = str(event.get("STATUS") or "").upper() == "CANCELLED"
        if summary.startswith(CANCELLED_PREFIX):
            cancelled, summary = True, summary[len(CANCELLED_PREFIX):].strip()
        rid = None
        if event.get("RECURRENCE-ID") is not None:
            rid, _rid_all_day = _when(event["RECURRENCE-ID"], refuse)
        try:
            sequence = int(event.get("SEQUENCE") or 0)
        except (TypeError, ValueError):
            refuse(_("SEQUENCE 不是整数"))
        props = {key: str(value).strip() for key, value in event.items()
                 if key.upper().startswith("X-XQ-")}
        return cls(uid, line, summary, description, start, duration, all_day, cancelled,
                   str(event.get("TRANSP") or "").upper() == "TRANSPARENT", sequence, rid,
                   event, {k.upper(): v for k, v in props.items()})

    def span(self, start=None) -> tuple[datetime, datetime]:
        """The occurrence at ``start`` (a value of the series; default: DTSTART) in UTC."""
        return _span(self.start if start is None else start, self.duration, self.all_day)

    def occurrence(self, span: tuple[datetime, datetime], *,
                   base: "_Event | None" = None) -> Occurrence:
        start_dt, end_dt = span
        return Occurrence(
            uid=self.uid, line=self.line, summary=self.summary or (base.summary if base else ""),
            description=self.description or (base.description if base else ""),
            start_dt=start_dt, end_dt=end_dt, all_day=self.all_day, cancelled=self.cancelled,
            transparent=self.transparent, props={**(base.props if base else {}), **self.props})


def _when(prop, refuse) -> tuple[datetime | date, bool]:
    """A DTSTART-like value as an aware datetime, or a date for all-day values."""
    value = prop.dt
    kind = str(prop.params.get("VALUE", "")).upper()
    if isinstance(value, datetime):
        if kind == "DATE":
            if value.time() != time(0, 0):
                refuse(_("VALUE=DATE 的日期值中带有时间"))
            return value.date(), True
        if value.tzinfo is None:
            tzid = prop.params.get("TZID")
            if tzid is not None:
                refuse(_("无法识别的时区 %(tzid)s（文件中没有它的 VTIMEZONE 定义）", tzid=tzid))
            value = value.replace(tzinfo=local_zone())  # floating: the venue's wall clock
        return value, False
    if isinstance(value, date):
        return value, True
    refuse(_("时间格式无效"))
    raise AssertionError  # refuse raised


def _duration(event, start, all_day: bool, refuse) -> timedelta:
    has_end, has_duration = event.get("DTEND") is not None, event.get("DURATION") is not None
    if has_end and has_duration:
        refuse(_("不能同时有 DTEND 和 DURATION"))
    if has_duration:
        duration = event["DURATION"].dt
        if not isinstance(duration, timedelta) or duration <= timedelta(0):
            refuse(_("时长 DURATION 必须大于零"))
    elif has_end:
        end, end_all_day = _when(event["DTEND"], refuse)
        if end_all_day != all_day:
            refuse(_("开始和结束时间的类型不一致（一个是日期，一个是时间）"))
        duration = (end - start) if all_day else (end.astimezone(UTC) - start.astimezone(UTC))
        if duration < timedelta(0):
            refuse(_("结束时间早于开始时间"))
        if duration == timedelta(0):
            refuse(_("结束时间与开始时间相同"))
    elif all_day:
        duration = timedelta(days=1)
    else:
        refuse(_("缺少结束时间（DTEND 或 DURATION）"))
    if not all_day and duration > timedelta(hours=MAX_HOURS):
        refuse(_("一场不能超过 %(n)s 小时", n=MAX_HOURS))
    return duration


def _span(start, duration: timedelta, all_day: bool) -> tuple[datetime, datetime]:
    if all_day:
        days = max(duration.days, 1)
        return local_day_bounds(start, start + timedelta(days=days - 1))
    start_dt = start.astimezone(UTC)
    return start_dt, start_dt + duration


def _settle_duplicates(items: list[_Event], problems: list[Problem]):
    """Masters by UID and overrides by UID and RECURRENCE-ID; of two with the same key
    the higher SEQUENCE wins, and the same SEQUENCE is refused (nothing says which)."""
    masters: dict[str, _Event] = {}
    overrides: dict[str, dict] = {}
    for item in items:
        bucket = masters if item.recurrence_id is None else overrides.setdefault(item.uid, {})
        key = item.uid if item.recurrence_id is None else _key(item.recurrence_id)
        other = bucket.get(key)
        if other is not None and other.sequence == item.sequence:
            problems.append(Problem(item.line, item.uid, _(
                "UID 重复（第 %(other)s 行起的日程也用了它），且 SEQUENCE 相同，无法判断哪个有效",
                other=other.line or "?")))
        if other is None or item.sequence > other.sequence:
            bucket[key] = item
    return masters, overrides


def _key(value) -> datetime | date:
    return value.astimezone(UTC) if isinstance(value, datetime) else value


def _expand(master: _Event, overrides: dict, budget: _Budget, *, now: datetime,
            horizon: timedelta) -> list[Occurrence]:
    """The master's occurrences with its RECURRENCE-ID overrides in place."""
    if master.event.get("RRULE") is None and master.event.get("RDATE") is None:
        starts = iter([(master, master.start)])
    else:
        starts = _recurrences(master, master.event.get("RRULE"), now=now, horizon=horizon)
    result = []
    for event, start in starts:
        override = overrides.pop(_key(start), None)
        if override is None and isinstance(start, datetime):
            override = overrides.pop(start.date(), None)  # a DATE RECURRENCE-ID
        result.append(_admitted(override, None, budget, master) if override
                      else _admitted(event, start, budget))
    # Overrides of excluded or not expanded dates still happen where they say.
    return result + [_admitted(o, None, budget, master) for o in overrides.values()]


def _admitted(event: _Event, start, budget: _Budget, base: _Event | None = None) -> Occurrence:
    """The occurrence of ``event`` at ``start``, once the budget has let it in."""
    span = event.span(start)
    budget.admit(event, span)
    return event.occurrence(span, base=base)


def _recurrences(master: _Event, rules, *, now: datetime,
                 horizon: timedelta) -> Iterator[tuple[_Event, datetime | date]]:
    """(event, start) of a recurring master, lazily: the master, or for an RDATE
    period the master with the period's length."""

    def refuse(reason: str):
        raise IcsRefused(Problem(master.line, master.uid, reason))

    event = master.event
    all_day = master.all_day
    # dateutil wants naive datetimes for all-day rules and aware ones otherwise.
    dtstart = datetime.combine(master.start, time()) if all_day else master.start
    rules = rules if isinstance(rules, list) else ([rules] if rules is not None else [])
    if len(rules) > 1:
        refuse(_("一个日程只能有一条重复规则（RRULE）"))
    rset, open_ended = rruleset(), False
    rset.rdate(dtstart)
    for rule in rules:
        if str((rule.get("FREQ") or [""])[0]).upper() in FINE_FREQS:
            refuse(_("不支持按小时、分钟或秒重复的规则"))
        open_ended = not rule.get("COUNT") and not rule.get("UNTIL")
        try:
            rset.rrule(rrulestr(_rule_text(rule, dtstart, all_day), dtstart=dtstart))
        except (ValueError, TypeError) as exc:
            refuse(_("重复规则无效（%(detail)s）", detail=str(exc)[:100]))
    periods = {}
    for when in _values(event.get("RDATE")):
        if isinstance(when, tuple):  # PERIOD: its own end or duration
            begin, end = when
            length = (end - begin) if isinstance(end, datetime | date) else end
            begin = _as_series_value(begin, all_day, refuse)
            periods[_key(begin)] = length
            rset.rdate(begin)
        else:
            rset.rdate(_as_series_value(when, all_day, refuse))
    for when in _values(event.get("EXDATE")):
        if isinstance(when, tuple):
            when = when[0]
        rset.exdate(_as_series_value(when, all_day, refuse))
    return _steps(master, rset, periods, open_ended, refuse, stop=now + horizon)


def _steps(master: _Event, rset: rruleset, periods: dict, open_ended: bool, refuse, *,
           stop: datetime) -> Iterator[tuple[_Event, datetime | date]]:
    all_day = master.all_day
    for count, start in enumerate(rset):
        if count >= MAX_EXPANSION:
            refuse(_("重复次数过多（超过 %(n)s 次），请缩短重复范围", n=MAX_EXPANSION))
        value = start.date() if all_day else start
        if open_ended and _span(value, master.duration, all_day)[0] >= stop:
            break
        length = periods.get(_key(start))
        yield (replace(master, duration=length) if length else master), value


def _values(prop) -> list:
    if prop is None:
        return []
    return [d.dt for item in (prop if isinstance(prop, list) else [prop]) for d in item.dts]


def _as_series_value(value, all_day: bool, refuse):
    """An RDATE/EXDATE value in the master's terms (naive for all-day, aware otherwise)."""
    if all_day:
        day = value.date() if isinstance(value, datetime) else value
        return datetime.combine(day, time())
    if not isinstance(value, datetime):
        refuse(_("RDATE/EXDATE 是日期，而日程有具体时间"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=local_zone())
    return value


def _rule_text(rule: vRecur, dtstart: datetime, all_day: bool) -> str:
    """The RRULE with its UNTIL in the form dateutil needs next to ``dtstart``."""
    rule = vRecur(rule)
    if rule.get("UNTIL"):
        until = rule["UNTIL"][0]
        if not isinstance(until, datetime):
            until = datetime.combine(until, time(23, 59, 59))
        if all_day:
            until = until.astimezone(local_zone()).replace(tzinfo=None) \
                if until.tzinfo else until
        else:
            until = (until if until.tzinfo else until.replace(tzinfo=dtstart.tzinfo))
            until = until.astimezone(UTC)
        rule["UNTIL"] = [until]
    return "RRULE:" + rule.to_ical().decode()
