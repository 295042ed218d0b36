"""``flask demo seed``: a realistic Liling programme in one fast, deterministic pass.

Everything is built in Python first (explicit ids, so rows link up without round
trips), then written with bulk ``INSERT``s in one unit of work and committed once.
A fixed ``random.Random`` makes the output depend on ``today`` and ``scale`` only
(the ciphertext of ID numbers excepted: encryption is randomised by design).

Session statuses are judged against "now": the real clock if it falls on ``today``,
otherwise the start of ``today`` (so a seed for another date is fully repeatable).
"""

import random
import sys
import time as timer
from datetime import date, datetime, time, timedelta

import click
from sqlalchemy import insert, select, text

from app.auth.models import Role, User, UserRole
from app.auth.passwords import hash_password
from app.bookings.models import ACTIVE_STATUSES, Booking, BookingSource, BookingStatus
from app.bookings.services.engine import CODE_ALPHABET, CODE_LENGTH
from app.core import crypto
from app.core.db import begin_write
from app.core.time import local_to_utc, local_today, to_local, utcnow
from app.demo import data
from app.demo.planner import ExpertInfo, Planned, Planner, slot_times
from app.demo.showcase import SHOWCASE_PHONES, showcase
from app.directory.models import (
    Expert,
    ExpertAssistant,
    Institution,
    InstitutionKind,
    Specialty,
    Township,
    TownshipKind,
    TravelTime,
    Venue,
    VenueCoordinator,
    VenueKind,
)
from app.extensions import db
from app.patients import idnumbers
from app.patients.models import ID_PURPOSE, Patient, Person, Relation, Sex, person_key
from app.scheduling.models import (
    OUTCOME_KINDS,
    ProgrammeSettings,
    ProgrammeYear,
    Session,
    SessionExpert,
    SessionKind,
    SessionOutcome,
    SessionStatus,
    Slot,
    queue_ranges,
)

RANDOM_SEED = 20_261_129
DEMO_PASSWORD = "xiangqing-demo"
DAYS_BEFORE, DAYS_AFTER = 14, 56
# The year before the window, for the statistics: held sessions at the programme's own
# pace (about 1,400 clinics, 200 surgeries and a dozen lectures and forums a year at
# scale 1), thinned from a full plan of those days.
HISTORY_DAYS = 365
HISTORY_KEEP = {SessionKind.CLINIC: 0.33, SessionKind.LECTURE: 0.08, SessionKind.FORUM: 0.15}
RESIDENTS = 1000
LILING_AREA_CODE = "430281"
INSERT_CHUNK = 2000

ADMIN_PHONE = "13800000000"
COORDINATOR_PHONES = 13810000000  # + venue number
ASSISTANT_PHONES = 13820000000  # + expert number
EXPERT_PHONES = 13700000000  # + expert number
RESIDENT_PHONES = 13900000000  # + resident number


STOPPED_SHARE = 0.015  # of sessions from tomorrow on, and of the history's
DRAFT_SHARE = 0.04  # of sessions four weeks or more ahead
DRAFT_FROM_DAYS = 29

# Bookings follow BookingPolicy's defaults: online booking opens 7 days ahead at 08:00,
# closes 60 minutes before the slot, at most 3 active bookings per person.
RELEASE_DAYS, RELEASE_TIME, CUTOFF = 7, time(8, 0), timedelta(minutes=60)
MAX_ACTIVE = 3
PAST_FILL = (0.4, 0.8)  # share of places booked in completed sessions
NO_SHOW_SHARE = 0.15
MAX_NO_SHOWS = 2  # per resident within NO_SHOW_DAYS: a third would suspend them
NO_SHOW_DAYS = 90
FULL_CLINIC_SHARE = 0.25  # released clinics booked out (the waitlist shows)
CLINIC_FILL = (0.15, 0.7)  # the other released clinics
SEATS_FILL = (0.1, 0.5)  # released lectures, forums and teaching visits
RUSH_SHARE = 0.4  # bookings made in the first half hour after release
# Places a booking keeps in its slot's booked_count: cancelling and stopping free it,
# closing a session (completed, no-show) does not (app.bookings.services.desk).
HOLDS_PLACE = {*ACTIVE_STATUSES, BookingStatus.COMPLETED, BookingStatus.NO_SHOW}


def seed(*, scale: int = 1, today: date | None = None, states: bool = True,
         history: bool = True, echo=print) -> bool:
    """Fill an empty database with the demo programme; False if it already holds one.

    ``scale`` multiplies the number of sessions (for load tests): clinics, ward rounds,
    surgeries and teaching visits scale × as many until the experts' half-days run out
    (about scale 25); forums stop at four a week (scale 4) and lectures at one per city
    hospital and weekday (scale 8), the rooms they have. ``today`` pretends the local
    date is another one. ``history``: also the year before (HISTORY_DAYS), held
    sessions with their bookings and outcomes. ``states``: then make, through the
    services, the states a reviewer should see (app.demo.showcase). Everyone's
    password is ``xiangqing-demo``.
    """
    started = timer.perf_counter()
    begin_write(db.session)
    if db.session.scalar(select(Institution.id).limit(1)) is not None:
        db.session.rollback()
        echo("already seeded")
        return False

    real_now = utcnow()
    today = today or local_today(real_now)
    day_start = local_to_utc(today, time.min)
    day_end = local_to_utc(today + timedelta(days=1), time.min)
    now = real_now if day_start <= real_now < day_end else day_start

    builder = _Builder(random.Random(RANDOM_SEED), today=today, now=now, scale=scale,
                       history=history)
    tables = builder.build()
    _insert_all(tables, progress=echo is click.echo)
    _reset_id_sequences(tables)
    made = showcase(now=now) if states else {}
    db.session.commit()  # all or nothing: a failed seed can be run again

    counts = {model: len(rows) for model, rows in tables}
    echo(
        f"Seeded {counts[Institution]} institutions, {counts[Venue]} venues, "
        f"{counts[Expert]} experts, {counts[User]} users, {counts[Session]} sessions, "
        f"{counts[Slot]} slots, {counts[Booking]} bookings "
        f"in {timer.perf_counter() - started:.1f} s."
    )
    for what, where in made.items():
        echo(f"  {what}: {where}")
    return True


# --- Writing -------------------------------------------------------------------------

Tables = list[tuple[type, list[dict]]]


def _insert_all(tables: Tables, *, progress: bool) -> None:
    """Bulk-insert every table in order (parents first), in chunks for the progress bar."""
    chunks = [
        (model, rows[i : i + INSERT_CHUNK])
        for model, rows in tables
        for i in range(0, len(rows), INSERT_CHUNK)
    ]
    if not progress:
        for model, rows in chunks:
            db.session.execute(insert(model), rows)
        return
    with click.progressbar(
        chunks,
        label="Writing demo data",
        file=sys.stderr,
        item_show_func=lambda chunk: chunk[0].__tablename__ if chunk else None,
    ) as bar:
        for model, rows in bar:
            db.session.execute(insert(model), rows)


def _reset_id_sequences(tables: Tables) -> None:
    """After explicit ids, move PostgreSQL's id sequences past them (no-op elsewhere)."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model, rows in tables:
        if rows and "id" in rows[0]:
            db.session.execute(
                text("SELECT setval(pg_get_serial_sequence(:table, 'id'), :value)"),
                {"table": model.__tablename__, "value": max(row["id"] for row in rows)},
            )


# --- Building ------------------------------------------------------------------------


class _Builder:
    """Builds every row of the demo programme with one random generator, in a fixed order."""

    def __init__(self, rng: random.Random, *, today: date, now: datetime, scale: int,
                 history: bool):
        self.rng = rng
        self.today = today
        self.now = now
        self.scale = scale
        self.history = history
        self.history_first = today - timedelta(days=HISTORY_DAYS)
        self.first = today - timedelta(days=DAYS_BEFORE)
        self.last = today + timedelta(days=DAYS_AFTER)
        self.day_start = local_to_utc(today, time.min)
        # Everyone's account predates the first session seeded.
        self.accounts_from = local_to_utc(self.history_first if history else self.first,
                                          time.min)
        self.staff_created = self.accounts_from - timedelta(days=90)
        self.password_hash = hash_password(DEMO_PASSWORD)
        self.used_names: set[str] = set()
        self.users: list[dict] = []
        self.user_roles: list[dict] = []

    def build(self) -> Tables:
        townships = self._townships()
        travel = [{"from_township_id": min(ids), "to_township_id": max(ids), "minutes": minutes}
                  for a, b, minutes in data.travel_minutes()
                  for ids in [(self.township_ids[a], self.township_ids[b])]]
        institutions = self._institutions()
        specialties = [{"id": i, "name": name, "name_en": data.SPECIALTIES_EN[name]}
                       for i, name in enumerate(data.SPECIALTIES, 1)]
        self.specialty_ids = {row["name"]: row["id"] for row in specialties}
        venues = self._venues()
        self._add_user(ADMIN_PHONE, self._person_name(male=True), Role.ADMIN)
        coordinators = self._coordinators(venues)
        experts, assistants = self._experts(institutions)
        patients = self._residents()
        planned = self._plan_sessions()
        sessions, session_experts, slots = self._session_rows(planned)
        persons, bookings = self._bookings(sessions, slots, patients)
        return [
            (Township, townships),
            (TravelTime, travel),
            (Institution, institutions),
            (Specialty, specialties),
            (User, self.users),
            (UserRole, self.user_roles),
            (Venue, venues),
            (VenueCoordinator, coordinators),
            (Expert, experts),
            (ExpertAssistant, assistants),
            (Patient, patients),
            (Session, sessions),
            (SessionExpert, session_experts),
            (Slot, slots),
            (Person, persons),
            (Booking, bookings),
            (SessionOutcome, self._outcomes(sessions)),
            (ProgrammeYear, self._programme_years()),
            (ProgrammeSettings, [{"id": 1, "saving_per_visit": data.SAVING_PER_VISIT,
                                  "updated_dt": self.staff_created}]),
        ]

    def _outcomes(self, sessions: list[dict]) -> list[dict]:
        """What the desks recorded on the held surgeries, ward rounds and lectures."""
        counts = {SessionKind.SURGERY: (2, 8), SessionKind.WARD_ROUND: (8, 25)}
        return [{"session_id": s["id"], "count": self.rng.randint(*counts.get(s["kind"], (5, 40))),
                 "recorded_dt": s["end_dt"] + timedelta(hours=1),
                 "updated_dt": s["end_dt"] + timedelta(hours=1)}
                for s in sessions
                if s["status"] == SessionStatus.COMPLETED and s["kind"] in OUTCOME_KINDS]

    def _programme_years(self) -> list[dict]:
        """The years before this one, as the office entered them from its reports."""
        keys = ("year", "clinic_sessions", "clinic_visits", "surgeries", "lectures_forums",
                "attendance", "savings")
        return [{**dict(zip(keys, row, strict=True)), "updated_dt": self.staff_created}
                for row in data.PROGRAMME_YEARS if row[0] < self.today.year]

    # -- places and institutions --

    def _townships(self) -> list[dict]:
        rows = [{"name": name, "kind": TownshipKind.STREET} for name in data.STREETS]
        rows += [{"name": name, "kind": TownshipKind.TOWN} for name in data.TOWNS]
        for i, row in enumerate(rows, 1):
            row["id"] = i
        self.township_ids = {row["name"]: row["id"] for row in rows}
        return rows

    def _institutions(self) -> list[dict]:
        return [
            {"id": i, "name": name, "name_en": data.INSTITUTIONS_EN[name],
             "kind": InstitutionKind(kind), "city": city}
            for i, (name, kind, city, _count, _specialties) in enumerate(data.INSTITUTIONS, 1)
        ]

    def _venues(self) -> list[dict]:
        rows = [
            {"name": name, "kind": VenueKind.CITY_HOSPITAL, "township": township,
             "address": address, "phone": phone}
            for name, township, address, phone in data.CITY_HOSPITALS
        ]
        phones = {row["phone"] for row in rows} | {data.LECTURE_HALL[3]}
        for town in data.TOWNS:
            centre = "中心卫生院" if town in data.CENTRAL_HEALTH_CENTRES else "卫生院"
            phone = f"0731-23{self.rng.randrange(100000, 1000000)}"
            while phone in phones:
                phone = f"0731-23{self.rng.randrange(100000, 1000000)}"
            phones.add(phone)
            road = self.rng.choice(data.TOWN_ROADS)
            rows.append({
                "name": f"{town}{centre}", "kind": VenueKind.TOWNSHIP_CENTRE, "township": town,
                "address": f"醴陵市{town}{road}{self.rng.randint(1, 199)}号", "phone": phone,
            })
        name, township, address, phone = data.LECTURE_HALL
        rows.append({"name": name, "kind": VenueKind.LECTURE_HALL, "township": township,
                     "address": address, "phone": phone})
        for i, row in enumerate(rows, 1):
            row["id"] = i
            row["township_id"] = self.township_ids[row.pop("township")]
        self.city_hospital_ids = [r["id"] for r in rows if r["kind"] == VenueKind.CITY_HOSPITAL]
        self.centre_ids = {
            r["name"].removesuffix("中心卫生院").removesuffix("卫生院"): r["id"]
            for r in rows if r["kind"] == VenueKind.TOWNSHIP_CENTRE
        }
        self.hall_id = rows[-1]["id"]
        return rows

    # -- people --

    def _person_name(self, *, male: bool, older: bool | None = None, unique=False) -> str:
        if older is None:
            older = self.rng.random() < 0.5
        if male:
            given = data.MALE_GIVEN_OLDER if older else data.MALE_GIVEN_YOUNGER
        else:
            given = data.FEMALE_GIVEN_OLDER if older else data.FEMALE_GIVEN_YOUNGER
        while True:
            name = self.rng.choice(data.SURNAMES) + self.rng.choice(given)
            if not unique or name not in self.used_names:
                self.used_names.add(name)
                return name

    def _add_user(self, phone: str, name: str, role: Role, created: datetime | None = None
                  ) -> int:
        user_id = len(self.users) + 1
        self.users.append({
            "id": user_id, "phone": phone, "name": name, "password_hash": self.password_hash,
            "is_enabled": True, "created_dt": created or self.staff_created,
        })
        self.user_roles.append({"user_id": user_id, "role": role})
        return user_id

    def _coordinators(self, venues: list[dict]) -> list[dict]:
        rows = []
        for number, venue in enumerate(venues, 1):
            name = self._person_name(male=self.rng.random() < 0.4, older=False)
            user_id = self._add_user(str(COORDINATOR_PHONES + number), name, Role.COORDINATOR)
            rows.append({"venue_id": venue["id"], "user_id": user_id})
        return rows

    def _experts(self, institutions: list[dict]) -> tuple[list[dict], list[dict]]:
        all_specialties = list(data.SPECIALTIES)
        drafts = []
        for institution, (_, kind, _, count, specialties) in zip(
            institutions, data.INSTITUTIONS, strict=True
        ):
            for _ in range(count):
                drafts.append((institution, kind, self.rng.choice(specialties or all_specialties)))
        self.rng.shuffle(drafts)

        experts, self.expert_infos = [], []
        for number, (institution, kind, specialty) in enumerate(drafts, 1):
            departments, skills = data.SPECIALTIES[specialty]
            university = kind == InstitutionKind.UNIVERSITY
            title = self.rng.choice(data.UNIVERSITY_TITLES if university else data.HOSPITAL_TITLES)
            department = (
                specialty if university or self.rng.random() < 0.5
                else self.rng.choice(departments)
            )
            town = self.rng.choice(data.TOWNS)
            name = self._person_name(male=self.rng.random() < 0.7, unique=True)
            bio, skill = self._bio(town, institution["name"], department, title, skills,
                                   university=university)
            experts.append({
                "id": number, "name": name, "title": title,
                "title_en": data.TITLES_EN[title], "institution_id": institution["id"],
                "specialty_id": self.specialty_ids[specialty], "department": department,
                "native_township_id": self.township_ids[town], "bio": bio,
                "expertise": self._expertise(number, skill, skills), "is_enabled": True,
            })
            self.expert_infos.append(
                ExpertInfo(number, specialty, self.specialty_ids[specialty], town)
            )

        assistants = []
        for expert in experts:
            name = self._person_name(male=self.rng.random() < 0.3, older=False)
            phone = str(ASSISTANT_PHONES + expert["id"])
            user_id = self._add_user(phone, name, Role.ASSISTANT)
            assistants.append({"expert_id": expert["id"], "user_id": user_id})
        for expert in experts:
            phone = str(EXPERT_PHONES + expert["id"])
            expert["user_id"] = self._add_user(phone, expert["name"], Role.EXPERT)
        return experts, assistants

    def _bio(self, town: str, institution: str, department: str, title: str,
             skills: list[str], *, university: bool) -> tuple[str, str]:
        """The expert's short bio, and the skill it names."""
        title = title.replace("/", "、")
        skill = self.rng.choice(skills)
        if university:
            return (f"醴陵市{town}人，{institution}{title}，从事{department}临床与教学工作，"
                    f"擅长{skill}。"), skill
        if self.rng.random() < 0.6:
            return f"醴陵市{town}人，{institution}{department}{title}，擅长{skill}。", skill
        years = self.rng.randint(15, 35)
        extra = self.rng.choice(data.BIO_EXTRAS)
        return (f"醴陵市{town}人，{institution}{department}{title}，从医{years}年，{extra}。"
                f"擅长{skill}。"), skill

    @staticmethod
    def _expertise(number: int, skill: str, skills: list[str]) -> str:
        """擅长 for the doctor card: the bio's skill and up to two more of the specialty.
        A generator of its own, so that the rest of the demo data stays as it was."""
        others = [s for s in skills if s != skill]
        picked = random.Random(number).sample(others, min(2, len(others)))
        return "、".join([skill, *picked])

    def _residents(self) -> list[dict]:
        """1000 resident accounts, each with a patient row for the holder (relation self)."""
        first_birth, last_birth = date(1940, 1, 1), date(2005, 12, 31)
        span = (last_birth - first_birth).days + 1
        numbers: set[str] = set()
        patients = []
        for number in range(1, RESIDENTS + 1):
            male = self.rng.random() < 0.5
            born = first_birth + timedelta(days=self.rng.randrange(span))
            while True:
                sequence = self.rng.randrange(500) * 2 + (1 if male else 0)
                first17 = f"{LILING_AREA_CODE}{born:%Y%m%d}{sequence:03d}"
                id_number = idnumbers.parse(idnumbers.with_check_digit(first17))
                if id_number.number not in numbers:
                    numbers.add(id_number.number)
                    break
            name = self._person_name(male=male, older=born.year < 1975)
            phone = str(RESIDENT_PHONES + number)
            created = self.accounts_from - timedelta(days=self.rng.randint(1, 80),
                                                     minutes=self.rng.randrange(24 * 60))
            user_id = self._add_user(phone, name, Role.RESIDENT, created)
            # The columns Patient.set_id_number fills, computed alike for a bulk insert.
            patients.append({
                "id": number, "account_id": user_id, "name": name, "relation": Relation.SELF,
                "phone": phone, "id_number_hash": person_key(id_number.number),
                "id_number_encrypted": crypto.encrypt(id_number.number, purpose=ID_PURPOSE),
                "id_number_masked": id_number.masked, "birth_date": id_number.birth_date,
                "sex": Sex(id_number.sex), "is_enabled": True, "created_dt": created,
            })
        return patients

    # -- sessions --

    def _plan_sessions(self) -> list[Planned]:
        """The history (if asked for), then the window: two planners, since the
        history ends the day before the window opens."""
        history = []
        if self.history:
            before = self._planner(self.history_first, self.first - timedelta(days=1)).plan()
            history = [plan for plan in before
                       if self.rng.random() < HISTORY_KEEP.get(plan.kind, 1.0)]
        return history + self._planner(self.first, self.last).plan()

    def _planner(self, first: date, last: date) -> Planner:
        return Planner(self.rng, first, last, self.scale, experts=self.expert_infos,
                       city_hospital_ids=self.city_hospital_ids, centre_ids=self.centre_ids,
                       hall_id=self.hall_id)

    def _session_rows(self, planned: list[Planned]) -> tuple[list[dict], list[dict], list[dict]]:
        tomorrow_start = local_to_utc(self.today + timedelta(days=1), time.min)
        draft_from = local_to_utc(self.today + timedelta(days=DRAFT_FROM_DAYS), time.min)
        sessions, session_experts, slots = [], [], []
        window_start = local_to_utc(self.first, time.min)
        for session_id, plan in enumerate(planned, 1):
            status, stop_reason, stopped_dt = SessionStatus.PUBLISHED, "", None
            history = plan.start_dt < window_start
            draw = self.rng.random() if history or plan.start_dt >= tomorrow_start else 1.0
            if draw < STOPPED_SHARE:
                # Stopped a day or two ahead (the window's: before today).
                status = SessionStatus.STOPPED
                stop_reason = self.rng.choice(data.STOP_REASONS)
                stopped_dt = min(plan.start_dt, self.day_start) - timedelta(
                    minutes=self.rng.randrange(60, 2880))
            elif plan.end_dt <= self.now:
                status = SessionStatus.COMPLETED
            elif plan.start_dt >= draft_from and draw < STOPPED_SHARE + DRAFT_SHARE:
                status = SessionStatus.DRAFT
            created = min(plan.start_dt, self.day_start) - timedelta(
                days=self.rng.randint(14, 28), minutes=self.rng.randrange(600)
            )
            sessions.append({
                "id": session_id, "kind": plan.kind, "status": status, "audience": plan.audience,
                "title": plan.title, "description": plan.description, "venue_id": plan.venue_id,
                "specialty_id": plan.specialty_id, "start_dt": plan.start_dt,
                "end_dt": plan.end_dt, "stop_reason": stop_reason, "stopped_dt": stopped_dt,
                "created_dt": created, "updated_dt": stopped_dt or created,
                "last_queue_number": 0,
            })
            session_experts += [
                {"session_id": session_id, "expert_id": expert_id}
                for expert_id in plan.expert_ids
            ]
            for start_dt, end_dt, capacity in slot_times(plan):
                slots.append({
                    "id": len(slots) + 1, "session_id": session_id, "start_dt": start_dt,
                    "end_dt": end_dt, "capacity": capacity, "booked_count": 0,
                    "first_number": 0, "numbers": 0,  # given at the first booking
                })
        return sessions, session_experts, slots



    # -- bookings --

    def _bookings(self, sessions: list[dict], slots: list[dict], patients: list[dict]
                  ) -> tuple[list[dict], list[dict]]:
        """Residents' web bookings: closed ones in completed sessions, confirmed ones in
        released published sessions (up to three active per resident), stopped ones in a
        few stopped sessions. Ids follow the booking time, queue numbers the slot's range
        in booking order; slots' booked_count and persons' active_count match."""
        slots_of: dict[int, list[dict]] = {}
        for slot in slots:
            slots_of.setdefault(slot["session_id"], []).append(slot)
        active = [0] * len(patients)
        no_shows: list[list[datetime]] = [[] for _ in patients]  # when, in time order
        # The last residents are left for the showcase (app.demo.showcase).
        bookable = len(patients) - len(SHOWCASE_PHONES)
        available = list(range(bookable))  # indexes with fewer than MAX_ACTIVE
        drafts: list[tuple[dict, dict, int, BookingStatus]] = []  # (session, slot, patient)
        for session in sessions:
            own = slots_of.get(session["id"], [])
            status = session["status"]
            if not own or status == SessionStatus.DRAFT:
                continue
            clinic = session["kind"] == SessionKind.CLINIC
            if status == SessionStatus.COMPLETED:
                rate = self.rng.uniform(*PAST_FILL)
                counts = [self._binomial(slot["capacity"], rate) for slot in own]
                people = self.rng.sample(range(bookable), min(sum(counts), bookable))
                for slot, count in zip(own, counts, strict=True):
                    for patient in people[:count]:
                        recent = [at for at in no_shows[patient][-MAX_NO_SHOWS:]
                                  if at > session["start_dt"] - timedelta(days=NO_SHOW_DAYS)]
                        missed = (len(recent) < MAX_NO_SHOWS
                                  and self.rng.random() < NO_SHOW_SHARE)
                        if missed:
                            no_shows[patient].append(session["start_dt"])
                        drafts.append((session, slot, patient, BookingStatus.NO_SHOW if missed
                                       else BookingStatus.COMPLETED))
                    people = people[count:]
                continue
            released = [slot for slot in own if self._opens(slot) <= min(
                self.now, session["stopped_dt"] or self.now)]
            if not released:
                continue
            if status == SessionStatus.STOPPED:
                rate = self.rng.uniform(0.1, 0.4)
                counts = [self._binomial(slot["capacity"], rate) for slot in released]
                people = self.rng.sample(range(bookable), min(sum(counts), bookable))
                for slot, count in zip(released, counts, strict=True):
                    drafts += [(session, slot, p, BookingStatus.STOPPED) for p in people[:count]]
                    people = people[count:]
                continue
            if clinic and self.rng.random() < FULL_CLINIC_SHARE:
                counts = [slot["capacity"] for slot in released]
            else:
                rate = self.rng.uniform(*(CLINIC_FILL if clinic else SEATS_FILL))
                counts = [self._binomial(slot["capacity"], rate) for slot in released]
            # A lecture's seat does not count toward the limit: anyone may take one.
            counted = SessionKind(session["kind"]).counts_toward_limit
            pool = available if counted else range(bookable)
            people = self.rng.sample(pool, min(sum(counts), len(pool)))
            for slot, count in zip(released, counts, strict=True):
                for patient in people[:count]:
                    active[patient] += counted
                    drafts.append((session, slot, patient, BookingStatus.CONFIRMED))
                people = people[count:]
            available = [p for p in available if active[p] < MAX_ACTIVE]

        rows = []
        for session, slot, patient, status in drafts:
            row = self._booking_row(session, slot, patients[patient], status)
            rows.append(row)
            if status in HOLDS_PLACE:
                slot["booked_count"] += 1
        rows.sort(key=lambda r: (r["created_dt"], r["session_id"], r["slot_id"], r["patient_id"]))
        codes: set[str] = set()
        self._give_ranges(sessions, slots_of, booked={row["session_id"] for row in rows})
        next_number = {slot["id"]: slot["first_number"] for slot in slots}
        for booking_id, row in enumerate(rows, 1):
            row["id"], row["queue_number"] = booking_id, next_number[row["slot_id"]]
            next_number[row["slot_id"]] += 1
            while (code := "".join(self.rng.choice(CODE_ALPHABET)
                                   for _ in range(CODE_LENGTH))) in codes:
                pass
            codes.add(code)
            row["code"] = code

        booked = {row["person_key"] for row in rows}
        persons = [
            {"key": p["id_number_hash"], "active_count": active[i], "suspended_until": None}
            for i, p in enumerate(patients) if p["id_number_hash"] in booked
        ]
        return persons, rows

    @staticmethod
    def _give_ranges(sessions: list[dict], slots_of: dict[int, list[dict]], *,
                     booked: set[int]) -> None:
        """The queue-number ranges a booked session's first booking gives its slots
        (app.bookings.services.engine.give_ranges): in time order, as many numbers as
        places. Sessions never booked keep none, and last_queue_number 0."""
        for session in sessions:
            if session["id"] not in booked:
                continue
            own = slots_of[session["id"]]  # in time order
            for slot, (first, count) in zip(
                    own, queue_ranges(0, [slot["capacity"] for slot in own]), strict=True):
                slot["first_number"], slot["numbers"] = first, count
                session["last_queue_number"] = first + count - 1

    def _binomial(self, n: int, p: float) -> int:
        return sum(self.rng.random() < p for _ in range(n))

    def _opens(self, slot: dict) -> datetime:
        """When online booking of a slot opens (the default release window)."""
        day = to_local(slot["start_dt"]).date() - timedelta(days=RELEASE_DAYS)
        return local_to_utc(day, RELEASE_TIME)

    def _booking_row(self, session: dict, slot: dict, patient: dict, status: BookingStatus
                     ) -> dict:
        opens = self._opens(slot)
        closes = slot["start_dt"] - CUTOFF
        if status in ACTIVE_STATUSES:
            closes = min(closes, self.now)
        elif status == BookingStatus.STOPPED:
            closes = min(closes, session["stopped_dt"])
        span = max(int((closes - opens).total_seconds()), 1)
        if self.rng.random() < RUSH_SHARE:
            span = min(span, 1800)
        created = opens + timedelta(seconds=self.rng.randrange(span))
        updated, checked_in, sequence, reason = created, None, 0, ""
        if status == BookingStatus.COMPLETED:
            checked_in = slot["start_dt"] - timedelta(minutes=self.rng.randrange(5, 45))
            updated = session["end_dt"]
        elif status == BookingStatus.NO_SHOW:
            updated = session["end_dt"]
        elif status == BookingStatus.STOPPED:
            updated, sequence, reason = session["stopped_dt"], 1, session["stop_reason"]
        return {
            "slot_id": slot["id"], "session_id": session["id"], "patient_id": patient["id"],
            "person_key": patient["id_number_hash"], "account_id": patient["account_id"],
            "booked_by_id": patient["account_id"], "source": BookingSource.WEB,
            "status": status, "one_per_session_guard": session["id"], "cancel_reason": reason,
            "created_dt": created, "updated_dt": updated, "checked_in_dt": checked_in,
            "sequence": sequence,
        }
