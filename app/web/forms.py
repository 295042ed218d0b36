"""The language switch: a tiny POST form, so it carries a CSRF token like every other."""

from urllib.parse import urlsplit

from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.fields.choices import SelectChoice

from app.web.i18n import LANGUAGE_NAMES


class LanguageForm(FlaskForm):
    lang = SelectField(choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()])
    next = HiddenField()

    def safe_next(self) -> str | None:
        """Only a path on this site: never an open redirect."""
        target = self.next.data or ""
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not target.startswith("/") or target[1:2] in ("/", "\\"):
            return None
        return target
