"""The programme's impact in numbers (issue #18): for a range of session dates, grouped
by township, venue, institution, expert, specialty or kind, in a fixed number of
statements whatever the number of sessions. The definitions (``DEFINITIONS``) are the
page's, the CSV's and the API's alike.

Who sees what: an admin everything; a coordinator the sessions at their venues; an
institution admin the sessions of their institution's experts. A session with two
experts counts under each of them when grouped by expert or institution (so groups may
add up to more than the total, which counts it once).
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, case, distinct, false, func, literal, or_, select, true

from app.auth.models import Role, User
from app.bookings.models import Booking, BookingStatus, WaitlistEntry, WaitlistStatus
from app.core import audit
from app.core.time import FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY, local_day_bounds, to_local
from app.directory.models import (
    Expert,
    Institution,
    InstitutionAdmin,
    Specialty,
    Township,
    Venue,
    VenueCoordinator,
)
from app.extensions import db
from app.scheduling.labels import KIND_LABELS
from app.scheduling.models import (
    Audience,
    ProgrammeSettings,
    ProgrammeYear,
    Session,
    SessionExpert,
    SessionKind,
    SessionOutcome,
    SessionStatus,
    Slot,
)

GROUPS = {"township": _l("乡镇"), "venue": _l("地点"), "institution": _l("医院"),
          "expert": _l("专家"), "specialty": _l("专科"), "kind": _l("类型")}
VISITED = (BookingStatus.CHECKED_IN, BookingStatus.COMPLETED)
GATHERINGS = (SessionKind.LECTURE, SessionKind.FORUM, SessionKind.TEACHING)

# (field, label, definition) — in the order the page, the CSV and the API give them.
DEFINITIONS = (
    ("sessions_held", _l("开展场次"), _l("状态为“已结束”的场次，按场次日期")),
    ("sessions_stopped", _l("停诊场次"), _l("状态为“已停诊”的场次，按场次日期")),
    ("clinic_visits", _l("门诊人次"),
     _l("门诊的预约中已签到或已就诊的，不论来源（现场挂号也是预约）")),
    ("residents_served", _l("服务居民"), _l("这些门诊人次中不同的人（按身份证号）")),
    ("no_show_rate", _l("爽约率"), _l("爽约 ÷（爽约 + 已签到 + 已就诊）")),
    ("offer_take_rate", _l("候补接受率"), _l("接受的候补空位 ÷ 发出的候补空位")),
    ("surgeries", _l("手术台数"), _l("手术场次记录的完成台数")),
    ("ward_round_patients", _l("查房人数"), _l("查房场次记录的病人数")),
    ("attendance", _l("讲座到场人数"), _l("讲座、讲坛、送教的签到人数 + 记录的未预约到场人数")),
    ("doctors_trained", _l("培训基层医生"),
     _l("面向医务人员的场次中签到的不同的人（不含现场人数）")),
    ("expert_days", _l("专家出诊天数"), _l("不同的（专家，日期），当天有已结束的场次")),
    ("savings", _l("估计为居民节省（元）"), _l("门诊人次 × 每人次节省金额")),
)


@dataclass
class Figures:
    key: object
    name: str
    sessions_held: int = 0
    sessions_stopped: int = 0
    clinic_visits: int = 0
    residents_served: int = 0
    no_shows: int = 0
    attended: int = 0  # checked in or completed, any kind (the no-show rate's base)
    offers_made: int = 0
    offers_taken: int = 0
    surgeries: int = 0
    ward_round_patients: int = 0
    attendance: int = 0
    doctors_trained: int = 0
    expert_days: int = 0
    savings: int = 0

    @property
    def no_show_rate(self) -> float | None:
        base = self.no_shows + self.attended
        return round(self.no_shows / base, 4) if base else None

    @property
    def offer_take_rate(self) -> float | None:
        return round(self.offers_taken / self.offers_made, 4) if self.offers_made else None

    def as_dict(self) -> dict:
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        return {**values, "no_show_rate": self.no_show_rate,
                "offer_take_rate": self.offer_take_rate}


def set_saving(yuan: int, *, by_id: int, now: datetime) -> None:
    """The saving per clinic visit the statistics multiply by (audited)."""
    settings = db.session.get(ProgrammeSettings, 1)
    before = settings.saving_per_visit if settings is not None else 0
    if settings is None:
        settings = ProgrammeSettings(id=1, saving_per_visit=yuan)
        db.session.add(settings)
    settings.saving_per_visit, settings.updated_dt, settings.updated_by_id = yuan, now, by_id
    db.session.flush()
    if before != yuan:
        audit.record("programme.saving", settings, actor_id=by_id, now=now,
                     before={"saving_per_visit": before}, after={"saving_per_visit": yuan})


def saving_per_visit() -> int:
    settings = db.session.get(ProgrammeSettings, 1)
    return settings.saving_per_visit if settings is not None else 0


def scope_clause(user: User) -> ColumnElement[bool]:
    """A condition on Session: the sessions whose figures ``user`` may see."""
    if user.has_role(Role.ADMIN):
        return true()
    clauses = []
    if user.has_role(Role.COORDINATOR):
        clauses.append(Session.venue_id.in_(
            select(VenueCoordinator.venue_id).where(VenueCoordinator.user_id == user.id)))
    if user.has_role(Role.INSTITUTION_ADMIN):
        clauses.append(Session.id.in_(
            select(SessionExpert.session_id).join(Expert, Expert.id == SessionExpert.expert_id)
            .where(Expert.institution_id.in_(select(InstitutionAdmin.institution_id).where(
                InstitutionAdmin.user_id == user.id)))))
    return or_(false(), *clauses)


MAX_YEARS = 20  # a range of session dates at most this long (the monthly chart's bound)
EARLIEST, LATEST = FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY  # the dates a range may name


def longest_range_end(first: date) -> date:
    """The last day a range from ``first`` may reach."""
    return first + timedelta(days=365 * MAX_YEARS + MAX_YEARS // 4)


def month_starts(first: date, last: date) -> list[date]:
    """The first day of each calendar month from ``first``'s to ``last``'s."""
    months, day = [], first.replace(day=1)
    while day <= last:
        months.append(day)
        day = (day + timedelta(days=31)).replace(day=1)
    return months


def _own_institutions(user: User) -> ColumnElement[bool] | None:
    """For someone who sees only their institution's experts (an institution admin,
    not also an admin or coordinator): the condition on Expert that keeps the rows of
    a by-expert or by-institution grouping to theirs; None for everyone else."""
    if user.has_role(Role.ADMIN) or user.has_role(Role.COORDINATOR):
        return None
    return Expert.institution_id.in_(select(InstitutionAdmin.institution_id)
                                     .where(InstitutionAdmin.user_id == user.id))


def _dimension(group: str | None, where: list, *, first: date | None = None,
               last: date | None = None):
    """(session id, group key, group name) of every session in range and scope; the
    ``month`` group keys a session by its local month (0 = ``first``'s month)."""
    if group == "month":
        bounds = [local_day_bounds(m, m)[0] for m in month_starts(first, last)[1:]]
        month = case(*[(Session.start_dt < bound, i) for i, bound in enumerate(bounds)],
                     else_=len(bounds)) if bounds else literal(0)
        query = select(Session.id.label("sid"), month.label("key"), month.label("name"))
    elif group is None:
        query = select(Session.id.label("sid"), literal(0).label("key"),
                       literal("").label("name"))
    elif group == "kind":
        query = select(Session.id.label("sid"), Session.kind.label("key"),
                       Session.kind.label("name"))
    elif group in ("township", "venue"):
        table = Township if group == "township" else Venue
        query = (select(Session.id.label("sid"), table.id.label("key"),
                        table.name.label("name"))
                 .join(Venue, Venue.id == Session.venue_id))
        if group == "township":
            query = query.join(Township, Township.id == Venue.township_id)
    elif group == "specialty":
        query = (select(Session.id.label("sid"), Specialty.id.label("key"),
                        Specialty.name.label("name"))
                 .outerjoin(Specialty, Specialty.id == Session.specialty_id))
    else:  # expert, institution: through the session's experts
        table = Expert if group == "expert" else Institution
        query = (select(Session.id.label("sid"), table.id.label("key"),
                        table.name.label("name"))
                 .join(SessionExpert, SessionExpert.session_id == Session.id)
                 .join(Expert, Expert.id == SessionExpert.expert_id))
        if group == "institution":
            query = query.join(Institution, Institution.id == Expert.institution_id)
    return query.where(*where).distinct().subquery()


# The statements ``compute`` runs, by what they count: a caller that needs only some
# figures (a chart, the yearly totals) names them and the rest are not read.
PARTS = ("sessions", "bookings", "people", "offers", "outcomes", "expert_days")


def compute(user: User, *, first: date, last: date, group: str | None,
            saving: int, parts: tuple[str, ...] = PARTS) -> list[Figures]:
    """The figures of ``group``'s rows (None: one row, the total), ordered by name;
    only the ``parts`` asked for are read (the others stay 0)."""
    start_dt, end_dt = local_day_bounds(first, last)
    where = [Session.start_dt >= start_dt, Session.start_dt < end_dt, scope_clause(user)]
    if group in ("expert", "institution") and (own := _own_institutions(user)) is not None:
        where.append(own)  # a shared session's other hospital is not theirs to see
    dim = _dimension(group, where, first=first, last=last)
    rows: dict = {}

    def row(key, name) -> Figures:
        if key not in rows:
            label = (KIND_LABELS[SessionKind(name)] if group == "kind" else
                     f"{month_starts(first, last)[key]:%Y-%m}" if group == "month" else name)
            rows[key] = Figures(key=key, name=str(label) if label is not None else "")
        return rows[key]

    session_of = Session.id == dim.c.sid

    def read(part: str, query) -> list:
        return db.session.execute(query).all() if part in parts else []

    for key, name, held, stopped in db.session.execute(
            select(dim.c.key, dim.c.name,
                   func.sum(case((Session.status == SessionStatus.COMPLETED, 1), else_=0)),
                   func.sum(case((Session.status == SessionStatus.STOPPED, 1), else_=0)))
            .join(Session, session_of).group_by(dim.c.key, dim.c.name)):
        figures = row(key, name)
        figures.sessions_held, figures.sessions_stopped = int(held or 0), int(stopped or 0)
    for key, kind, status, count in read("bookings",
            select(dim.c.key, Session.kind, Booking.status, func.count())
            .join(Session, session_of).join(Slot, Slot.session_id == Session.id)
            .join(Booking, Booking.slot_id == Slot.id)  # by the (slot_id, status) index
            .group_by(dim.c.key, Session.kind, Booking.status)):
        figures = rows[key]
        if status in VISITED:
            figures.attended += count
            if kind == SessionKind.CLINIC:
                figures.clinic_visits += count
            elif kind in GATHERINGS:
                figures.attendance += count
        elif status == BookingStatus.NO_SHOW:
            figures.no_shows += count
    for key, residents, doctors in read("people",
            select(dim.c.key,
                   func.count(distinct(case((Session.kind == SessionKind.CLINIC,
                                             Booking.person_key)))),
                   func.count(distinct(case((Session.audience == Audience.PROFESSIONAL,
                                             Booking.person_key)))))
            .join(Session, session_of).join(Slot, Slot.session_id == Session.id)
            .join(Booking, Booking.slot_id == Slot.id)  # by the (slot_id, status) index
            .where(Booking.status.in_(VISITED)).group_by(dim.c.key)):
        rows[key].residents_served, rows[key].doctors_trained = residents, doctors
    for key, made, taken in read("offers",
            # An offer made: one with its time, or one taken at once (auto-confirm).
            select(dim.c.key,
                   func.sum(case((or_(WaitlistEntry.offered_dt.is_not(None),
                                      WaitlistEntry.status == WaitlistStatus.ACCEPTED), 1),
                                 else_=0)),
                   func.sum(case((WaitlistEntry.status == WaitlistStatus.ACCEPTED, 1),
                                 else_=0)))
            .join(Slot, Slot.session_id == dim.c.sid)
            .join(WaitlistEntry, WaitlistEntry.slot_id == Slot.id).group_by(dim.c.key)):
        rows[key].offers_made, rows[key].offers_taken = int(made or 0), int(taken or 0)
    for key, kind, total in read("outcomes",
            select(dim.c.key, Session.kind, func.sum(SessionOutcome.count))
            .join(Session, session_of)
            .join(SessionOutcome, SessionOutcome.session_id == Session.id)
            .group_by(dim.c.key, Session.kind)):
        figures = rows[key]
        if kind == SessionKind.SURGERY:
            figures.surgeries += int(total)
        elif kind == SessionKind.WARD_ROUND:
            figures.ward_round_patients += int(total)
        elif kind in GATHERINGS:
            figures.attendance += int(total)
    days: dict = {}
    for key, expert_id, start in read("expert_days",
            select(dim.c.key, SessionExpert.expert_id, Session.start_dt)
            .join(Session, session_of)
            .join(SessionExpert, SessionExpert.session_id == Session.id)
            .where(Session.status == SessionStatus.COMPLETED)):
        days.setdefault(key, set()).add((expert_id, to_local(start).date()))
    for key, pairs in days.items():
        rows[key].expert_days = len(pairs)
    for figures in rows.values():
        figures.savings = figures.clinic_visits * saving
    return sorted(rows.values(), key=lambda f: (f.name, str(f.key)))


def report(user: User, *, first: date, last: date,
           group: str) -> tuple[list[Figures], Figures, int]:
    """The rows of ``group``, the total (each session once) and the saving per visit."""
    saving = saving_per_visit()
    rows = compute(user, first=first, last=last, group=group, saving=saving)
    total = compute(user, first=first, last=last, group=None, saving=saving)
    return rows, (total[0] if total else Figures(key=0, name="")), saving


def csv_rows(rows: list[Figures], total: Figures, group: str) -> list[list]:
    """The table as CSV rows: a header of labels, the groups, the total."""
    def cells(f: Figures) -> list:
        values = f.as_dict()
        return [values[name] if values[name] is not None else "" for name, _l_, _d in
                DEFINITIONS]
    header = [str(GROUPS[group])] + [str(label) for _n, label, _d in DEFINITIONS]
    return [header] + [[f.name, *cells(f)] for f in rows] + [[str(_l("合计")), *cells(total)]]


@dataclass(frozen=True)
class Chart:
    """Horizontal bars: per category, one bar for each series."""

    title: str
    categories: list[str]
    series: list[tuple[str, list[float]]]  # (name, a value per category)
    percent: bool = False

    @property
    def largest(self) -> float:
        return max([v for _n, values in self.series for v in values] + [0]) or 1


CHARTS = ("months", "townships", "kinds")


def chart(user: User, name: str, *, first: date, last: date) -> Chart:
    """``months`` — sessions held and clinic visits per month; ``townships`` — clinic
    visits per township, largest first; ``kinds`` — each kind's share of the sessions
    held."""
    if name == "months":
        rows = {f.key: f for f in compute(user, first=first, last=last, group="month",
                                          saving=0, parts=("sessions", "bookings"))}
        months = month_starts(first, last)
        figures = [rows.get(i) or Figures(key=i, name="") for i in range(len(months))]
        return Chart(str(_l("每月开展场次与门诊人次")), [f"{m:%Y-%m}" for m in months], [
            (str(_l("开展场次")), [f.sessions_held for f in figures]),
            (str(_l("门诊人次")), [f.clinic_visits for f in figures])])
    if name == "townships":
        rows = sorted(compute(user, first=first, last=last, group="township", saving=0,
                              parts=("sessions", "bookings")),
                      key=lambda f: (-f.clinic_visits, f.name))
        return Chart(str(_l("各乡镇门诊人次")), [f.name for f in rows],
                     [(str(_l("门诊人次")), [f.clinic_visits for f in rows])])
    rows = sorted(compute(user, first=first, last=last, group="kind", saving=0,
                          parts=("sessions",)), key=lambda f: (-f.sessions_held, f.name))
    held = sum(f.sessions_held for f in rows) or 1
    return Chart(str(_l("各类场次所占比例")), [f.name for f in rows],
                 [(str(_l("开展场次")), [f.sessions_held / held for f in rows])], percent=True)


# --- since the programme began -----------------------------------------------------------

YEAR_FIELDS = {
    "clinic_sessions": _l("门诊场次"), "clinic_visits": _l("门诊人次"),
    "surgeries": _l("手术台数"), "lectures_forums": _l("讲座、讲坛场次"),
    "attendance": _l("讲座到场人数"), "savings": _l("为居民节省（元）"),
}


@dataclass(frozen=True)
class YearRow:
    year: int
    values: dict  # YEAR_FIELDS → int
    entered: bool  # typed in by the office (a year before this system), else counted


def set_year(year: int, values: dict, *, by_id: int, now: datetime) -> None:
    """Enter (or correct) an earlier year's programme-wide totals (audited)."""
    row = db.session.get(ProgrammeYear, year)
    before = {k: getattr(row, k) for k in YEAR_FIELDS} if row is not None else None
    if row is None:
        row = ProgrammeYear(year=year)
        db.session.add(row)
    for key in YEAR_FIELDS:
        setattr(row, key, int(values[key]))
    row.updated_dt, row.updated_by_id = now, by_id
    db.session.flush()
    audit.record("programme.year", row, object_id=year, actor_id=by_id, now=now,
                 before=before, after={k: int(values[k]) for k in YEAR_FIELDS})


def cumulative(user: User, *, today: date) -> tuple[list[YearRow], dict]:
    """Every year since the programme began: the years the office entered, then the
    years this system counted (each year not entered, from its first session's year
    to this one); and their sum. A year entered is never also counted."""
    entered = {row.year: row for row in db.session.scalars(select(ProgrammeYear))}
    first = db.session.scalar(select(func.min(Session.start_dt)))
    first_year = to_local(first).year if first is not None else today.year
    saving = saving_per_visit()
    years = []
    for year in sorted(set(entered) | set(range(first_year, today.year + 1))):
        if year in entered:
            row = entered[year]
            years.append(YearRow(year, {k: getattr(row, k) for k in YEAR_FIELDS}, True))
            continue
        if year > today.year:
            continue
        kinds = {f.key: f for f in compute(user, first=date(year, 1, 1),
                                           last=min(date(year, 12, 31), today),
                                           group="kind", saving=saving,
                                           parts=("sessions", "bookings", "outcomes"))}
        every = list(kinds.values())
        held = {kind: kinds[kind].sessions_held if kind in kinds else 0 for kind in SessionKind}
        years.append(YearRow(year, {
            "clinic_sessions": held[SessionKind.CLINIC],
            "clinic_visits": sum(f.clinic_visits for f in every),
            "surgeries": sum(f.surgeries for f in every),
            "lectures_forums": held[SessionKind.LECTURE] + held[SessionKind.FORUM],
            "attendance": sum(f.attendance for f in every),
            "savings": sum(f.savings for f in every),
        }, False))
    total = {k: sum(y.values[k] for y in years) for k in YEAR_FIELDS}
    return years, total
