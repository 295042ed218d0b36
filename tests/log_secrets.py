"""What must never appear in a log (issue #19, item 6): a full resident ID number, a
password, an API token, a private feed's token. conftest.py runs every test's captured
output — its log records, stdout and stderr — through :func:`secrets_in` and fails the
run when anything is found, naming the test and the kind (never the secret itself)."""

import re

from app.patients import idnumbers

# The passwords the suite and the demo log in with (tests.helpers, app.demo.seed,
# bench.workload).
PASSWORDS = ("liling-2026-pass", "xiangqing-demo", "bench-resident-password")
ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9])")
API_TOKEN = re.compile(r"xq_[A-Za-z0-9_-]{40,}")
FEED_TOKEN = re.compile(r"/calendar/(?:experts|me)/[0-9]+-[A-Za-z0-9_-]{20,}")


def secrets_in(text: str) -> list[str]:
    """The kinds of secret ``text`` holds: "ID number", "password", "API token", "feed
    token" (each once)."""
    found = []
    if any(_is_id_number(match) for match in ID_NUMBER.findall(text)):
        found.append("ID number")
    if any(password in text for password in PASSWORDS):
        found.append("password")
    if API_TOKEN.search(text):
        found.append("API token")
    if FEED_TOKEN.search(text):
        found.append("feed token")
    return found


def _is_id_number(candidate: str) -> bool:
    try:
        idnumbers.parse(candidate)
    except idnumbers.InvalidIdNumber:
        return False
    return True
