"""Outcomes recorded where they happen (issue #18): after a surgery the desk or the
expert's assistant records the operations done; after a ward round the patients seen;
after a lecture, forum or teaching visit the people who came without booking. One
count per session, editable until 7 days after it ends, every change audited. Rules on
the acting user and ``now``; the caller commits."""

from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.auth.models import User
from app.console import access
from app.core import audit
from app.core.errors import DomainError, NotFound
from app.extensions import db
from app.scheduling.models import (
    OUTCOME_KINDS,
    Session,
    SessionKind,
    SessionOutcome,
    SessionStatus,
)

EDIT_DAYS = 7
MAX_COUNT = 100_000
LABELS = {
    SessionKind.SURGERY: _l("完成手术台数"),
    SessionKind.WARD_ROUND: _l("查房看的病人数"),
    SessionKind.LECTURE: _l("未预约、现场来的人数"),
    SessionKind.FORUM: _l("未预约、现场来的人数"),
    SessionKind.TEACHING: _l("未预约、现场来的人数"),
}


def window(session: Session, *, now: datetime) -> str:
    """"open" while an outcome may be recorded, "early" before the session starts,
    "closed" after its 7 days (or for a kind without one, or a stopped session)."""
    if session.kind not in OUTCOME_KINDS or session.status not in (
            SessionStatus.PUBLISHED, SessionStatus.COMPLETED):
        return "closed"
    if now < session.start_dt:
        return "early"
    return "open" if now <= session.end_dt + timedelta(days=EDIT_DAYS) else "closed"


def record(session: Session, count: int, *, by: User, now: datetime) -> SessionOutcome:
    """Record (or correct) the session's outcome; refusals say why."""
    if not access.can_manage(by, session):
        raise NotFound(_("找不到这个场次"))
    state = window(session, now=now)
    if state == "early":
        raise DomainError(_("场次开始后才能填写"), code="count")
    if state == "closed":
        raise DomainError(_("只能在场次结束后 %(n)s 天内填写或修改", n=EDIT_DAYS), code="count")
    if not 0 <= count <= MAX_COUNT:
        raise DomainError(_("请填写 0 到 %(n)s 之间的整数", n=MAX_COUNT), code="count")
    outcome = db.session.get(SessionOutcome, session.id)
    before = outcome.count if outcome is not None else None
    if outcome is None:
        outcome = SessionOutcome(session_id=session.id, count=count, recorded_by_id=by.id,
                                 recorded_dt=now, updated_dt=now)
        db.session.add(outcome)
    elif before != count:
        outcome.count, outcome.recorded_by_id, outcome.updated_dt = count, by.id, now
    if before != count:
        db.session.flush()
        audit.record("session.outcome", session, actor_id=by.id, now=now,
                     before={"count": before}, after={"count": count})
    return outcome
