"""Where a ``next`` given by the browser may send it back to: a path on this site only.

Every redirect to a user-given target (the login page, the language switch) goes
through ``safe_next``; anything it refuses falls back to the page's own default.
"""

import unicodedata
from urllib.parse import unquote, urlsplit

# Longer than any link of ours with its query string; a longer target is not one.
MAX_NEXT_LENGTH = 2048


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a local path fit for a Location header, else None.

    A path with one leading ``/`` and neither scheme nor host: browsers read ``//host``
    and ``/\\host`` as another site. No backslash, whitespace or control character
    anywhere, as given or percent-decoded: a CR or LF would split the header (Werkzeug
    refuses it with a 500), and browsers drop tabs and newlines from a URL, so
    ``/<TAB>/evil.example`` is ``//evil.example`` to them. The decoded form is checked
    too because query arguments arrive decoded and a target may have been encoded once
    more than we think.
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if not (_plain_local_path(target) and _plain_local_path(unquote(target))):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _plain_local_path(text: str) -> bool:
    return (text.startswith("/") and not text.startswith("//") and "\\" not in text
            and not any(_invisible(char) for char in text))


def _invisible(char: str) -> bool:
    """Whitespace, and the control, format (zero-width, bidi) and unassigned characters."""
    return char.isspace() or unicodedata.category(char).startswith("C")
