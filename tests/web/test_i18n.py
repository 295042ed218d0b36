"""The English catalog keeps up with the Chinese interface strings."""

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
METHODS = [("app/**.py", "python"), ("app/templates/**.html", "jinja2"),
           ("app/templates/**.txt", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def _interface_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        ROOT, METHODS, keywords=KEYWORDS
    ):
        found.update([message] if isinstance(message, str) else message)
    return found


def test_every_interface_string_has_an_english_translation():
    with (ROOT / "app/translations/en/LC_MESSAGES/messages.po").open("rb") as f:
        catalog = read_po(f)
    # A fuzzy entry is a guess pybabel made from a similar string: not a translation.
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}

    strings = _interface_strings()
    assert len(strings) > 60
    assert sorted(strings - translated) == []
