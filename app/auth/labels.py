"""Human names for roles, translated lazily at render time."""

from flask_babel import lazy_gettext as _l

from app.auth.models import Role

ROLE_LABELS = {
    Role.RESIDENT: _l("居民"),
    Role.EXPERT: _l("专家"),
    Role.ASSISTANT: _l("助手"),
    Role.COORDINATOR: _l("排班员"),
    Role.ADMIN: _l("管理员"),
    Role.INSTITUTION_ADMIN: _l("医院管理员"),
    Role.TOWNSHIP_DOCTOR: _l("乡镇医生"),
}

STAFF_ROLES = (Role.EXPERT, Role.ASSISTANT, Role.COORDINATOR, Role.ADMIN,
               Role.INSTITUTION_ADMIN, Role.TOWNSHIP_DOCTOR)
