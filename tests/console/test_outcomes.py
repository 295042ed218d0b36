"""Issue #18, item 1: outcomes recorded where they happen — operations after a surgery,
patients seen on a ward round, people who came to a lecture without booking — by the
desk or the expert's assistant, from the session's start until 7 days after it ends,
every change audited."""

from datetime import time, timedelta

from sqlalchemy import select

from app.core.models import AuditEntry
from app.extensions import db
from app.scheduling.models import SessionKind, SessionOutcome
from tests.factories import (
    TODAY,
    create_assistant,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_session,
)
from tests.helpers import login_as, post_form


def _surgery(day=TODAY, start=time(8, 0)):
    expert = create_expert()
    session = create_session(day=day, start=start, kind=SessionKind.SURGERY, slots=0,
                             experts=[expert])
    db.session.commit()
    return session, expert


def test_the_desk_records_and_corrects_the_operations_done(db, client):
    session, _expert = _surgery()  # today 08:00–11:30; the clock says 09:00
    login_as(client, create_coordinator(session.venue))
    page = client.get(f"/console/sessions/{session.id}").text
    assert "完成手术台数" in page

    path = f"/console/sessions/{session.id}/outcome"
    assert post_form(client, path, {"count": "6"}, page=f"/console/sessions/{session.id}"
                     ).status_code == 302
    post_form(client, path, {"count": "7"}, page=f"/console/sessions/{session.id}")
    db.session.expire_all()

    assert db.session.get(SessionOutcome, session.id).count == 7
    assert [(e.before, e.after) for e in db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "session.outcome")
        .order_by(AuditEntry.id))] == [({"count": None}, {"count": 6}),
                                       ({"count": 6}, {"count": 7})]


def test_the_window_and_bad_input(db, client):
    later, _e = _surgery(day=TODAY + timedelta(days=1))
    old, _e2 = _surgery(day=TODAY - timedelta(days=8))
    ward = create_session(kind=SessionKind.WARD_ROUND, slots=0)
    db.session.commit()
    admin_like = create_coordinator(later.venue, old.venue, ward.venue)
    login_as(client, admin_like)

    for session, data, message in [
            (later, {"count": "3"}, "场次开始后才能填写"),
            (ward, {"count": "-1"}, "请填写 0 到 100000 之间的整数"),
            (ward, {"count": "很多"}, "不是有效的整数")]:
        page = post_form(client, f"/console/sessions/{session.id}/outcome", data,
                         page=f"/console/sessions/{session.id}")
        assert page.status_code == 200 and message in page.text, (session.kind, message)
    # Eight days after it ended: the form is gone and a post is refused.
    assert "完成手术台数" not in client.get(f"/console/sessions/{old.id}").text
    page = post_form(client, f"/console/sessions/{old.id}/outcome", {"count": "3"},
                     page=f"/console/sessions/{old.id}")
    assert "只能在场次结束后 7 天内填写或修改" in page.text
    assert db.session.scalar(select(SessionOutcome)) is None


def test_who_records(db, client):
    session, expert = _surgery()
    login_as(client, create_assistant(expert))
    assert post_form(client, f"/console/sessions/{session.id}/outcome", {"count": "2"},
                     page=f"/console/sessions/{session.id}").status_code == 302
    login_as(client, create_expert_user(expert))  # sees it, changes nothing
    page = client.get(f"/console/sessions/{session.id}").text
    assert "完成手术台数：<strong>2</strong>" in page
    assert post_form(client, f"/console/sessions/{session.id}/outcome", {"count": "9"},
                     page=f"/console/sessions/{session.id}").status_code == 403
    db.session.expire_all()
    assert db.session.get(SessionOutcome, session.id).count == 2
