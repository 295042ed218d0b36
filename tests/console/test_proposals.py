"""Issue #17, item 4: experts propose, coordinators plan. An expert (or their
assistant) proposes days, a half-day and preferred townships; the coordinator of a
venue in one of those townships sees it — hometown experts first — and turns it into a
session or a series in one step; the expert hears of it by SMS and inbox."""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from app.console import proposals
from app.core.errors import DomainError
from app.extensions import db
from app.notifications.models import Channel, Message
from app.scheduling.models import HalfDay, Proposal, ProposalStatus, Session, SessionSeries
from tests.factories import (
    NOW,
    TODAY,
    create_assistant,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_township,
    create_venue,
)
from tests.helpers import login_as, post_form

MONDAY = TODAY + timedelta(days=6)  # 7 December 2026


@pytest.fixture
def world(db):
    guanzhuang, pukou = create_township(name="官庄镇"), create_township(name="浦口镇")
    centre = create_venue(name="官庄镇卫生院", township=guanzhuang)
    far = create_venue(name="浦口镇卫生院", township=pukou)
    expert = create_expert(name="易建华", native_township=guanzhuang)
    other = create_expert(name="外乡专家")
    account = create_expert_user(expert, phone="13700000001")
    coordinator = create_coordinator(centre)
    far_coordinator = create_coordinator(far)
    db.session.commit()
    return {"guanzhuang": guanzhuang, "pukou": pukou, "centre": centre, "far": far,
            "expert": expert, "other": other, "account": account,
            "coordinator": coordinator, "far_coordinator": far_coordinator}


def _propose(world, *, by=None, **kw):
    values = {"expert_id": world["expert"].id, "first_day": MONDAY, "last_day": None,
              "weekdays": [], "half": HalfDay.MORNING,
              "township_ids": [world["guanzhuang"].id], "note": "", **kw}
    proposal = proposals.propose(**values, by=by or world["account"], now=NOW)
    db.session.commit()
    return proposal


def test_an_expert_proposes_on_the_page(world, client):
    login_as(client, world["account"])
    response = post_form(client, "/console/proposals/new", {
        "expert": world["expert"].id, "first_day": MONDAY.isoformat(),
        "last_day": (MONDAY + timedelta(days=27)).isoformat(), "weekdays": ["1", "3"],
        "half": "afternoon", "townships": [str(world["guanzhuang"].id)],
        "note": "周二、周四下午有空"})

    assert response.status_code == 302
    proposal = db.session.scalar(select(Proposal))
    assert (proposal.weekdays, proposal.half, proposal.township_ids, proposal.status) == (
        [1, 3], HalfDay.AFTERNOON, [world["guanzhuang"].id], ProposalStatus.OPEN)
    page = client.get("/console/proposals").text
    assert "12月7日–1月3日 每周二、周四 下午" in page and "等待排班" in page
    assert "会用短信和站内消息通知您" in page  # the expert hears of it themself


def test_an_assistant_proposing_is_told_the_expert_will_hear(world, client):
    assistant = create_assistant(world["expert"])
    db.session.commit()
    login_as(client, assistant)
    form = client.get("/console/proposals/new").text
    assert "告诉排班员专家哪天" in form
    post_form(client, "/console/proposals/new", {
        "expert": world["expert"].id, "first_day": MONDAY.isoformat(), "half": "morning"})

    page = client.get("/console/proposals").text
    assert "会用短信和站内消息通知专家和助手" in page and "通知您" not in page


def test_bad_proposals_are_refused_with_a_message(world):
    cases = [({"first_day": TODAY - timedelta(days=1)}, "不能提议已经过去的日期"),
             ({"last_day": MONDAY + timedelta(days=7)}, "请选择每周哪几天"),
             ({"last_day": MONDAY - timedelta(days=1)}, "结束日期不能早于开始日期"),
             ({"last_day": MONDAY + timedelta(days=200), "weekdays": [0]}, "一次最多提议半年"),
             ({"township_ids": [99999]}, "所选的乡镇不存在或已停用"),
             ({"expert_id": world["other"].id}, "找不到这位专家")]
    for values, message in cases:
        with pytest.raises(DomainError, match=message):
            _propose(world, **values)
        db.session.rollback()
    assert db.session.scalar(select(Proposal)) is None


def test_coordinators_see_the_proposals_for_their_townships_hometown_first(world):
    stranger = _propose(world, expert_id=world["other"].id,
                        by=create_assistant(world["other"]), township_ids=[])
    db.session.commit()
    hometown = _propose(world)
    elsewhere = _propose(world, township_ids=[world["pukou"].id])

    assert proposals.to_plan(world["coordinator"], now=NOW) == [hometown, stranger]
    assert proposals.to_plan(world["far_coordinator"], now=NOW) == [stranger, elsewhere]
    assert proposals.to_plan(world["account"], now=NOW) == []


def test_a_coordinator_turns_a_day_into_a_session_in_one_step(world, client):
    proposal = _propose(world, note="带B超")
    login_as(client, world["coordinator"])
    page = client.get("/console/proposals").text
    link = re.search(r'href="(/console/sessions/new\?[^"]+)"', page).group(1).replace(
        "&amp;", "&")
    args = parse_qs(urlsplit(link).query)
    assert (args["day"], args["start"], args["venue"], args["experts"]) == (
        [MONDAY.isoformat()], ["08:00"], [str(world["centre"].id)], [str(world["expert"].id)])

    form = client.get(link).text
    assert f'value="{proposal.id}"' in form and 'value="2026-12-07"' in form
    data = {k: v for k, v in args.items()}
    data.update({"kind": "clinic", "end": "11:30", "audience": "public", "slot_minutes": "30",
                 "per_slot": "5", "status": "published"})
    response = post_form(client, "/console/sessions/new", data, page=link)

    assert response.status_code == 302
    db.session.expire_all()
    session = db.session.scalar(select(Session))
    proposal = db.session.get(Proposal, proposal.id)
    assert (proposal.status, proposal.session_id, proposal.planned_by_id) == (
        ProposalStatus.PLANNED, session.id, world["coordinator"].id)
    told = db.session.execute(select(Message.channel, Message.recipient, Message.body).where(
        Message.kind == "proposal_planned")).all()
    assert {channel for channel, _r, _b in told} == {Channel.SMS, Channel.INBOX}
    sms = next(body for channel, _r, body in told if channel == Channel.SMS)
    assert "易建华医生：您提出的出诊时间已排定：12月7日 08:00 官庄镇卫生院" in sms
    assert next(r for c, r, _b in told if c == Channel.SMS) == "13700000001"


def test_a_range_becomes_a_series(world, client):
    proposal = _propose(world, last_day=MONDAY + timedelta(days=27), weekdays=[1],
                        half=HalfDay.AFTERNOON)
    login_as(client, world["coordinator"])
    link = re.search(r'href="(/console/series/new\?[^"]+)"',
                     client.get("/console/proposals").text).group(1).replace("&amp;", "&")
    form = client.get(link).text
    assert 'value="2026-12-07"' in form and 'value="2027-01-03"' in form
    assert re.search(r'<input checked[^>]*name="skip_holidays"', form)  # as a new series
    data = {k: v for k, v in parse_qs(urlsplit(link).query).items()}
    data.update({"kind": "clinic", "end": "17:00", "audience": "public", "slot_minutes": "30",
                 "per_slot": "5", "skip_holidays": "y"})

    response = post_form(client, "/console/series/new", data, page=link)

    assert response.status_code == 302, re.findall(r'error[^>]*>([^<]+)', response.text)
    db.session.expire_all()
    series = db.session.scalar(select(SessionSeries))
    assert db.session.get(Proposal, proposal.id).series_id == series.id
    assert len(db.session.scalars(select(Session).where(Session.series_id == series.id)
                                  ).all()) == 4  # the Tuesdays 8, 15, 22 and 29 December
    sms = db.session.scalar(select(Message.body).where(
        Message.kind == "proposal_planned", Message.channel == Channel.SMS))
    assert "已排定：12月7日起每周二 " in sms and " 。" not in sms


def test_withdrawing_and_who_may(world, client):
    proposal = _propose(world)
    login_as(client, create_assistant(world["other"]))
    assert post_form(client, f"/console/proposals/{proposal.id}/withdraw", {},
                     page="/console/proposals").status_code == 404
    login_as(client, world["account"])
    post_form(client, f"/console/proposals/{proposal.id}/withdraw", {},
              page="/console/proposals")
    db.session.expire_all()
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.WITHDRAWN
    assert proposals.to_plan(world["coordinator"], now=NOW) == []
    login_as(client, world["coordinator"])
    assert client.get("/console/proposals/new").status_code == 403


def test_a_proposal_for_other_townships_is_not_marked_by_a_planner_elsewhere(world):
    proposal = _propose(world)  # for 官庄镇
    session = create_session_for(world["expert"], world["far"])

    with pytest.raises(DomainError, match="这条提议不在您负责的乡镇"):
        proposals.mark_planned(proposal.id, session=session, by=world["far_coordinator"],
                               now=NOW)
    db.session.rollback()
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.OPEN


def create_session_for(expert, venue):
    from tests.factories import create_session

    session = create_session(day=MONDAY, venue=venue, experts=[expert])
    db.session.commit()
    return session


def test_a_coordinator_declines_with_a_reason_the_expert_reads(world, client):
    """A proposal nobody could meet waited for ever and the expert never heard back."""
    proposal = _propose(world)
    login_as(client, world["far_coordinator"])  # not their township: not theirs to answer
    assert post_form(client, f"/console/proposals/{proposal.id}/decline",
                     {"answer": "不行"}, page="/console/proposals").status_code == 404
    login_as(client, world["coordinator"])
    empty = post_form(client, f"/console/proposals/{proposal.id}/decline", {"answer": " "},
                      page="/console/proposals")
    assert db.session.get(Proposal, proposal.id).status == ProposalStatus.OPEN
    assert "请写一句原因，专家会看到" in client.get(empty.headers["Location"]).text

    response = post_form(client, f"/console/proposals/{proposal.id}/decline",
                         {"answer": "那周卫生院装修，下个月再排"}, page="/console/proposals")

    assert response.status_code == 302
    db.session.expire_all()
    declined = db.session.get(Proposal, proposal.id)
    assert (declined.status, declined.answer) == (ProposalStatus.DECLINED,
                                                  "那周卫生院装修，下个月再排")
    sms = db.session.scalar(select(Message.body).where(
        Message.kind == "proposal_declined", Message.channel == Channel.SMS))
    assert "易建华医生：您提出的出诊时间（12月7日 上午）这次排不了：那周卫生院装修" in sms
    assert "易建华" not in client.get("/console/proposals").text.split("待排班")[1]
    login_as(client, world["account"])
    assert "这次排不了：那周卫生院装修，下个月再排" in client.get("/console/proposals").text
