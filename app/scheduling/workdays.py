"""China's statutory days off and adjusted working days (调休), and the dates a recurring
rule yields once they are taken into account. Pure functions over the `holidays`
library's data; no database.

The rule (SPEC §4), as a series applies it by default:

1. **Days off are skipped.** A day off is a statutory holiday the library lists
   (including its substituted days off, e.g. 2026-02-20 "Day off (substituted from
   02/14/2026)") and every ordinary weekend day joined to one by a run of days off —
   which is how the State Council's notices count a break: "2月15日至23日放假调休，
   共9天" makes Sunday 2026-02-15 and the weekend of 02-21/22 part of the Spring
   Festival break, though the library lists only 02-16…20 and 02-23.
2. **An adjusted working day follows the schedule of the day off it was swapped with.**
   The library names each swap: 2026-01-02 is a day off "substituted from 01/04/2026",
   so Sunday 2026-01-04 is worked as Friday 2026-01-02 would have been. A series meets
   on such a working weekend day exactly when its rule yields that day off (both inside
   the series' first and last day) — a Friday series meets on 2026-01-04, a Monday
   series on Saturday 2026-02-28 (for Monday 02-23) — and not because of the working
   day's own weekday: a Saturday series does not meet on the working Saturday
   2026-02-14, which is worked as Friday 02-20.
3. **A coordinator's per-date override wins:** "skip" drops a date, "hold" keeps one
   (a holiday, a working weekend day, or any date between the first and last day).

With holiday handling switched off, the dates are exactly the rule's. Years the
library does not know yet have no days off beyond weekends; overrides cover them.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

import holidays
from dateutil.rrule import rrulestr

SKIP, HOLD = "skip", "hold"
# Why a date the rule yields is not held.
HOLIDAY, WORKDAY, OVERRIDDEN = "holiday", "workday", "skip"
_SUBSTITUTED = re.compile(r"substituted from (\d{2})/(\d{2})/(\d{4})")
_DAY = timedelta(days=1)


@dataclass(frozen=True)
class WorkCalendar:
    days_off: frozenset[date]
    # An adjusted working day (调休上班) → the day off whose schedule it follows.
    stands_in_for: dict[date, date]


@lru_cache(maxsize=32)
def china_calendar(first_year: int, last_year: int) -> WorkCalendar:
    """Days off and adjusted working days in ``first_year`` … ``last_year`` (and the
    neighbouring years, so a break across New Year is whole)."""
    listed = holidays.China(years=range(first_year - 1, last_year + 2), language="en_US")
    names = dict(listed)  # a plain copy: looking up a date outside the years adds them
    stands_in_for = {}
    for day_off, name in names.items():
        if found := _SUBSTITUTED.search(name):
            month, day, year = map(int, found.groups())
            stands_in_for[date(year, month, day)] = day_off
    days_off = set(names)
    for holiday in names:
        for step in (_DAY, -_DAY):
            day = holiday + step
            while day in names or (day.weekday() >= 5 and day not in stands_in_for):
                days_off.add(day)
                day += step
    return WorkCalendar(frozenset(days_off), stands_in_for)


def rule_dates(rule: str, first_day: date, last_day: date) -> list[date]:
    """The dates an RRULE (without its ``RRULE:`` prefix) yields from ``first_day``
    through ``last_day``. Raises ValueError for a rule dateutil cannot read."""
    start = datetime.combine(first_day, datetime.min.time())
    end = datetime.combine(last_day, datetime.max.time())
    return [dt.date() for dt in rrulestr(rule, dtstart=start).between(start, end, inc=True)]


def series_dates(rule: str, first_day: date, last_day: date, *, skip_holidays: bool = True,
                 overrides: dict[date, str] | None = None) -> tuple[list[date], dict[date, str]]:
    """The dates a series meets on, and the dates the rule yields that it does not meet
    on with the reason (``holiday``, ``workday``, ``skip``) — see the module docstring."""
    pattern = set(rule_dates(rule, first_day, last_day))
    held, skipped = set(pattern), {}
    if skip_holidays:
        calendar = china_calendar(first_day.year, last_day.year)
        for day in pattern:
            if day in calendar.days_off:
                skipped[day] = HOLIDAY
            elif day in calendar.stands_in_for:
                skipped[day] = WORKDAY
        held -= set(skipped)
        for working, day_off in calendar.stands_in_for.items():
            if first_day <= working <= last_day and day_off in pattern:
                held.add(working)
                skipped.pop(working, None)
    for day, what in (overrides or {}).items():
        if what == SKIP:
            held.discard(day)
            skipped[day] = OVERRIDDEN
        elif what == HOLD:
            held.add(day)
            skipped.pop(day, None)
    return sorted(held), dict(sorted(skipped.items()))
