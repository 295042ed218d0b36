"""Booking forms. The nonce makes a double submit book once (the idempotency key)."""

import uuid

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from app.bookings.models import KEY_PATTERN
from app.patients.models import Patient

RELATION_LABELS = {
    "self": _l("本人"), "spouse": _l("配偶"), "parent": _l("父母"), "child": _l("子女"),
    "other": _l("其他"),
}


class PatientChoiceForm(FlaskForm):
    """Choose one of the account's patients (only those are valid choices)."""

    patient = RadioField(_l("就诊人"), coerce=int,
                         validators=[DataRequired(message=_l("请选择就诊人"))])

    def fill(self, patients: list[Patient], preferred: int | None = None) -> None:
        """The account's patients as choices; unless one is chosen already, the only
        one, else ``preferred`` (one just added, or the last one booked for)."""
        self.patient.choices = [
            SelectChoice(p.id, _l("%(name)s（%(relation)s）", name=p.name,
                                  relation=RELATION_LABELS[p.relation.value]))
            for p in patients
        ]
        if self.patient.data is None and len(patients) == 1:
            self.patient.data = patients[0].id
        elif self.patient.data is None and any(p.id == preferred for p in patients):
            self.patient.data = preferred


class BookForm(PatientChoiceForm):
    nonce = HiddenField(validators=[DataRequired(), Regexp(KEY_PATTERN)])

    def fill(self, patients: list[Patient], preferred: int | None = None) -> None:
        super().fill(patients, preferred)
        if not self.nonce.data:
            self.nonce.data = uuid.uuid4().hex


class WaitlistForm(PatientChoiceForm):
    pass


class CancelForm(FlaskForm):
    reason = StringField(_l("取消原因（可不填）"), validators=[Optional(), Length(max=200)])


class RescheduleForm(FlaskForm):
    slot = RadioField(_l("改到"), coerce=int,
                      validators=[DataRequired(message=_l("请选择新时段"))])


class ActionForm(FlaskForm):
    """A button that needs nothing but its CSRF token."""
