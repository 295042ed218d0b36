"""The admin's booking policy and audit log pages."""

import re

from sqlalchemy import select

from app.bookings.models import BookingPolicy
from app.core.models import AuditEntry
from tests.console.helpers import csrf, flashes
from tests.factories import NOW, create_admin, create_coordinator, create_session, create_venue
from tests.helpers import PASSWORD

POLICY_FORM = {
    "release_days": "7", "release_time": "08:00", "booking_cutoff_minutes": "60",
    "cancel_cutoff_minutes": "120", "one_per_session": "y", "max_active_per_person": "3",
    "noshow_limit": "3", "noshow_window_days": "90", "suspension_days": "30",
    "waitlist_offer_minutes": "30",
}


def _admin(db, login_as):
    admin = create_admin(password=PASSWORD)
    db.session.commit()
    login_as(admin)
    return admin


def _save_policy(client, **changes):
    token = csrf(client.get("/admin/policy").text)
    return client.post("/admin/policy", data={"csrf_token": token, **POLICY_FORM, **changes},
                       follow_redirects=True)


def test_policy_page_shows_the_defaults(db, client, login_as):
    _admin(db, login_as)

    html = client.get("/admin/policy").text

    values = dict(re.findall(r'<input id="(\w+)"[^>]* value="([^"]*)"', html))
    assert {k: values[k] for k in ("release_days", "release_time", "noshow_limit")} == {
        "release_days": "7", "release_time": "08:00", "noshow_limit": "3"}


def test_admin_changes_the_policy_and_it_is_audited(db, client, login_as):
    admin = _admin(db, login_as)

    page = _save_policy(client, release_time="07:30", noshow_limit="2",
                        waitlist_auto_confirm="y")

    assert flashes(page.text) == ["预约规则已保存。"]
    policy = db.session.get(BookingPolicy, 1)
    assert (policy.release_minute, policy.noshow_limit, policy.waitlist_auto_confirm,
            policy.updated_by_id, policy.updated_dt) == (450, 2, True, admin.id, NOW)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "policy.update"))
    assert (entry.actor_id, entry.object_type, entry.object_id) == (
        admin.id, "booking_policies", 1)
    assert (entry.before, entry.after) == (
        {"release_minute": 480, "noshow_limit": 3, "waitlist_auto_confirm": False},
        {"release_minute": 450, "noshow_limit": 2, "waitlist_auto_confirm": True})


def test_saving_the_policy_again_changes_the_saved_row(db, client, login_as):
    _admin(db, login_as)
    _save_policy(client, noshow_limit="2")

    page = _save_policy(client, noshow_limit="4", one_per_session="")

    policy = db.session.get(BookingPolicy, 1)
    db.session.refresh(policy)
    assert (policy.noshow_limit, policy.one_per_session) == (4, False)
    assert flashes(page.text) == ["预约规则已保存。"]
    assert db.session.scalars(select(AuditEntry.after).where(
        AuditEntry.action == "policy.update").order_by(AuditEntry.id)).all() == [
        {"noshow_limit": 2}, {"noshow_limit": 4, "one_per_session": False}]


def test_policy_refuses_negative_numbers_and_zero_limits(db, client, login_as):
    _admin(db, login_as)

    page = _save_policy(client, release_days="-1", max_active_per_person="0",
                        release_time="25:00")

    assert page.text.count("请填写 0 到 90 之间的整数") == 1
    assert page.text.count("请填写 1 到 50 之间的整数") == 1
    assert db.session.get(BookingPolicy, 1) is None
    assert db.session.scalar(select(AuditEntry.id)) is None


def test_the_admin_sets_limits_per_day_week_and_month(db, client, login_as):
    _admin(db, login_as)

    page = _save_policy(client, max_per_day="2", max_per_week="4", max_per_month="8")

    assert "预约规则已保存" in page.text
    policy = db.session.get(BookingPolicy, 1)
    assert policy.period_limits == {"day": 2, "week": 4, "month": 8}
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "policy.update"))
    assert entry.after == {"max_per_day": 2, "max_per_week": 4, "max_per_month": 8}

    page = _save_policy(client, max_per_day="", max_per_week="4", max_per_month="8")
    db.session.refresh(policy)
    assert policy.period_limits == {"week": 4, "month": 8}  # blank: no limit per day

    for bad, message in [({"max_per_day": "5", "max_per_week": "4"},
                          "每天的上限不能大于每周的，每周的不能大于每月的"),
                         ({"max_per_month": "0"}, "请填写 1 到 200 之间的整数"),
                         ({"max_per_week": "two"}, "不是有效的整数")]:
        page = _save_policy(client, **{"max_per_week": "4", "max_per_month": "8", **bad})
        assert message in page.text, bad
    db.session.refresh(policy)
    assert policy.period_limits == {"week": 4, "month": 8}


def test_policy_and_audit_are_for_admins_only(db, client, login_as):
    coordinator = create_coordinator(create_venue(), password=PASSWORD)
    db.session.commit()

    assert client.get("/admin/policy").status_code == 302
    login_as(coordinator)
    assert client.get("/admin/policy").status_code == 403
    assert client.get("/admin/audit").status_code == 403


def test_audit_page_lists_entries_newest_first_and_filters(db, client, login_as):
    admin = _admin(db, login_as)
    session = create_session()
    db.session.commit()
    _save_policy(client, noshow_limit="2")
    token = csrf(client.get(f"/console/sessions/{session.id}").text)
    client.post(f"/console/sessions/{session.id}/stop",
                data={"csrf_token": token, "reason": "暴雨"})

    html = client.get("/admin/audit").text
    sessions_only = client.get("/admin/audit?object_type=sessions").text
    by_phone = client.get(f"/admin/audit?actor={admin.phone}").text

    assert re.findall(r"<strong>[^<]*· ([^<]+)</strong>", html) == ["停诊", "修改预约规则"]
    assert f"{admin.name} {admin.phone}" in html
    assert "爽约几次暂停: 3 → 2" in html  # named, not noshow_limit (issue #16, item 14)
    assert "状态: 已发布 → 已停诊" in html
    assert re.findall(r"<strong>[^<]*· ([^<]+)</strong>", sessions_only) == ["停诊"]
    assert "共 2 条" in by_phone
    assert "没有这个手机号的账号" in client.get("/admin/audit?actor=13000000000").text


def test_the_audit_log_shows_moments_in_local_time(db, client, login_as):
    _admin(db, login_as)
    from app.core import audit
    from tests.factories import NOW

    session = create_session()
    audit.record("session.update", session, actor_id=None, now=NOW,
                 before={"start_dt": "2026-12-03T00:00:00+00:00"},
                 after={"start_dt": "2026-12-03T01:30:00+00:00"})
    db.session.commit()
    assert "开始: 12月3日 08:00 → 12月3日 09:30" in client.get("/admin/audit").text


def test_the_audit_log_shows_codes_and_ids_in_words(db, client, login_as):
    """Kinds, half days, proposal statuses, yes/no, nothing and ids of the directory
    are shown by name (the log showed clinic, afternoon, False, None and 地点: 4)."""
    _admin(db, login_as)
    from app.core import audit
    from tests.factories import NOW, create_expert

    venue, expert = create_venue(name="浦口镇卫生院"), create_expert(name="欧阳医生")
    session = create_session(venue=venue)
    audit.record("session.update", session, actor_id=None, now=NOW,
                 before={"kind": "clinic", "half": "afternoon", "status": "open",
                         "skip_holidays": False, "venue_id": None, "expert_ids": []},
                 after={"kind": "lecture", "half": "morning", "status": "withdrawn",
                        "skip_holidays": True, "venue_id": venue.id,
                        "expert_ids": [expert.id, 999999], "capacity": 35})
    db.session.commit()

    html = client.get("/admin/audit").text

    for line in ("类型: 专家门诊 → 讲座", "上午或下午: 下午 → 上午", "状态: 等待排班 → 已撤回",
                 "节假日停: 否 → 是", "地点: — → 浦口镇卫生院", "专家: — → 欧阳医生、#999999",
                 "号数: 35"):
        assert line in html, line
