"""Staff accounts: create them with their roles and assignments, change them, enable
and disable them.
Every change is written to the audit log in the same unit of work."""

from collections.abc import Iterable
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import delete, select, update

from app.admin import queries
from app.auth import services as auth
from app.auth.labels import STAFF_ROLES
from app.auth.models import Role, User, UserRole
from app.core import audit
from app.core.db import restart_as_write
from app.core.errors import Conflict, DomainError, NotFound
from app.directory.models import (
    Expert,
    ExpertAssistant,
    Institution,
    InstitutionAdmin,
    TownshipDoctor,
    Venue,
    VenueCoordinator,
    VenueKind,
)
from app.extensions import db


def check_assignments(roles: set[Role], venue_ids: set[int], expert_ids: set[int],
                      institution_id: int | None = None, centre_id: int | None = None) -> None:
    """What each role needs: a coordinator plans at least one venue, an assistant serves
    at least one expert, an expert account is exactly one expert of the directory, an
    institution admin keeps one institution, a township doctor works at one township
    health centre."""
    if not roles or not roles <= set(STAFF_ROLES):
        raise DomainError(_("请至少选择一个工作人员角色"), code="bad_roles")
    if Role.EXPERT in roles and Role.ASSISTANT in roles:
        raise DomainError(_("专家和助手请分别建账号"), code="bad_roles")
    if Role.COORDINATOR in roles and not venue_ids:
        raise DomainError(_("排班员要选择负责的地点"), code="bad_venues")
    if venue_ids and Role.COORDINATOR not in roles:
        raise DomainError(_("只有排班员需要选择地点"), code="bad_venues")
    if Role.ASSISTANT in roles and not expert_ids:
        raise DomainError(_("助手要选择协助的专家"), code="bad_experts")
    if Role.EXPERT in roles and len(expert_ids) != 1:
        raise DomainError(_("专家账号要选择对应的一位专家"), code="bad_experts")
    if expert_ids and not roles & {Role.EXPERT, Role.ASSISTANT}:
        raise DomainError(_("只有专家和助手需要选择专家"), code="bad_experts")
    if (Role.INSTITUTION_ADMIN in roles) != (institution_id is not None):
        raise DomainError(_("医院管理员要选择一家医院，其他角色不选"), code="bad_institution")
    if (Role.TOWNSHIP_DOCTOR in roles) != (centre_id is not None):
        raise DomainError(_("乡镇医生要选择所在的卫生院，其他角色不选"), code="bad_centre")


def create_staff(*, phone: str, name: str, password: str, roles: Iterable[Role],
                 venue_ids: Iterable[int] = (), expert_ids: Iterable[int] = (),
                 institution_id: int | None = None, centre_id: int | None = None,
                 by_id: int | None, now: datetime) -> User:
    """A staff account holding ``roles``, linked to the venues it plans (coordinator),
    the experts it assists (assistant), its own directory entry (expert), the
    institution whose experts it keeps (institution admin) or the township health
    centre it works at (township doctor)."""
    roles, venue_ids, expert_ids = set(roles), set(venue_ids), set(expert_ids)
    check_assignments(roles, venue_ids, expert_ids, institution_id, centre_id)
    restart_as_write(db.session)
    _check_targets(roles, venue_ids, expert_ids, institution_id, centre_id, account_id=None)
    user = auth.create_account(phone=phone, name=name, password=password, roles=roles, now=now)
    _assign(user, roles, venue_ids, expert_ids, institution_id, centre_id)
    after = {"phone": user.phone, "name": user.name} | _assignments_record(
        roles, venue_ids, expert_ids, institution_id, centre_id)
    audit.record("user.create", user, actor_id=by_id, now=now, after=after)
    return user


def update_staff(user_id: int, *, name: str, roles: Iterable[Role],
                 venue_ids: Iterable[int] = (), expert_ids: Iterable[int] = (),
                 institution_id: int | None = None, centre_id: int | None = None,
                 password: str | None = None, by_id: int, now: datetime) -> User:
    """Change a staff account's name, roles and assignments (a coordinator moves to
    another venue, an assistant takes on another expert …), and with ``password`` give
    it a new one, which ends its sessions and revokes its API tokens. A role outside
    the staff roles (a resident's) is kept; the admin cannot take away their own admin
    role. The mobile number is the login and stays."""
    roles, venue_ids, expert_ids = set(roles), set(venue_ids), set(expert_ids)
    check_assignments(roles, venue_ids, expert_ids, institution_id, centre_id)
    if password:
        auth.check_new_password(password)
    restart_as_write(db.session)
    user = db.session.get(User, user_id)
    if user is None or not user.is_staff:
        raise NotFound(_("找不到这个账号"))
    if user.id == by_id and Role.ADMIN not in roles:
        raise DomainError(_("不能取消自己的管理员角色"), code="bad_roles")
    _check_targets(roles, venue_ids, expert_ids, institution_id, centre_id, account_id=user.id)
    before = {"name": user.name} | _assignments_record(*queries.assignments(user))
    kept = user.roles - set(STAFF_ROLES)
    user.name = name.strip()
    user.role_rows = [row for row in user.role_rows if row.role in kept | roles] + [
        UserRole(role=role) for role in sorted(roles - user.roles)]
    for link in (VenueCoordinator, ExpertAssistant, InstitutionAdmin, TownshipDoctor):
        db.session.execute(delete(link).where(link.user_id == user.id))
    db.session.execute(update(Expert).where(Expert.user_id == user.id).values(user_id=None))
    _assign(user, roles, venue_ids, expert_ids, institution_id, centre_id)
    after = {"name": user.name} | _assignments_record(
        roles, venue_ids, expert_ids, institution_id, centre_id)
    changed = {key for key in after if after[key] != before.get(key)} | {
        key for key in before if key not in after}
    if changed:
        audit.record("user.update", user, actor_id=by_id, now=now,
                     before={key: before.get(key) for key in sorted(changed)},
                     after={key: after.get(key) for key in sorted(changed)})
    if password:
        auth.set_password(user, password, now=now)
        audit.record("user.password", user, actor_id=by_id, now=now)
    db.session.flush()
    return user


def _check_targets(roles: set[Role], venue_ids: set[int], expert_ids: set[int],
                   institution_id: int | None, centre_id: int | None, *,
                   account_id: int | None) -> None:
    """The venues, experts, institution and health centre chosen exist; an expert's
    own account is not already another account's."""
    _load(Venue, venue_ids, _("找不到编号为%(ids)s的地点"), "bad_venues")
    experts = _load(Expert, expert_ids, _("找不到编号为%(ids)s的专家"), "bad_experts")
    if Role.EXPERT in roles and experts[0].user_id not in (None, account_id):
        raise Conflict(_("这位专家已经有账号了"), code="bad_experts")
    if institution_id is not None:
        _load(Institution, {institution_id}, _("找不到编号为%(ids)s的医院"), "bad_institution")
    if centre_id is not None:
        centre = _load(Venue, {centre_id}, _("找不到编号为%(ids)s的地点"), "bad_centre")[0]
        if centre.kind is not VenueKind.TOWNSHIP_CENTRE:
            raise DomainError(_("乡镇医生要选择一家乡镇卫生院"), code="bad_centre")


def _assign(user: User, roles: set[Role], venue_ids: set[int], expert_ids: set[int],
            institution_id: int | None, centre_id: int | None) -> None:
    """Link the account to what its roles are assigned to (the links are new)."""
    db.session.add_all(VenueCoordinator(venue_id=v, user_id=user.id) for v in sorted(venue_ids))
    if Role.ASSISTANT in roles:
        db.session.add_all(ExpertAssistant(expert_id=e, user_id=user.id)
                           for e in sorted(expert_ids))
    if Role.EXPERT in roles:
        (expert_id,) = expert_ids
        db.session.execute(update(Expert).where(Expert.id == expert_id)
                           .values(user_id=user.id))
    if institution_id is not None:
        db.session.add(InstitutionAdmin(institution_id=institution_id, user_id=user.id))
    if centre_id is not None:
        db.session.add(TownshipDoctor(venue_id=centre_id, user_id=user.id))
    db.session.flush()


def _assignments_record(roles: set[Role], venue_ids: set[int], expert_ids: set[int],
                        institution_id: int | None, centre_id: int | None) -> dict:
    """Roles and assignments as the audit log keeps them."""
    record = {"roles": sorted(r.value for r in roles), "venue_ids": sorted(venue_ids),
              "expert_ids": sorted(expert_ids)}
    return record | {key: value for key, value in (("institution_id", institution_id),
                                                   ("centre_id", centre_id))
                     if value is not None}


def set_enabled(user_id: int, enabled: bool, *, by_id: int, now: datetime) -> User:
    """Enable or disable an account; a disabled one cannot log in and its sessions end."""
    restart_as_write(db.session)
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(_("找不到这个账号"))
    if user.id == by_id and not enabled:
        raise DomainError(_("不能停用自己的账号"), code="self")
    if user.is_enabled != enabled:
        audit.record("user.enable" if enabled else "user.disable", user, actor_id=by_id,
                     now=now, before={"is_enabled": user.is_enabled},
                     after={"is_enabled": enabled})
        user.is_enabled = enabled
        db.session.flush()
    return user


def _load(model, ids: set[int], missing_message: str, code: str) -> list:
    if not ids:
        return []
    rows = db.session.scalars(select(model).where(model.id.in_(ids)).order_by(model.id)).all()
    missing = ids - {row.id for row in rows}
    if missing:
        raise DomainError(missing_message % {"ids": "、".join(map(str, sorted(missing)))},
                          code=code)
    return rows
