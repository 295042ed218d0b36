"""``flask demo seed``: a complete, consistent Liling, seeded once, the same every time.

Self-contained: each database here is a fresh SQLite file of its own (seeding needs an
empty database); one more test seeds a scratch database of the tier's kind (PostgreSQL in CI).
"""

from collections import Counter, defaultdict
from contextlib import contextmanager
from datetime import date, time, timedelta
from itertools import pairwise

import flask_migrate
import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User, UserRole
from app.auth.passwords import verify_password
from app.bookings.models import ACTIVE_STATUSES, Booking, BookingStatus
from app.bookings.services.engine import CODE_ALPHABET
from app.core.time import local_to_utc, to_local
from app.demo.seed import seed
from app.directory.models import (
    Expert,
    ExpertAssistant,
    Institution,
    Specialty,
    Township,
    TravelTime,
    Venue,
    VenueCoordinator,
    VenueKind,
)
from app.extensions import db
from app.patients import idnumbers
from app.patients.models import Patient, Person, Relation, person_key
from app.scheduling.conflicts import travel_times
from app.scheduling.models import (
    COUNTED_KINDS,
    Session,
    SessionExpert,
    SessionKind,
    SessionStatus,
    Slot,
)
from tests.conftest import make_app

TODAY = date(2026, 12, 1)


def _quiet(*args, **kwargs) -> None:
    pass


@contextmanager
def _seeded_app(database_url: str, *, today: date = TODAY, **options):
    """An app on a freshly migrated database, seeded for ``today``, its context pushed."""
    app = make_app(database_url)
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
        assert seed(today=today, echo=_quiet, **options) is True
        db.session.remove()
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """The bulk programme alone, whose shape the tests below check."""
    path = tmp_path_factory.mktemp("seed") / "seed.sqlite3"
    with _seeded_app(f"sqlite:///{path}", states=False) as app:
        yield app


@pytest.fixture(scope="module")
def showcased(tmp_path_factory):
    """The programme with the states a reviewer should see (what `make run` seeds)."""
    path = tmp_path_factory.mktemp("showcase") / "seed.sqlite3"
    with _seeded_app(f"sqlite:///{path}") as app:
        yield app


@pytest.fixture(autouse=True)
def _fresh_session():
    """Each test starts a new unit of work (seed() must open its own)."""
    db.session.remove()
    yield
    db.session.remove()


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _counts() -> dict[str, int]:
    models = [Township, Institution, Specialty, Venue, Expert, User, UserRole, Patient,
              VenueCoordinator, ExpertAssistant, Session, SessionExpert, Slot, Person, Booking]
    return {model.__tablename__: _count(model) for model in models}


def _session_listing() -> list[tuple]:
    """(kind, venue, start, expert ids) of every session, in id order."""
    experts = defaultdict(list)
    for session_id, expert_id in db.session.execute(
        select(SessionExpert.session_id, SessionExpert.expert_id)
        .order_by(SessionExpert.session_id, SessionExpert.expert_id)
    ):
        experts[session_id].append(expert_id)
    rows = db.session.execute(
        select(Session.id, Session.kind, Session.venue_id, Session.start_dt).order_by(Session.id)
    )
    return [(kind, venue_id, start_dt, tuple(experts[session_id]))
            for session_id, kind, venue_id, start_dt in rows]


def _booking_listing() -> list[tuple]:
    """(code, slot, patient, status, queue number, created) of every booking, in id order."""
    return db.session.execute(
        select(Booking.code, Booking.slot_id, Booking.patient_id, Booking.status,
               Booking.queue_number, Booking.created_dt).order_by(Booking.id)
    ).all()


def _expert_clashes() -> list[tuple]:
    """Pairs of sessions of one expert that overlap, counting travel between townships
    (the seeded travel-time table, the default for the rest)."""
    travel = travel_times()
    rows = db.session.execute(
        select(SessionExpert.expert_id, Session.id, Session.start_dt, Session.end_dt,
               Venue.township_id)
        .join(Session, Session.id == SessionExpert.session_id)
        .join(Venue, Venue.id == Session.venue_id)
        .order_by(SessionExpert.expert_id, Session.start_dt)
    ).all()
    clashes = []
    for before, after in pairwise(rows):
        if before.expert_id != after.expert_id:
            continue
        way = timedelta(minutes=travel.minutes(before.township_id, after.township_id))
        if after.start_dt < before.end_dt + way:
            clashes.append((before.expert_id, before.id, after.id))
    return clashes


def _phones(query) -> list[str]:
    return list(db.session.scalars(query))


# --- what is there -------------------------------------------------------------------


def test_seed_places_and_institutions_counts(seeded):
    venue_kinds = Counter(db.session.scalars(select(Venue.kind)))
    towns = set(db.session.scalars(select(Township.name)))
    centres = set(db.session.scalars(
        select(Venue.name).where(Venue.kind == VenueKind.TOWNSHIP_CENTRE)
    ))

    assert _count(Institution) == 15
    assert _count(Specialty) == 26
    assert venue_kinds == {VenueKind.CITY_HOSPITAL: 3, VenueKind.TOWNSHIP_CENTRE: 23,
                           VenueKind.LECTURE_HALL: 1}
    assert {"浦口镇", "白兔潭镇", "嘉树乡", "来龙门街道", "国瓷街道"} <= towns
    assert {"浦口镇卫生院", "白兔潭镇中心卫生院"} <= centres
    # Every pair of the 27 townships has its travel minutes (app/demo/travel/README.md).
    minutes = list(db.session.scalars(select(TravelTime.minutes)))
    assert (len(minutes), min(minutes), max(minutes)) == (27 * 26 // 2, 10, 120)


def test_seed_venue_ids_follow_city_hospitals_centres_hall(seeded):
    kinds = list(db.session.scalars(select(Venue.kind).order_by(Venue.id)))
    names = list(db.session.scalars(select(Venue.name).order_by(Venue.id)))

    assert kinds == [VenueKind.CITY_HOSPITAL] * 3 + [VenueKind.TOWNSHIP_CENTRE] * 23 + [
        VenueKind.LECTURE_HALL
    ]
    assert names[:3] == ["醴陵市人民医院", "醴陵市中医院", "醴陵市妇幼保健院"]
    assert names[-1] == "渌江书院"


def test_seed_experts_complete(seeded):
    experts = db.session.scalars(select(Expert).order_by(Expert.id)).all()
    incomplete = [e.id for e in experts
                  if not (e.name and e.title and e.department and e.bio
                          and e.native_township is not None and e.user_id is not None)]

    assert len(experts) == 232
    assert incomplete == []
    assert len({e.name for e in experts}) == 232
    assert {e.title for e in experts} <= {"主任医师", "副主任医师", "主任医师/教授", "教授",
                                          "副教授"}


def test_seed_users_roles_counts(seeded):
    roles = dict(db.session.execute(
        select(UserRole.role, func.count()).group_by(UserRole.role)
    ).all())
    admin = db.session.scalar(select(User).where(User.phone == "13800000000"))

    assert roles == {Role.ADMIN: 1, Role.COORDINATOR: 27, Role.ASSISTANT: 232,
                     Role.EXPERT: 232, Role.RESIDENT: 1000}
    assert _count(User) == 1492
    assert admin.roles == {Role.ADMIN}
    assert verify_password(admin.password_hash, "xiangqing-demo") is True
    assert db.session.scalar(select(func.count(func.distinct(User.password_hash)))) == 1


def test_seed_coordinator_phones_follow_venue_ids(seeded):
    phones = _phones(
        select(User.phone)
        .join(VenueCoordinator, VenueCoordinator.user_id == User.id)
        .order_by(VenueCoordinator.venue_id)
    )

    assert phones == [f"1381{n:07d}" for n in range(1, 28)]


def test_seed_expert_and_assistant_phones_follow_expert_ids(seeded):
    expert_phones = _phones(
        select(User.phone).join(Expert, Expert.user_id == User.id).order_by(Expert.id)
    )
    assistant_phones = _phones(
        select(User.phone)
        .join(ExpertAssistant, ExpertAssistant.user_id == User.id)
        .order_by(ExpertAssistant.expert_id)
    )

    assert expert_phones == [f"1370{n:07d}" for n in range(1, 233)]
    assert assistant_phones == [f"1382{n:07d}" for n in range(1, 233)]


def test_seed_residents_each_have_one_self_patient(seeded):
    rows = db.session.execute(
        select(User.phone, User.name, Patient.phone, Patient.name, Patient.relation)
        .join(UserRole, UserRole.user_id == User.id)
        .outerjoin(Patient, Patient.account_id == User.id)
        .where(UserRole.role == Role.RESIDENT)
        .order_by(User.phone)
    ).all()
    mismatched = [row for row in rows
                  if (row[2], row[3], row[4]) != (row[0], row[1], Relation.SELF)]

    assert [row[0] for row in rows] == [f"1390{n:07d}" for n in range(1, 1001)]
    assert mismatched == []
    assert _count(Patient) == 1000


def test_seed_id_numbers_valid_and_match_columns(seeded):
    problems = []
    for patient in db.session.scalars(select(Patient)):
        number = patient.reveal_id_number()
        try:
            parsed = idnumbers.parse(number)
        except idnumbers.InvalidIdNumber:
            problems.append((patient.id, "invalid"))  # never the number itself
            continue
        if not number.startswith("430281"):
            problems.append((patient.id, "area"))
        if (patient.birth_date, patient.sex, patient.id_number_masked, patient.id_number_hash) != (
            parsed.birth_date, parsed.sex, parsed.masked, person_key(number)
        ):
            problems.append((patient.id, "columns"))
        if not date(1940, 1, 1) <= parsed.birth_date <= date(2005, 12, 31):
            problems.append((patient.id, "birth date"))

    assert problems == []
    assert _count(Patient) == len(set(db.session.scalars(select(Patient.id_number_hash))))


# --- the schedule --------------------------------------------------------------------


def test_seed_experts_never_in_overlapping_sessions(seeded):
    assert _expert_clashes() == []


def test_seed_sessions_end_after_start_and_slots_within(seeded):
    sessions = {row.id: row for row in db.session.execute(
        select(Session.id, Session.kind, Session.start_dt, Session.end_dt)
    )}
    slots = defaultdict(list)
    for slot in db.session.execute(
        select(Slot.session_id, Slot.start_dt, Slot.end_dt, Slot.capacity, Slot.booked_count)
        .order_by(Slot.session_id, Slot.start_dt)
    ):
        slots[slot.session_id].append(slot)

    problems = []
    for session in sessions.values():
        own = slots[session.id]
        if not session.end_dt > session.start_dt:
            problems.append((session.id, "ends before it starts"))
        if any(not session.start_dt <= s.start_dt < s.end_dt <= session.end_dt for s in own):
            problems.append((session.id, "slot outside"))
        if any(a.end_dt > b.start_dt for a, b in pairwise(own)):
            problems.append((session.id, "slots overlap"))
        expected = {
            SessionKind.CLINIC: {(7, 5), (5, 5)},
            SessionKind.WARD_ROUND: {(0, None)},
            SessionKind.SURGERY: {(0, None)},
        }.get(session.kind)
        shape = (len(own), own[0].capacity if own else None)
        if expected is not None and shape not in expected:
            problems.append((session.id, "clinic slots" if own else "slots", shape))
        if expected is None and len(own) != 1:
            problems.append((session.id, "one slot", len(own)))

    assert problems == []


def _window_kinds(first: date, last: date) -> Counter:
    """Sessions by kind whose local day lies in first…last."""
    return Counter(kind for kind, start in db.session.execute(
        select(Session.kind, Session.start_dt)) if first <= to_local(start).date() <= last)


def test_seed_sessions_cover_the_window_in_local_time(seeded):
    days = {to_local(start).date() for start in db.session.scalars(select(Session.start_dt))}
    kinds = _window_kinds(TODAY - timedelta(days=14), TODAY + timedelta(days=56))

    assert min(days) == TODAY - timedelta(days=365)  # the history's first day
    assert TODAY - timedelta(days=14) in days
    assert max(days) <= TODAY + timedelta(days=56)
    assert set(kinds) == set(SessionKind)
    assert 700 <= kinds[SessionKind.CLINIC] <= 950
    assert 8 <= kinds[SessionKind.FORUM] <= 11  # one a week, weekends only
    assert 18 <= kinds[SessionKind.LECTURE] <= 22  # about two a week


def test_seed_history_a_year_at_the_programme_pace(seeded):
    """Issue #18, item 5: the year before the window, at the programme's own pace
    (its report: some 1,500 clinics and 1,000 operations a year, a handful of lectures
    and forums), every session held or stopped."""
    first, last = TODAY - timedelta(days=365), TODAY - timedelta(days=15)
    kinds = _window_kinds(first, last)
    statuses = Counter(status for status, start in db.session.execute(
        select(Session.status, Session.start_dt)) if to_local(start).date() <= last)

    assert 1_200 <= kinds[SessionKind.CLINIC] <= 1_700
    assert 150 <= kinds[SessionKind.SURGERY] <= 250
    assert 3 <= kinds[SessionKind.FORUM] + kinds[SessionKind.LECTURE] <= 25
    assert set(statuses) == {SessionStatus.COMPLETED, SessionStatus.STOPPED}
    assert statuses[SessionStatus.STOPPED] <= sum(statuses.values()) * 3 // 100


def test_seed_without_history_starts_with_the_window(tmp_path):
    with _seeded_app(f"sqlite:///{tmp_path / 'short.sqlite3'}", states=False, history=False):
        days = {to_local(start).date() for start in db.session.scalars(select(Session.start_dt))}
        first_account = db.session.scalar(select(func.min(User.created_dt)))

    assert min(days) == TODAY - timedelta(days=14)
    assert first_account < local_to_utc(min(days), time.min)


def test_seed_statuses_follow_the_clock(seeded):
    day_start = local_to_utc(TODAY, time.min)
    tomorrow = local_to_utc(TODAY + timedelta(days=1), time.min)
    draft_from = local_to_utc(TODAY + timedelta(days=29), time.min)
    sessions = db.session.scalars(select(Session)).all()
    future = [s for s in sessions if s.start_dt >= tomorrow]
    stopped = [s for s in sessions if s.status == SessionStatus.STOPPED]
    drafts = [s for s in sessions if s.status == SessionStatus.DRAFT]

    assert [s.id for s in sessions if s.end_dt <= day_start
            and s.status not in (SessionStatus.COMPLETED, SessionStatus.STOPPED)] == []
    assert [s.id for s in future if s.status == SessionStatus.COMPLETED] == []
    window = local_to_utc(TODAY - timedelta(days=14), time.min)
    # Stopped before they start: the window's from tomorrow on, stopped before today.
    assert [s.id for s in stopped
            if not (s.stop_reason and s.stopped_dt and s.stopped_dt < s.start_dt
                    and (s.start_dt < window or s.stopped_dt < day_start <= tomorrow
                         <= s.start_dt))] == []
    assert [s.id for s in sessions
            if s.status != SessionStatus.STOPPED and (s.stop_reason or s.stopped_dt)] == []
    assert [s.id for s in drafts if s.start_dt < draft_from] == []
    assert 0 < len([s for s in stopped if s.start_dt >= tomorrow]) <= len(future) * 3 // 100
    assert 0 < len(drafts) <= len(future) // 20


# --- bookings -----------------------------------------------------------------------

HOLDS_PLACE = {*ACTIVE_STATUSES, BookingStatus.COMPLETED, BookingStatus.NO_SHOW}


def test_seed_booking_statuses_follow_the_session(seeded):
    pairs = Counter(map(tuple, db.session.execute(
        select(Session.status, Booking.status)
        .join(Session, Session.id == Booking.session_id)
    )))
    by_session = {session: sum(n for (s, _), n in pairs.items() if s == session)
                  for session in SessionStatus}
    completed = pairs[SessionStatus.COMPLETED, BookingStatus.COMPLETED]
    no_show = pairs[SessionStatus.COMPLETED, BookingStatus.NO_SHOW]

    assert set(pairs) <= {(SessionStatus.COMPLETED, BookingStatus.COMPLETED),
                          (SessionStatus.COMPLETED, BookingStatus.NO_SHOW),
                          (SessionStatus.PUBLISHED, BookingStatus.CONFIRMED),
                          (SessionStatus.STOPPED, BookingStatus.STOPPED)}
    assert by_session[SessionStatus.DRAFT] == 0
    assert completed > 2000
    assert 0.1 < no_show / (completed + no_show) < 0.2
    assert pairs[SessionStatus.PUBLISHED, BookingStatus.CONFIRMED] > 1000
    assert _count(Booking) == sum(pairs.values())


def test_seed_bookings_only_in_bookable_slots_and_in_the_release_window(seeded):
    rows = db.session.execute(
        select(Booking.id, Booking.status, Booking.created_dt, Booking.source,
               Booking.person_key, Booking.account_id, Booking.booked_by_id,
               Booking.one_per_session_guard, Booking.session_id, Slot.start_dt,
               Slot.session_id.label("slot_session"), Session.kind, Session.stopped_dt,
               Patient.id_number_hash, Patient.account_id.label("holder"))
        .join(Slot, Slot.id == Booking.slot_id)
        .join(Session, Session.id == Booking.session_id)
        .join(Patient, Patient.id == Booking.patient_id)
    ).all()
    now = local_to_utc(TODAY, time.min)  # the tests seed another day than the real one

    problems = []
    for r in rows:
        opens = local_to_utc(to_local(r.start_dt).date() - timedelta(days=7), time(8, 0))
        if r.slot_session != r.session_id or not r.kind.has_public_slots:
            problems.append((r.id, "slot"))
        if (r.person_key, r.account_id, r.booked_by_id, r.one_per_session_guard, r.source) != (
                r.id_number_hash, r.holder, r.holder, r.session_id, "web"):
            problems.append((r.id, "columns"))
        if not opens <= r.created_dt < r.start_dt - timedelta(minutes=60):
            problems.append((r.id, "outside the online window"))
        if r.status in ACTIVE_STATUSES and not r.created_dt <= now:
            problems.append((r.id, "in the future"))
        if r.status == BookingStatus.STOPPED and not r.created_dt < r.stopped_dt:
            problems.append((r.id, "after the stop"))

    assert problems == []


def test_seed_booked_counts_match_bookings_within_capacity(seeded):
    holding = Counter(db.session.scalars(
        select(Booking.slot_id).where(Booking.status.in_(HOLDS_PLACE))
    ))
    active = Counter(db.session.scalars(
        select(Booking.slot_id).where(Booking.status.in_(ACTIVE_STATUSES))
    ))
    slots = db.session.execute(
        select(Slot.id, Slot.capacity, Slot.booked_count, Session.status)
        .join(Session, Session.id == Slot.session_id)
    ).all()
    published = [s for s in slots if s.status == SessionStatus.PUBLISHED and s.capacity]

    # Active bookings hold their place; closing a session keeps the places its bookings
    # held (as app.bookings.services.desk does), stopping frees them all.
    assert [s.id for s in slots if s.booked_count != holding[s.id]] == []
    assert [s.id for s in slots
            if s.status != SessionStatus.COMPLETED and s.booked_count != active[s.id]] == []
    assert [s.id for s in slots if s.booked_count > s.capacity] == []
    assert [s.id for s in slots
            if s.status in (SessionStatus.STOPPED, SessionStatus.DRAFT) and s.booked_count] == []
    assert any(s.booked_count == s.capacity for s in published)  # the waitlist shows
    assert any(0 < s.booked_count < s.capacity for s in published)


def test_seed_completed_sessions_filled_forty_to_eighty_percent(seeded):
    fill = db.session.execute(
        select(Session.id, func.sum(Slot.booked_count), func.sum(Slot.capacity))
        .join(Slot, Slot.session_id == Session.id)
        .where(Session.status == SessionStatus.COMPLETED)
        .group_by(Session.id)
    ).all()
    shares = [booked / capacity for _, booked, capacity in fill if capacity]

    assert 0.5 < sum(shares) / len(shares) < 0.7
    assert sum(0.25 <= share <= 0.95 for share in shares) >= 0.95 * len(shares)


def test_seed_queue_numbers_follow_the_clock(seeded):
    """Issue #16, item 12: each slot owns the numbers of its places in time order, and
    its bookings take them from the first, in booking order."""
    slots = db.session.execute(
        select(Slot.id, Slot.session_id, Slot.first_number, Slot.numbers, Slot.capacity)
        .order_by(Slot.session_id, Slot.start_dt, Slot.id)).all()
    booked = set(db.session.scalars(select(Booking.session_id)))
    # A session never booked has no ranges yet (last_queue_number 0: "never booked").
    assert {(s.first_number, s.numbers) for s in slots if s.session_id not in booked} == {
        (0, 0)}
    expected_first, last_of = {}, {}
    for slot in slots:
        if slot.session_id not in booked:
            continue
        expected_first.setdefault(slot.session_id, 1)
        assert (slot.first_number, slot.numbers) == (expected_first[slot.session_id],
                                                     max(slot.capacity, 1))
        expected_first[slot.session_id] += slot.numbers
        last_of[slot.session_id] = slot.first_number + slot.numbers - 1
    numbers = defaultdict(list)
    for slot_id, number in db.session.execute(
        select(Booking.slot_id, Booking.queue_number).order_by(Booking.id)
    ):
        numbers[slot_id].append(number)
    first = {slot.id: slot.first_number for slot in slots}

    assert [s for s, given in numbers.items()
            if given != list(range(first[s], first[s] + len(given)))] == []
    last = dict(db.session.execute(select(Session.id, Session.last_queue_number)).all())
    assert [s for s, n in last.items() if n != last_of.get(s, 0)] == []


def test_seed_one_booking_per_person_and_session(seeded):
    pairs = Counter(map(tuple, db.session.execute(
        select(Booking.session_id, Booking.person_key)
    )))

    assert [pair for pair, n in pairs.items() if n > 1] == []


def test_seed_persons_count_active_bookings_up_to_three(seeded):
    active = Counter(db.session.scalars(
        select(Booking.person_key).join(Session, Session.id == Booking.session_id)
        .where(Booking.status.in_(ACTIVE_STATUSES), Session.kind.in_(COUNTED_KINDS))
    ))
    persons = dict(db.session.execute(select(Person.key, Person.active_count)).all())
    booked = set(db.session.scalars(select(Booking.person_key)))

    assert booked <= set(persons)
    assert [key for key, n in persons.items() if n != active[key]] == []
    assert max(persons.values()) == 3
    assert db.session.scalar(select(func.count()).where(Person.suspended_until.is_not(None))) == 0
    no_shows = defaultdict(list)
    for key, start in db.session.execute(
            select(Booking.person_key, Session.start_dt)
            .join(Session, Session.id == Booking.session_id)
            .where(Booking.status == BookingStatus.NO_SHOW).order_by(Session.start_dt)):
        no_shows[key].append(start)
    # A third within 90 days would suspend.
    assert [key for key, times in no_shows.items()
            if any(c - a < timedelta(days=90) for a, _, c in zip(times, times[1:], times[2:],
                                                                  strict=False))] == []
    assert max(map(len, no_shows.values())) > 2  # over the year of history


def test_seed_booking_codes_unique_from_the_alphabet(seeded):
    codes = list(db.session.scalars(select(Booking.code)))

    assert len(set(codes)) == len(codes)
    assert [c for c in codes if len(c) != 6 or set(c) - set(CODE_ALPHABET)] == []


# --- once, the same, scaled ----------------------------------------------------------


def test_seed_second_run_returns_false_and_changes_nothing(seeded):
    before = _counts()
    messages = []
    db.session.remove()

    assert seed(today=TODAY, echo=messages.append) is False
    assert messages == ["already seeded"]
    assert _counts() == before


def test_seed_same_today_same_programme(seeded, tmp_path):
    first = _session_listing()
    first_people = db.session.execute(select(User.phone, User.name).order_by(User.id)).all()

    first_bookings = _booking_listing()

    with _seeded_app(f"sqlite:///{tmp_path / 'again.sqlite3'}", states=False):
        assert _session_listing() == first
        assert _booking_listing() == first_bookings
        assert db.session.execute(
            select(User.phone, User.name).order_by(User.id)
        ).all() == first_people


def test_seed_scale_multiplies_sessions_without_clashes(seeded, tmp_path):
    base = sum(_window_kinds(TODAY - timedelta(days=14), TODAY + timedelta(days=56)).values())

    with _seeded_app(f"sqlite:///{tmp_path / 'scaled.sqlite3'}", scale=3, states=False,
                     history=False):
        assert _count(Session) > 2 * base
        assert _count(Expert) == 232
        assert _expert_clashes() == []


def test_seed_window_from_a_sunday_skips_national_day(seeded, tmp_path):
    # 2029-09-30 is a Sunday: the window opens on a weekend-only week, and the whole
    # week of 1–7 October (国庆节) falls inside it.
    sunday = date(2029, 9, 30)

    with _seeded_app(f"sqlite:///{tmp_path / 'sunday.sqlite3'}", today=sunday, states=False,
                     history=False):
        days = {to_local(start).date() for start in db.session.scalars(select(Session.start_dt))}
        clashes = _expert_clashes()

    assert min(days) == sunday - timedelta(days=14)  # that Sunday's forum
    assert {d for d in days if d.month == 10 and d.day <= 7} == set()
    assert clashes == []


def test_seed_command_prints_a_summary(seeded, tmp_path):
    app = make_app(f"sqlite:///{tmp_path / 'cli.sqlite3'}")
    with app.app_context():
        flask_migrate.upgrade()
        db.session.remove()
        runner = app.test_cli_runner()
        first = runner.invoke(args=["demo", "seed", "--today", "2026-12-01"])
        second = runner.invoke(args=["demo", "seed"])
        db.session.remove()
        db.engine.dispose()

    assert first.exit_code == 0
    assert first.stdout.startswith(
        "Seeded 15 institutions, 27 venues, 232 experts, 1492 users, "
    )
    assert (second.exit_code, second.stdout) == (0, "already seeded\n")


# --- the tier's database (PostgreSQL in CI) ---------------------------------------------


def test_seed_on_the_tier_database_same_programme_and_ids_continue(seeded, scratch_url):
    first = _session_listing()
    first_bookings = _booking_listing()
    last_booking = _count(Booking)

    with _seeded_app(scratch_url, states=False):
        listing = _session_listing()
        bookings = _booking_listing()
        next_booking = db.session.scalar(select(func.max(Booking.id)))
        user = User(phone="13999999999", name="新用户", password_hash="x")
        db.session.add(user)
        db.session.flush()
        new_id = user.id
        db.session.rollback()

    assert listing == first
    assert bookings == first_bookings
    assert next_booking == last_booking
    assert new_id == 1493


def test_demo_experts_have_expertise_and_english_names(seeded):
    """Issue #16, items 8 and 14: every demo doctor card has 擅长 and an English title;
    every specialty and institution an English name."""
    experts = db.session.scalars(select(Expert)).all()
    assert experts and all(e.expertise and e.title_en for e in experts)
    assert all("、" in e.expertise for e in experts)
    assert all(s.name_en for s in db.session.scalars(select(Specialty)))
    assert all(i.name_en for i in db.session.scalars(select(Institution)))


# --- The states a reviewer should see (issue #16, demo data; app.demo.showcase) --------

SEEDED_NOW = local_to_utc(TODAY, time.min)


def _account(phone: str) -> User:
    return db.session.scalars(select(User).where(User.phone == phone)).one()


def test_demo_has_a_full_slot_with_waiters_and_a_live_offer(showcased):
    from app.bookings.models import WaitlistEntry, WaitlistStatus
    from app.demo.showcase import WAITERS

    entries = db.session.scalars(select(WaitlistEntry).order_by(WaitlistEntry.id)).all()
    by_phone = {db.session.get(User, e.account_id).phone: e for e in entries}
    assert [by_phone[p].status for p in WAITERS] == [
        WaitlistStatus.OFFERED, WaitlistStatus.WAITING, WaitlistStatus.WAITING]
    offer = by_phone[WAITERS[0]]
    assert offer.offer_expires_dt > SEEDED_NOW
    slot = db.session.get(Slot, offer.slot_id)
    assert slot.booked_count == slot.capacity  # the freed place is held for the offer


def test_demo_has_a_suspended_person_who_was_told(showcased):
    from app.demo.showcase import SUSPENDED
    from app.notifications.models import Message

    account = _account(SUSPENDED)
    patient = db.session.scalars(select(Patient).where(Patient.account_id == account.id)).one()
    person = db.session.get(Person, patient.id_number_hash)
    assert person.suspended_until > SEEDED_NOW + timedelta(days=29)
    no_shows = db.session.scalar(select(func.count()).select_from(Booking).where(
        Booking.person_key == person.key, Booking.status == BookingStatus.NO_SHOW))
    assert no_shows == 3
    told = db.session.scalars(select(Message.kind).where(Message.user_id == account.id)).all()
    assert "suspended" in told


def test_demo_has_a_series_accounts_with_email_and_queued_reminders(showcased):
    from app.demo.showcase import EMAIL_PHONES, SERIES_TITLE
    from app.notifications.models import Message, MessageStatus

    series = db.session.scalars(select(Session).where(Session.title == SERIES_TITLE)).all()
    # Six Saturdays by the rule; 元旦 (1 January) falls on one and is skipped.
    assert len(series) >= 5 and len({s.series_id for s in series}) == 1
    assert all(s.status == SessionStatus.PUBLISHED for s in series)
    assert all(_account(p).email == f"{p}@example.org" for p in EMAIL_PHONES)

    future = db.session.scalars(
        select(Booking.id).join(Slot, Slot.id == Booking.slot_id)
        .where(Booking.status == BookingStatus.CONFIRMED, Slot.start_dt > SEEDED_NOW)).all()
    reminded = set(db.session.scalars(
        select(Message.booking_id).where(Message.status == MessageStatus.PENDING,
                                         Message.dedupe_key.like("reminder_%"))))
    assert future and set(future) <= reminded


def test_demo_has_a_stopped_session_whose_patients_were_told(showcased):
    from app.notifications.models import Message

    stopped = db.session.scalars(select(Session).where(
        Session.status == SessionStatus.STOPPED,
        Session.stop_reason == "专家临时有手术安排，本场停诊")).one()
    told = db.session.scalars(select(Booking.id).where(
        Booking.session_id == stopped.id, Booking.status == BookingStatus.STOPPED)).all()
    assert len(told) >= 2
    notices = db.session.scalars(select(Message.booking_id).where(
        Message.kind == "session_stopped", Message.booking_id.in_(told))).all()
    assert set(notices) == set(told)


def test_demo_statistics_show_a_programme_with_its_history(seeded):
    """Issue #18, item 5: outcomes on the held sessions and the earlier years' totals,
    so that the cumulative figures come near the programme's own report."""
    from app.admin import statistics
    from app.scheduling.models import OUTCOME_KINDS, SessionOutcome

    admin = db.session.scalar(select(User).join(UserRole).where(UserRole.role == Role.ADMIN))
    held = db.session.scalar(select(func.count(Session.id)).where(
        Session.status == SessionStatus.COMPLETED, Session.kind.in_(OUTCOME_KINDS)))
    assert _count(SessionOutcome) == held > 0

    years, since = statistics.cumulative(admin, today=TODAY)
    assert [y.year for y in years if y.entered] == list(range(2019, 2026))
    assert years[-1].year == 2026 and not years[-1].entered
    assert 9_000 < since["clinic_sessions"] < 11_000 and 6_000 < since["surgeries"] < 7_000
    assert since["savings"] > 57_000_000
