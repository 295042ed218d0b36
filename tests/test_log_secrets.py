"""The scanner conftest.py runs over every test's captured logs finds each kind of
secret and passes what the site does log (masked numbers, redacted links)."""

from tests.factories import make_id_number
from tests.log_secrets import secrets_in


def test_each_kind_of_secret_is_found():
    number = make_id_number()
    assert secrets_in(f"booked for {number}") == ["ID number"]
    assert secrets_in("login 13900000001 password=liling-2026-pass") == ["password"]
    assert secrets_in("Authorization: Bearer xq_" + "A" * 43) == ["API token"]
    assert secrets_in("GET /calendar/me/12-" + "b" * 32 + ".ics 200") == ["feed token"]


def test_what_the_site_logs_is_not_a_secret():
    masked = make_id_number()[:6] + "********" + make_id_number()[14:]
    assert secrets_in(f"booked for {masked}, phone 13900000001, booking 12345678") == []
    assert secrets_in('"GET /calendar/me/[redacted] HTTP/1.1" 200') == []
    number = make_id_number()
    wrong = number[:17] + ("1" if number[17] != "1" else "2")  # its check digit fails
    assert secrets_in(f"order {wrong}") == []
