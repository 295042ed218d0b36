"""Many rows in a few statements (app.core.bulk), on the tier's database: every value
and default arrives, and the ids come back in the order of the rows."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from app.core.bulk import insert_many, insert_many_with_ids
from app.scheduling.models import ExpertBusy, Session, SessionKind, SessionStatus, Slot
from tests.factories import create_expert, create_venue

START = datetime(2027, 1, 4, 0, 0, tzinfo=UTC)


def test_ids_come_back_in_the_order_of_the_rows(db):
    venue = create_venue()
    rows = [{"kind": SessionKind.CLINIC, "status": SessionStatus.DRAFT, "title": f"第{i}场",
             "venue_id": venue.id, "start_dt": START + timedelta(days=i),
             "end_dt": START + timedelta(days=i, hours=3), "created_dt": START,
             "updated_dt": START} for i in range(5)]

    ids = insert_many_with_ids(db.session, Session.__table__, rows)
    insert_many(db.session, Slot.__table__, [
        {"session_id": i, "start_dt": row["start_dt"], "end_dt": row["end_dt"],
         "capacity": 5} for i, row in zip(ids, rows, strict=True)])

    stored = db.session.execute(
        select(Session.id, Session.title, Session.start_dt, Session.sequence, Slot.start_dt,
               Slot.booked_count).join(Slot, Slot.session_id == Session.id)
        .order_by(Session.id)).all()
    assert [tuple(row) for row in stored] == [
        (i, row["title"], row["start_dt"], 0, row["start_dt"], 0)
        for i, row in zip(ids, rows, strict=True)]
    assert len(set(ids)) == 5


def test_rows_that_are_all_alike_are_each_inserted(db):
    expert = create_expert()
    row = {"expert_id": expert.id, "start_dt": START, "end_dt": START + timedelta(hours=1),
           "summary": "院内会议", "uid": "", "created_dt": START}

    insert_many(db.session, ExpertBusy.__table__, [row] * 3 + [{**row, "summary": "查房"}])
    insert_many(db.session, ExpertBusy.__table__, [row] * 2)

    summaries = db.session.scalars(select(ExpertBusy.summary).order_by(ExpertBusy.id)).all()
    assert summaries == ["院内会议"] * 3 + ["查房"] + ["院内会议"] * 2


def test_nothing_to_insert_is_no_statement(db):
    assert insert_many_with_ids(db.session, Session.__table__, []) == []
    insert_many(db.session, Slot.__table__, [])
