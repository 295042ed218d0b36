"""Forms of the calendar pages."""

from flask_wtf import FlaskForm


class LinkForm(FlaskForm):
    """Create or reset a private link: nothing but the CSRF token."""
