"""The account flows end to end on a database that really commits.

The ``db`` fixture wraps each test in an outer transaction, which lets a write service
open its write after the request has read (loading the logged-in account does). Here
nothing is wrapped: on SQLite, a write opened after a read would fail, so these flows
prove that every write service starts its unit of work properly.
"""

import flask_migrate
import pytest
from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db
from app.patients.models import Patient
from tests.conftest import IsolatedClient, make_app
from tests.factories import NOW, create_user, create_venue, make_id_number
from tests.helpers import PASSWORD, login, post_form, register


@pytest.fixture
def committing_app(scratch_url):
    app = make_app(scratch_url)
    app.config["CLOCK"] = lambda: NOW
    app.test_client_class = IsolatedClient
    with app.app_context():
        flask_migrate.upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _fresh(query):
    """Read what the requests committed (end this test's own read snapshot first)."""
    db.session.rollback()
    return db.session.scalar(query)


def test_resident_flows_commit_for_real(committing_app):
    client = committing_app.test_client()
    with committing_app.app_context():
        assert register(client, "13912345678").headers["Location"] == "/"

        added = post_form(client, "/patients/new", {
            "name": "王秀兰", "id_number": make_id_number(seq=22), "phone": "13900000002",
            "relation": "parent"})
        patient_id = _fresh(select(Patient.id).where(Patient.name == "王秀兰"))
        edited = post_form(client, f"/patients/{patient_id}/edit", {
            "name": "王秀英", "id_number": make_id_number(seq=22), "phone": "13900000002",
            "relation": "parent"})
        removed = post_form(client, f"/patients/{patient_id}/remove", {})
        changed = post_form(client, "/account/password", {
            "current": PASSWORD, "password": "a-new-password", "confirm": "a-new-password"},
            page="/account")

        assert [r.status_code for r in (added, edited, removed, changed)] == [302] * 4
        assert _fresh(select(Patient.is_enabled).where(Patient.id == patient_id)) is False


def test_admin_flows_commit_for_real(committing_app):
    client = committing_app.test_client()
    with committing_app.app_context():
        create_user(phone="13800000000", roles=(Role.ADMIN,), password=PASSWORD)
        venue_id = create_venue().id
        db.session.commit()
        login(client, "13800000000")

        created = post_form(client, "/admin/users/new", {
            "phone": "13810000001", "name": "刘排班", "password": "first-password",
            "roles": ["coordinator"], "venues": [str(venue_id)]})
        staff_id = _fresh(select(User.id).where(User.phone == "13810000001"))
        disabled = post_form(client, f"/admin/users/{staff_id}/enabled", {"enabled": "0"},
                             page="/admin/users")

        assert [created.status_code, disabled.status_code] == [302, 302]
        assert _fresh(select(User.is_enabled).where(User.id == staff_id)) is False
