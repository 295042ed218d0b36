"""iCalendar feeds built by pure functions: plain events in, ``icalendar.Calendar`` out.

What every client needs (Apple, Outlook, Thunderbird, phone calendars):

- a stable UID from the row; DTSTAMP and LAST-MODIFIED from the row's last change, never
  "now", so two renders of unchanged data are byte-identical; SEQUENCE that rises with
  every change of time, place or status;
- one VTIMEZONE for Asia/Shanghai (a single +08:00 block from 2020 on, without the
  COMMENT line libical rejects) and every time with that TZID, never floating;
- NAME and X-WR-CALNAME, REFRESH-INTERVAL and X-PUBLISHED-TTL of an hour; no METHOD, no
  ORGANIZER or ATTENDEE;
- a stopped session (停诊) or a cancelled booking stays as STATUS:CANCELLED,
  TRANSP:TRANSPARENT with 【已停诊】/【已取消】 before its summary, so clients show it;
- lines folded at 75 octets on character boundaries with CRLF (icalendar does this).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from icalendar import Alarm, Calendar, Event, Timezone, TimezoneStandard, vDuration

PRODID = "-//Xiangqing//乡情专家行//ZH"
TZID = "Asia/Shanghai"
UID_DOMAIN = "xiangqing"
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedEvent:
    """One event of a feed, as plain values (built by app.calendar.feeds)."""

    uid: str
    summary: str
    start_dt: datetime
    end_dt: datetime
    last_modified: datetime
    sequence: int
    location: str = ""
    description: str = ""
    url: str = ""
    cancelled: bool = False
    cancelled_prefix: str = "【已停诊】"
    alarm_before: timedelta | None = None  # a reminder on the phone (a booking's own .ics)


@lru_cache(maxsize=4)
def shanghai_vtimezone(tzid: str = TZID) -> Timezone:
    """China has kept +08:00 without daylight saving since 1991: one STANDARD block."""
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(2020, 1, 1))  # noqa: DTZ001 - VTIMEZONE wants local time
    standard.add("tzoffsetfrom", timedelta(hours=8))
    standard.add("tzoffsetto", timedelta(hours=8))
    standard.add("tzname", "CST")
    timezone = Timezone()
    timezone.add("tzid", tzid)
    timezone.add_component(standard)
    return timezone


def event_component(event: FeedEvent, zone) -> Event:
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", event.last_modified)
    component.add("last-modified", event.last_modified)
    component.add("sequence", event.sequence)
    component.add("dtstart", event.start_dt.astimezone(zone))
    component.add("dtend", event.end_dt.astimezone(zone))
    summary = event.summary
    if event.cancelled:
        summary = f"{event.cancelled_prefix}{summary}"
        component.add("status", "CANCELLED")
        component.add("transp", "TRANSPARENT")
    else:
        component.add("status", "CONFIRMED")
        component.add("transp", "OPAQUE")
    component.add("summary", summary)
    if event.location:
        component.add("location", event.location)
    if event.description:
        component.add("description", event.description)
    if event.url:
        component.add("url", event.url)
    if event.alarm_before and not event.cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", -event.alarm_before)
        alarm.add("description", summary)
        component.add_component(alarm)
    return component


def feed_calendar(name: str, events: list[FeedEvent], *, zone) -> Calendar:
    """A subscribable calendar of ``events`` (times shown in ``zone``, Asia/Shanghai)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("name", name)
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    calendar.add("refresh-interval", vDuration(REFRESH), parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))
    calendar.add_component(shanghai_vtimezone())
    for event in events:
        calendar.add_component(event_component(event, zone))
    return calendar


def render(calendar: Calendar) -> bytes:
    return calendar.to_ical()
