"""The programme office's planning on a phone (issue #17): a township doctor refers a
patient into a kept place; an expert proposes a morning, the coordinator plans it from
the proposal in one step, and the expert's circuit shows the day."""

from datetime import timedelta

from sqlalchemy import select

from app.bookings.models import Booking, BookingSource
from app.scheduling.models import Proposal, ProposalStatus
from tests.browser.conftest import sign_in
from tests.factories import (
    NOW,
    TODAY,
    create_coordinator,
    create_expert,
    create_expert_user,
    create_session,
    create_township,
    create_township_doctor,
    create_venue,
    make_id_number,
)
from tests.helpers import PASSWORD


def test_a_referral_a_proposal_planned_and_the_circuit(db, site, phone):
    township = create_township(name="官庄镇")
    centre = create_venue(name="官庄镇卫生院", township=township)
    expert = create_expert(name="易建华", native_township=township)
    session = create_session(day=TODAY + timedelta(days=3), venue=centre, slots=2,
                             capacity=4, hours=1, experts=[expert])
    for slot in session.slots:
        slot.reserved, slot.reserved_until = 2, NOW + timedelta(days=2)
    doctor = create_township_doctor(centre, name="刘医生", password=PASSWORD)
    account = create_expert_user(expert, password=PASSWORD)
    coordinator = create_coordinator(centre, password=PASSWORD)
    db.session.commit()

    # The township doctor refers a patient into a kept place.
    sign_in(phone, site, doctor, "/console/referrals")
    phone.shot("referrals")
    phone.get_by_role("link", name="官庄镇卫生院").first.click()
    phone.get_by_label("姓名").fill("王秀兰")
    phone.get_by_label("身份证号码（18位）").fill(make_id_number(seq=88))
    phone.get_by_label("转诊说明（病情、为什么转诊；专家会看到，200字以内）").fill("血压控制不佳")
    phone.shot("refer-form")
    phone.get_by_role("button", name="转诊预约").click()
    phone.get_by_text("已转诊：王秀兰").wait_for()
    phone.shot("referred")
    db.session.commit()
    assert db.session.scalars(select(Booking.source)).all() == [BookingSource.REFERRAL]

    # The expert proposes a morning at home.
    phone.context.clear_cookies()
    sign_in(phone, site, account, "/console/proposals/new")
    monday = TODAY + timedelta(days=6)
    phone.get_by_label("日期（或从哪天起）").fill(monday.isoformat())
    phone.get_by_label("想去的乡镇（可多选；不选：哪里都可以）").select_option(str(township.id))
    phone.shot("propose")
    phone.get_by_role("button", name="提交").click()
    phone.get_by_text("等待排班").wait_for()

    # The coordinator plans it in one step.
    phone.context.clear_cookies()
    sign_in(phone, site, coordinator, "/console/proposals")
    phone.shot("to-plan")
    phone.get_by_role("link", name="在官庄镇卫生院排一场").click()
    phone.get_by_label("保存为").select_option("published")
    phone.shot("planned-form")
    phone.get_by_role("button", name="保存").click()
    phone.get_by_text("场次已创建").wait_for()
    db.session.commit()
    assert db.session.scalar(select(Proposal.status)) == ProposalStatus.PLANNED

    phone.goto(f"{site}/console/experts/{expert.id}/circuit?start={monday.isoformat()}")
    phone.get_by_text("易建华的巡回安排").wait_for()
    phone.shot("circuit")
    assert "官庄镇卫生院 · 官庄镇" in phone.locator("main").inner_text()
