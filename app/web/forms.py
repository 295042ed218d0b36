"""The language and 关怀版 switches: tiny POST forms, so they carry a CSRF token like
every other."""

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from app.web.i18n import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()])
    next = HiddenField()  # where to go back to: only through app.core.redirects.safe_next


class CareForm(FlaskForm):
    on = SelectField(choices=[SelectChoice("1", "on"), SelectChoice("0", "off")])
    next = HiddenField()
