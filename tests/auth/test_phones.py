import pytest

from app.core.phones import InvalidPhone, mask_phone, normalize_mobile


@pytest.mark.parametrize(("typed", "number"), [
    ("13900000001", "13900000001"),
    ("139 0000 0001", "13900000001"),
    ("139-0000-0001", "13900000001"),
    ("+86 139 0000 0001", "13900000001"),
    ("8613900000001", "13900000001"),
    ("0086-13900000001", "13900000001"),
    ("19912345678", "19912345678"),
])
def test_mobile_numbers_are_read_as_typed(typed, number):
    assert normalize_mobile(typed) == number


@pytest.mark.parametrize("typed", [
    "", None, "1390000000", "139000000012", "12900000001", "0731-23456789", "1390000000a",
    "+1 139 0000 0001",
])
def test_anything_but_a_mainland_mobile_is_refused(typed):
    with pytest.raises(InvalidPhone):
        normalize_mobile(typed)


def test_phones_are_masked_in_the_middle():
    assert mask_phone("13900000001") == "139****0001"
