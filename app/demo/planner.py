"""Planning the demo programme's sessions on local half-days, no expert ever in two."""

import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from app.core.time import local_to_utc
from app.demo import data
from app.scheduling.models import Audience, SessionKind

AM, PM = "am", "pm"
CLINIC_HOURS = {AM: (time(8, 0), time(11, 30)), PM: (time(14, 30), time(17, 0))}
CLINIC_SLOT_MINUTES, CLINIC_SLOT_CAPACITY = 30, 5
KIND_ORDER = {kind: i for i, kind in enumerate(SessionKind)}

# Fixed-date statutory holidays (元旦, 劳动节, 国庆节) get no sessions. The lunar ones and
# the adjusted working days (调休) need the holiday library, which the demo does without.
FIXED_HOLIDAYS = {(1, 1)} | {(5, d) for d in range(1, 6)} | {(10, d) for d in range(1, 8)}


@dataclass
class Planned:
    """A session planned in local time, before ids and statuses are given."""

    kind: SessionKind
    audience: Audience
    venue_id: int
    specialty_id: int | None
    day: date
    start: time
    end: time
    expert_ids: tuple[int, ...]
    title: str = ""
    description: str = ""
    seats: int | None = None  # one slot of this many seats; None: clinic slots or none
    start_dt: datetime = field(init=False)
    end_dt: datetime = field(init=False)

    def __post_init__(self) -> None:
        self.start_dt = local_to_utc(self.day, self.start)
        self.end_dt = local_to_utc(self.day, self.end)

    @property
    def half(self) -> str:
        return half_of(self.start)

    def sort_key(self) -> tuple:
        return (self.start_dt, self.venue_id, KIND_ORDER[self.kind], self.expert_ids)


def half_of(at: time) -> str:
    return AM if at.hour < 12 else PM


@dataclass
class ExpertInfo:
    id: int
    specialty: str
    specialty_id: int
    native_town: str


def slot_times(plan: Planned) -> Iterable[tuple[datetime, datetime, int]]:
    if plan.seats is not None:
        yield plan.start_dt, plan.end_dt, plan.seats
    elif plan.kind == SessionKind.CLINIC:
        start = plan.start_dt
        step = timedelta(minutes=CLINIC_SLOT_MINUTES)
        while start < plan.end_dt:
            yield start, start + step, CLINIC_SLOT_CAPACITY
            start += step


class Planner:
    """Places sessions on local half-days so that no expert is ever in two at once.

    Every session lies within one half-day (mornings end by 12:00, afternoons start at
    14:00), and an expert holds at most one session per half-day: that also leaves
    the travel time between townships. Lectures, forums and teaching visits also
    take their room for the half-day.
    """

    def __init__(self, rng: random.Random, first: date, last: date, scale: int, *,
                 experts: list[ExpertInfo], city_hospital_ids: list[int],
                 centre_ids: dict[str, int], hall_id: int):
        self.rng = rng
        self.first, self.last, self.scale = first, last, scale
        self.experts = experts
        self.people_hospital, self.tcm_hospital, self.mch_hospital = city_hospital_ids
        self.centre_ids = centre_ids
        self.hall_id = hall_id
        self.expert_busy: set[tuple[int, date, str]] = set()
        self.room_busy: set[tuple[int, date, str]] = set()
        self.sessions: list[Planned] = []
        self.used_topics: set[str] = set()

    def plan(self) -> list[Planned]:
        """The window's programme, in time order."""
        # The scarce kinds first (fixed rooms and days), clinics fill the rest.
        self.plan_forums()
        self.plan_lectures()
        self.plan_teaching()
        self.plan_ward_rounds_and_surgeries()
        self.plan_clinics()
        return sorted(self.sessions, key=Planned.sort_key)

    # -- calendar helpers --

    def days(self) -> list[date]:
        count = (self.last - self.first).days + 1
        return [d for d in (self.first + timedelta(days=i) for i in range(count))
                if (d.month, d.day) not in FIXED_HOLIDAYS]

    def weeks(self) -> list[list[date]]:
        """The window's days, grouped by ISO week (Monday first)."""
        weeks: dict[tuple[int, int], list[date]] = {}
        for d in self.days():
            weeks.setdefault(d.isocalendar()[:2], []).append(d)
        return list(weeks.values())

    def is_free(self, expert_id: int, day: date, half: str) -> bool:
        return (expert_id, day, half) not in self.expert_busy

    def add(self, plan: Planned, *, room: bool = False) -> None:
        for expert_id in plan.expert_ids:
            key = (expert_id, plan.day, plan.half)
            assert key not in self.expert_busy, key
            self.expert_busy.add(key)
        if room:
            self.room_busy.add((plan.venue_id, plan.day, plan.half))
        self.sessions.append(plan)

    def pick_expert(self, candidates: list[ExpertInfo], day: date, half: str,
                    exclude: Iterable[int] = ()) -> ExpertInfo | None:
        free = [e for e in candidates
                if e.id not in exclude and self.is_free(e.id, day, half)]
        return self.rng.choice(free) if free else None

    def pick_speaker(self, candidates: list[ExpertInfo], topics: dict[str, list[str]],
                     day: date, half: str) -> ExpertInfo | None:
        """A free expert, preferring those whose specialty still has a topic not given."""
        free = [e for e in candidates if self.is_free(e.id, day, half)]
        fresh = [e for e in free
                 if any(t not in self.used_topics for t in topics[e.specialty])]
        choices = fresh or free
        return self.rng.choice(choices) if choices else None

    def pick_topic(self, topics: list[str]) -> str:
        """A topic not given yet if there is one, else any."""
        fresh = [t for t in topics if t not in self.used_topics]
        topic = self.rng.choice(fresh or topics)
        self.used_topics.add(topic)
        return topic

    def hospital_for(self, specialty: str) -> int:
        """The city hospital a specialty's sessions go to (mostly the people's hospital)."""
        if specialty in data.MATERNAL_CHILD_SPECIALTIES:
            return self.rng.choice([self.mch_hospital, self.mch_hospital, self.people_hospital])
        if specialty in data.TCM_GROUP:
            return self.tcm_hospital
        return self.rng.choice([self.people_hospital] * 3 + [self.tcm_hospital])

    # -- the kinds --

    def plan_forums(self) -> None:
        """渌江讲坛 at 渌江书院: one a week, a weekend morning (more per week when scaled,
        then also weekend afternoons: the hall caps it at four a week)."""
        speakers = [e for e in self.experts if e.specialty in data.FORUM_TOPICS]
        for week in self.weeks():
            weekend = [d for d in week if d.weekday() >= 5]
            self.rng.shuffle(weekend)
            options = [(d, AM) for d in weekend] + [(d, PM) for d in weekend]
            placed = 0
            for day, half in options:
                if placed == self.scale:
                    break
                if (self.hall_id, day, half) in self.room_busy:
                    continue
                expert = self.pick_speaker(speakers, data.FORUM_TOPICS, day, half)
                if expert is None:
                    continue
                start, end = (time(9, 30), time(11, 30)) if half == AM else (time(14, 30),
                                                                              time(16, 30))
                topic = self.pick_topic(data.FORUM_TOPICS[expert.specialty])
                self.add(Planned(
                    SessionKind.FORUM, Audience.PUBLIC, self.hall_id, expert.specialty_id,
                    day, start, end, (expert.id,), title=f"渌江讲坛：{topic}",
                    description=data.FORUM_DESCRIPTION,
                    seats=self.rng.randrange(200, 301, 10),
                ), room=True)
                placed += 1

    def plan_lectures(self) -> None:
        """医技大讲堂: two a week at the city hospitals, weekday afternoons (scale × that,
        up to one per hospital and weekday)."""
        speakers = [e for e in self.experts if e.specialty in data.LECTURE_TOPICS]
        hospitals = [self.people_hospital, self.tcm_hospital, self.mch_hospital]
        for week in self.weeks():
            options = [d for d in week if d.weekday() < 5] * len(hospitals)
            self.rng.shuffle(options)
            placed = 0
            for day in options:
                if placed == 2 * self.scale:
                    break
                expert = self.pick_speaker(speakers, data.LECTURE_TOPICS, day, PM)
                if expert is None:
                    continue
                preferred = self.hospital_for(expert.specialty)
                rooms = [preferred] + [h for h in hospitals if h != preferred]
                venue_id = next((h for h in rooms if (h, day, PM) not in self.room_busy), None)
                if venue_id is None:
                    continue
                topic = self.pick_topic(data.LECTURE_TOPICS[expert.specialty])
                self.add(Planned(
                    SessionKind.LECTURE, Audience.PROFESSIONAL, venue_id, expert.specialty_id,
                    day, time(14, 30), time(16, 30), (expert.id,), title=f"医技大讲堂：{topic}",
                    description=data.LECTURE_DESCRIPTION, seats=self.rng.randrange(80, 151, 10),
                ), room=True)
                placed += 1

    def plan_teaching(self) -> None:
        """送教下乡: one teaching visit every other week at a township centre (scale × that),
        by one or two experts."""
        teachers = [e for e in self.experts if e.specialty in data.LECTURE_TOPICS]
        centres = list(self.centre_ids.values())
        for week in self.weeks()[::2]:
            weekdays = [d for d in week if d.weekday() < 5]
            if not weekdays:
                continue
            for _ in range(self.scale):
                for _attempt in range(10):
                    day, half = self.rng.choice(weekdays), self.rng.choice([AM, PM])
                    venue_id = self.rng.choice(centres)
                    if (venue_id, day, half) in self.room_busy:
                        continue
                    first = self.pick_speaker(teachers, data.LECTURE_TOPICS, day, half)
                    if first is None:
                        continue
                    experts = [first]
                    if self.rng.random() < 0.4:
                        second = self.pick_expert(self.experts, day, half, exclude=[first.id])
                        if second is not None:
                            experts.append(second)
                    start, end = (time(9, 0), time(11, 30)) if half == AM else (time(14, 30),
                                                                                time(16, 30))
                    topic = self.pick_topic(data.LECTURE_TOPICS[first.specialty])
                    self.add(Planned(
                        SessionKind.TEACHING, Audience.PROFESSIONAL, venue_id, first.specialty_id,
                        day, start, end, tuple(sorted(e.id for e in experts)),
                        title=f"送教下乡：{topic}", description=data.TEACHING_DESCRIPTION,
                        seats=self.rng.randint(20, 40),
                    ), room=True)
                    break

    def plan_ward_rounds_and_surgeries(self) -> None:
        """3–5 ward rounds and 3–5 surgeries a week at the city hospitals (scale × that)."""
        surgeons = [e for e in self.experts if e.specialty in data.SURGERIES]
        for week in self.weeks():
            weekdays = [d for d in week if d.weekday() < 5]
            if not weekdays:
                continue
            for _ in range(self.rng.randint(3, 5) * self.scale):
                self._place(weekdays, self.experts, self._ward_round)
            for _ in range(self.rng.randint(3, 5) * self.scale):
                self._place(weekdays, surgeons, self._surgery)

    def _place(self, weekdays: list[date], candidates: list[ExpertInfo],
               make: Callable[[ExpertInfo, date, str], Planned]) -> None:
        for _attempt in range(10):
            day, half = self.rng.choice(weekdays), self.rng.choice([AM, PM])
            expert = self.pick_expert(candidates, day, half)
            if expert is not None:
                self.add(make(expert, day, half))
                return

    def _ward_round(self, expert: ExpertInfo, day: date, half: str) -> Planned:
        start, end = (time(8, 0), time(10, 0)) if half == AM else (time(15, 0), time(17, 0))
        return Planned(
            SessionKind.WARD_ROUND, Audience.PROFESSIONAL, self.hospital_for(expert.specialty),
            expert.specialty_id, day, start, end, (expert.id,),
            title=f"{expert.specialty}教学查房",
        )

    def _surgery(self, expert: ExpertInfo, day: date, half: str) -> Planned:
        start, end = (time(8, 30), time(12, 0)) if half == AM else (time(14, 0), time(17, 30))
        return Planned(
            SessionKind.SURGERY, Audience.PROFESSIONAL, self.hospital_for(expert.specialty),
            expert.specialty_id, day, start, end, (expert.id,),
            title=self.rng.choice(data.SURGERIES[expert.specialty]),
        )

    def plan_clinics(self) -> None:
        """Each expert holds a clinic about every 15–24 days (scale × as often).

        A clinic that lands on a taken half-day moves to the other half, then on to
        the next days (up to a week). With a large scale experts run out of free
        half-days (about 100 weekday halves each in the window), so from about
        ``--scale 25`` on the count grows less than the scale (scale 40: ~26× scale 1).
        """
        span = (self.last - self.first).days + 1
        for expert in self.experts:
            interval = self.rng.uniform(15, 24) / self.scale
            position = self.rng.uniform(0, interval)
            while position < span:
                self._place_clinic(expert, self.first + timedelta(days=int(position)))
                position += interval

    def _place_clinic(self, expert: ExpertInfo, day: date) -> None:
        draw = self.rng.random()
        if draw < 0.45:
            venue_id, at_city = self.hospital_for(expert.specialty), True
        elif draw < 0.8:
            venue_id, at_city = self.centre_ids[expert.native_town], False
        else:
            venue_id, at_city = self.rng.choice(list(self.centre_ids.values())), False
        preferred = PM if self.rng.random() < (0.3 if at_city else 0.15) else AM
        saturday_ok = not at_city and self.rng.random() < 0.4
        if day.weekday() == 6 or (day.weekday() == 5 and not saturday_ok):
            # A weekend day moves to a weekday of the same week (or, before the window,
            # of the next week), so that no weekday gets the weekends' share.
            day += timedelta(days=self.rng.randrange(5) - day.weekday())
            if day < self.first:
                day += timedelta(days=7)
        for shift in range(7):
            candidate = day + timedelta(days=shift)
            if candidate > self.last:
                return
            weekday = candidate.weekday()
            if (weekday == 6 or (weekday == 5 and not saturday_ok)
                    or (candidate.month, candidate.day) in FIXED_HOLIDAYS):
                continue
            for half in (preferred, PM if preferred == AM else AM):
                if self.is_free(expert.id, candidate, half):
                    start, end = CLINIC_HOURS[half]
                    self.add(Planned(
                        SessionKind.CLINIC, Audience.PUBLIC, venue_id, expert.specialty_id,
                        candidate, start, end, (expert.id,),
                    ))
                    return
