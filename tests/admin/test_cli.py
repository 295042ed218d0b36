"""``flask users create``: staff accounts from the command line."""

from sqlalchemy import select

from app.auth.models import Role, User
from app.auth.passwords import verify_password
from app.directory.models import Expert, VenueCoordinator
from tests.factories import create_expert, create_user, create_venue


def _user(db, phone: str) -> User | None:
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.phone == phone))


def test_users_create_a_coordinator_and_admin_with_venues(app, db):
    first, second = create_venue(), create_venue()
    db.session.commit()

    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--phone", "138 1000 0001", "--name", "刘排班",
        "--role", "coordinator", "--role", "admin",
        "--venue", str(first.id), "--venue", str(second.id), "--password", "first-password"])

    assert result.exit_code == 0, result.output
    user = _user(db, "13810000001")
    assert result.output == f"created user {user.id} (13810000001) with roles admin, coordinator\n"
    assert user.roles == {Role.COORDINATOR, Role.ADMIN}
    assert verify_password(user.password_hash, "first-password") is True
    assert sorted(db.session.scalars(select(VenueCoordinator.venue_id).where(
        VenueCoordinator.user_id == user.id))) == [first.id, second.id]


def test_users_create_prompts_for_the_password(app, db):
    expert = create_expert()
    db.session.commit()

    result = app.test_cli_runner().invoke(args=[
        "users", "create", "--phone", "13700000001", "--name", expert.name,
        "--role", "expert", "--expert", str(expert.id)], input="secret-pass\nsecret-pass\n")

    assert result.exit_code == 0, result.output
    user = _user(db, "13700000001")
    assert verify_password(user.password_hash, "secret-pass") is True
    assert db.session.get(Expert, expert.id).user_id == user.id


def test_users_create_refusals_are_clear_and_create_nothing(app, db):
    create_user(phone="13810000002")
    db.session.commit()
    runner = app.test_cli_runner()
    base = ["users", "create", "--name", "刘排班", "--password", "first-password"]

    taken = runner.invoke(args=[*base, "--phone", "13810000002", "--role", "admin"])
    no_venue = runner.invoke(args=[*base, "--phone", "13810000001", "--role", "coordinator"])
    unknown = runner.invoke(args=[*base, "--phone", "13810000001", "--role", "coordinator",
                                  "--venue", "999999"])
    bad_phone = runner.invoke(args=[*base, "--phone", "12345", "--role", "admin"])

    assert (taken.exit_code, taken.output) == (1, "Error: 这个手机号已经有账号了\n")
    assert (no_venue.exit_code, no_venue.output) == (1, "Error: 排班员要选择负责的地点\n")
    assert (unknown.exit_code, unknown.output) == (1, "Error: 找不到编号为999999的地点\n")
    assert bad_phone.exit_code == 2
    assert "not an 11-digit mainland mobile number" in bad_phone.output
    assert _user(db, "13810000001") is None
