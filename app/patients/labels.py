"""Human names for the patients' enums, translated lazily at render time."""

from flask_babel import lazy_gettext as _l

from app.patients.models import Relation

RELATION_LABELS = {
    Relation.SELF: _l("本人"),
    Relation.SPOUSE: _l("配偶"),
    Relation.PARENT: _l("父母"),
    Relation.CHILD: _l("子女"),
    Relation.OTHER: _l("其他亲友"),
}


def id_number_problem(value: str | None):
    """What to tell someone whose ID number ``idnumbers.parse`` refused, without
    repeating the number."""
    if len((value or "").replace(" ", "")) != 18:
        return _l("身份证号应为18位")
    return _l("身份证号不正确，请核对后重新输入")
