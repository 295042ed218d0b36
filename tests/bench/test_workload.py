"""bench/workload.py and bench/sites.py: the booking workload, the overbooking audit the
run ends with, and reading a form as the wrk scripts do."""

import os
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app.auth.models import User
from app.bookings.services import engine
from app.core.time import utcnow
from app.extensions import db
from app.patients.models import Patient
from app.scheduling.models import Slot
from bench import sites
from bench.workload import Shape, audit, bench_app, build, scratch_database

SMALL = Shape(residents=2, experts=1, sessions_per_expert=2, slots_per_session=2, capacity=1)


@pytest.fixture
def scratch_url():
    """A scratch database of the suite's tier: a SQLite file, or on the PostgreSQL tier
    a database xq_bench_* on the tier's server, dropped afterwards."""
    kind = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    with scratch_database(kind) as url:
        yield url


def test_build_writes_the_shape(scratch_url):
    workload = build(scratch_url, SMALL)

    assert workload.phones == ["13950000000", "13950000001"]
    assert [len(slots) for slots in workload.sessions] == [2, 2]
    assert SMALL.places == 4


def _book_first_slot(url: str, phone: str, slot_id: int) -> None:
    app = bench_app(url)
    with app.app_context():
        patient = db.session.scalars(select(Patient).join(User, Patient.account_id == User.id)
                                     .where(User.phone == phone)).one()
        engine.book(slot_id, patient, by=patient.account, now=utcnow())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _give_the_place_twice(url: str, slot_id: int) -> None:
    """What no booking path may do: the slot keeps its booking but loses its place."""
    app = bench_app(url)
    with app.app_context():
        db.session.execute(update(Slot).where(Slot.id == slot_id)
                           .values(capacity=0, booked_count=0))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def test_audit_finds_a_slot_holding_more_bookings_than_places(scratch_url):
    workload = build(scratch_url, SMALL)
    slot_id = workload.sessions[0][0]
    _book_first_slot(scratch_url, workload.phones[0], slot_id)
    assert audit(scratch_url).__dict__ == {
        "bookings": 1, "overbooked_slots": 0, "over_capacity_counts": 0,
        "count_mismatches": 0}

    _give_the_place_twice(scratch_url, slot_id)

    assert audit(scratch_url).__dict__ == {
        "bookings": 1, "overbooked_slots": 1, "over_capacity_counts": 0,
        "count_mismatches": 1}


def test_form_field_reads_inputs_in_any_attribute_order():
    html = ('<form><input type="hidden" name="csrf_token" value="Ijk.aw_zYA.a8q">'
            '<input value="7f3e" name="nonce" type="hidden">'
            '<input id="patient-0" name="patient" type="radio" value="12" checked>'
            '<input id="patient-1" name="patient" type="radio" value="13"></form>')

    assert [sites.form_field(html, name) for name in ("csrf_token", "nonce", "patient")] == [
        "Ijk.aw_zYA.a8q", "7f3e", "12"]
    assert sites.form_field(html, "patients") is None


def test_lua_scripts_are_committed_beside_the_runner():
    folder = Path(sites.__file__).parent / "wrk"

    assert sorted(path.name for path in folder.glob("*.lua")) == [
        "api.lua", "get.lua", "lib.lua", "page.lua"]
