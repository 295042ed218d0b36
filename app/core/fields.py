"""Form fields every package's forms share."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, ValidationError

from app.core.time import FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY


class DayField(DateField):
    """A date, refused with a message outside the years a programme plans (2000–2100):
    9999-12-31 is a valid date whose next week is not, and a page must answer it
    with a form error, never a failure."""

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.data is not None and not FIRST_PLAUSIBLE_DAY <= self.data <= LAST_PLAUSIBLE_DAY:
            raise ValidationError(_l("请填写 2000 年到 2100 年之间的日期"))
