"""Form fields every package's forms share."""

from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectMultipleField, ValidationError

from app.core.time import FIRST_PLAUSIBLE_DAY, LAST_PLAUSIBLE_DAY


class DayField(DateField):
    """A date, refused with a message outside the years a programme plans (2000–2100):
    9999-12-31 is a valid date whose next week is not, and a page must answer it
    with a form error, never a failure."""

    def pre_validate(self, form):
        super().pre_validate(form)
        if self.data is not None and not FIRST_PLAUSIBLE_DAY <= self.data <= LAST_PLAUSIBLE_DAY:
            raise ValidationError(_l("请填写 2000 年到 2100 年之间的日期"))


class ChoicesField(SelectMultipleField):
    """Several of a list's choices. One not on the list (a page left open while the
    list changed, a hand-made request) is refused in the page's language: WTForms'
    own message for it has no Chinese translation and showed in English."""

    def pre_validate(self, form):
        try:
            super().pre_validate(form)
        except ValidationError:
            raise ValidationError(_l("所选的项目不在列表里，请重新选择")) from None
