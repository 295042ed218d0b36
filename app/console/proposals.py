"""Experts propose, coordinators plan (提议出诊).

An expert — or their assistant, or an admin for them — proposes time: some weekdays'
mornings or afternoons between two dates (one date when they are equal), with the
townships they would like to serve (none: anywhere) and a note. A coordinator sees the
open proposals for the townships of their venues — the experts born there first (乡情)
— and turns one into a session (one date) or a series (a range) in one step: the
planning form opens filled in, and saving it marks the proposal planned and tells the
expert by SMS and inbox, in the same unit of work. Services flush; the caller commits.
"""

from datetime import date, datetime
from functools import partial

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import Role, User
from app.console import access
from app.console.queries import DAY_PARTS
from app.core import audit
from app.core.errors import DomainError, NotFound
from app.core.formatting import short_date, short_datetime
from app.core.time import local_today
from app.directory.models import Expert, Township, Venue, VenueCoordinator
from app.extensions import db
from app.notifications import compose
from app.scheduling.labels import KIND_LABELS, rule_words
from app.scheduling.models import HalfDay, Proposal, ProposalStatus, Session, SessionSeries

MAX_DAYS = 183  # a proposal covers at most half a year
HALF_TIMES = {HalfDay(key): (start, end) for key, _first, start, end in DAY_PARTS
              if key in {h.value for h in HalfDay}}


def proposable_experts(user: User) -> list[Expert]:
    """The experts ``user`` may propose for: an admin any, an expert themself, an
    assistant their experts (not retired ones)."""
    return [e for e in access.busy_experts(user) if e.is_enabled]


def propose(*, expert_id: int, first_day: date, last_day: date | None, weekdays: list[int],
            half: HalfDay, township_ids: list[int], note: str, by: User,
            now: datetime) -> Proposal:
    """A new open proposal (audited); refusals say what to change."""
    if expert_id not in {e.id for e in proposable_experts(by)}:
        raise NotFound(_("找不到这位专家"))
    last_day = last_day or first_day
    if first_day < local_today(now):
        raise DomainError(_("不能提议已经过去的日期"), code="first_day")
    if last_day < first_day:
        raise DomainError(_("结束日期不能早于开始日期"), code="last_day")
    if (last_day - first_day).days > MAX_DAYS:
        raise DomainError(_("一次最多提议半年"), code="last_day")
    if first_day == last_day:
        weekdays = [first_day.weekday()]
    elif not weekdays or not set(weekdays) <= set(range(7)):
        raise DomainError(_("请选择每周哪几天"), code="weekdays")
    townships = sorted(set(township_ids))
    if townships and len(db.session.scalars(select(Township.id).where(
            Township.id.in_(townships), Township.is_enabled)).all()) != len(townships):
        raise DomainError(_("所选的乡镇不存在或已停用"), code="townships")
    proposal = Proposal(expert_id=expert_id, proposed_by_id=by.id, first_day=first_day,
                        last_day=last_day, weekdays=sorted(set(weekdays)), half=half,
                        township_ids=townships, note=note.strip()[:300],
                        status=ProposalStatus.OPEN, created_dt=now, updated_dt=now)
    db.session.add(proposal)
    db.session.flush()
    audit.record("proposal.create", proposal, actor_id=by.id, now=now, after={
        "expert_id": expert_id, "first_day": first_day.isoformat(),
        "last_day": last_day.isoformat(), "weekdays": proposal.weekdays,
        "half": half.value, "township_ids": townships})
    return proposal


def withdraw(proposal_id: int, *, by: User, now: datetime) -> Proposal:
    """The proposer's side takes back an open proposal."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.expert_id not in {e.id for e in proposable_experts(by)}:
        raise NotFound(_("找不到这条提议"))
    if proposal.status != ProposalStatus.OPEN:
        raise DomainError(_("这条提议已经排定或撤回"), code="status")
    proposal.status, proposal.updated_dt = ProposalStatus.WITHDRAWN, now
    db.session.flush()
    audit.record("proposal.withdraw", proposal, actor_id=by.id, now=now,
                 before={"status": "open"}, after={"status": "withdrawn"})
    return proposal


def decline(proposal_id: int, answer: str, *, by: User, now: datetime) -> Proposal:
    """A coordinator (or admin) who may plan an open proposal says it cannot be met,
    and why: the expert hears it by SMS and inbox, their assistants by inbox — so a
    proposal does not wait for ever without a word."""
    answer = answer.strip()
    if not answer:
        raise DomainError(_("请写一句原因，专家会看到"), code="answer")
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None or proposal.id not in {p.id for p in to_plan(by, now=now)}:
        raise NotFound(_("找不到这条提议"))
    proposal.status, proposal.answer, proposal.updated_dt = (
        ProposalStatus.DECLINED, answer[:200], now)
    proposal.planned_by_id = by.id
    db.session.flush()
    audit.record("proposal.decline", proposal, actor_id=by.id, now=now,
                 before={"status": "open"}, after={"status": "declined", "note": answer[:200]})
    expert = proposal.expert
    values = {"expert": expert.name, "when": partial(describe, proposal),
              "reason": answer[:200]}
    if expert.user is not None:
        to = compose.recipient_of(expert.user)
        compose.send("proposal_declined", compose.render("proposal_declined",
                                                         locale=to.locale, **values),
                     now=now, to=to, phone=expert.user.phone)
    compose.tell_accounts(expert.assistants, "proposal_declined", now=now, **values)
    return proposal


def _coordinated_townships(user: User) -> set[int]:
    return set(db.session.scalars(
        select(Venue.township_id).join(VenueCoordinator, VenueCoordinator.venue_id == Venue.id)
        .where(VenueCoordinator.user_id == user.id)))


def to_plan(user: User, *, now: datetime) -> list[Proposal]:
    """The open proposals still to come that ``user`` may plan: an admin's every one,
    a coordinator's those for the townships of their venues (or for anywhere). The
    experts born in those townships first, then by first day."""
    if not (user.has_role(Role.ADMIN) or user.has_role(Role.COORDINATOR)):
        return []
    proposals = db.session.scalars(
        select(Proposal).options(selectinload(Proposal.expert))
        .where(Proposal.status == ProposalStatus.OPEN, Proposal.last_day >= local_today(now))
        .order_by(Proposal.first_day, Proposal.id)).all()
    if user.has_role(Role.ADMIN):
        mine = {t for (t,) in db.session.execute(select(Venue.township_id))}
    else:
        mine = _coordinated_townships(user)
        proposals = [p for p in proposals if not p.township_ids or mine & set(p.township_ids)]
    return sorted(proposals, key=lambda p: p.expert.native_township_id not in mine)


def own(user: User) -> list[Proposal]:
    """The proposals of the experts ``user`` proposes for, newest first (admins: none
    here — they see every open one in ``to_plan``)."""
    if user.has_role(Role.ADMIN):
        return []
    ids = [e.id for e in proposable_experts(user)]
    return db.session.scalars(select(Proposal).options(selectinload(Proposal.expert))
                              .where(Proposal.expert_id.in_(ids))
                              .order_by(Proposal.id.desc()).limit(100)).all()


def planning_venues(user: User, proposals: list[Proposal]) -> dict[int, list[Venue]]:
    """Where ``user`` may plan each of ``proposals``, by proposal id: their venues in
    its preferred townships (all their venues when it has none). One statement."""
    venues = access.planning_venues(user)
    return {p.id: [v for v in venues if not p.township_ids or v.township_id in p.township_ids]
            for p in proposals}


def form_args(proposal: Proposal, venue: Venue) -> dict:
    """The query of the planning form, filled in from ``proposal`` at ``venue``."""
    start, end = HALF_TIMES[proposal.half]
    args = {"proposal": proposal.id, "venue": venue.id, "experts": proposal.expert_id,
            "kind": "clinic", "start": start.strftime("%H:%M"), "end": end.strftime("%H:%M")}
    if proposal.one_day:
        return {**args, "day": proposal.first_day.isoformat()}
    return {**args, "first_day": proposal.first_day.isoformat(),
            "last_day": proposal.last_day.isoformat(), "weekdays": proposal.weekdays}


def mark_planned(proposal_id: int, *, session: Session | None = None,
                 series: SessionSeries | None = None, by: User, now: datetime) -> None:
    """``proposal_id`` became ``session`` or ``series`` (just planned by ``by``): mark it
    and tell the expert by SMS and inbox (their assistants by inbox). Refused when the
    proposal is not open, is another expert's, or is not one ``by`` may plan
    (``to_plan``: their townships)."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("找不到这条提议"))
    planned = session or series
    expert_ids = ([e.id for e in session.experts] if session is not None
                  else list(series.expert_ids))
    if proposal.status != ProposalStatus.OPEN or proposal.expert_id not in expert_ids:
        raise DomainError(_("这条提议已经排定或撤回，或者不是这位专家的"), code="proposal")
    if proposal.id not in {p.id for p in to_plan(by, now=now)}:
        raise DomainError(_("这条提议不在您负责的乡镇"), code="proposal")
    proposal.status, proposal.planned_by_id, proposal.updated_dt = (
        ProposalStatus.PLANNED, by.id, now)
    proposal.session_id = session.id if session is not None else None
    proposal.series_id = series.id if series is not None else None
    db.session.flush()
    audit.record("proposal.plan", proposal, actor_id=by.id, now=now,
                 before={"status": "open"},
                 after={"status": "planned", "session_id": proposal.session_id,
                        "series_id": proposal.series_id})
    expert = proposal.expert
    venue = db.session.get(Venue, planned.venue_id)
    if session is not None:
        when, what = partial(short_datetime, session.start_dt), session.display_title
        link = compose.site_link(f"/s/{session.id}")
    else:  # the series' days, as its page lists them
        when = partial(_series_when, series.first_day, series.rule)
        what, link = series.title or str(KIND_LABELS[series.kind]), ""
    values = {"expert": expert.name, "when": when, "place": venue.name, "what": what,
              "link": link}
    if expert.user is not None:
        to = compose.recipient_of(expert.user)
        compose.send("proposal_planned", compose.render("proposal_planned", locale=to.locale,
                                                        **values),
                     now=now, to=to, phone=expert.user.phone)
    compose.tell_accounts(expert.assistants, "proposal_planned", now=now, **values)


def _series_when(first_day: date, rule: str) -> str:
    return _("%(first)s起%(rule)s", first=short_date(first_day), rule=rule_words(rule))


def describe(proposal: Proposal) -> str:
    """'12月8日 上午' or '12月8日–2月28日 每周二、四 上午', in the reader's language."""
    half = _("上午") if proposal.half == HalfDay.MORNING else _("下午")
    if proposal.one_day:
        return f"{short_date(proposal.first_day)} {half}"
    names = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]
    days = "、".join(names[d] for d in proposal.weekdays)
    return _("%(first)s–%(last)s 每%(days)s %(half)s", first=short_date(proposal.first_day),
             last=short_date(proposal.last_day), days=days, half=half)
