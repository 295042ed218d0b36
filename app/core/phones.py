"""Mainland mobile numbers: what the site accepts as a login, and how it shows them.

A pattern rather than the ``phonenumbers`` library: an account's number is proved by
the SMS code sent to it, and a range table that lags behind new carrier prefixes would
turn away real numbers; all we need is the shape and a forgiving way of typing it.
"""

import re

MOBILE = re.compile(r"1[3-9]\d{9}")
SEPARATORS = re.compile(r"[\s\-()（）]")


class InvalidPhone(ValueError):
    pass


def normalize_mobile(value: str | None) -> str:
    """'139 0000 0001', '+86 139-0000-0001' → '13900000001'; anything else is refused."""
    number = SEPARATORS.sub("", value or "")
    for prefix in ("+86", "0086", "86"):
        if number.startswith(prefix) and len(number) == len(prefix) + 11:
            number = number[len(prefix):]
    if not MOBILE.fullmatch(number):
        raise InvalidPhone(value)
    return number


# A landline as a desk writes it down: area code (0 and 2–3 digits) and 7–8 digits, or
# the local number alone.
LANDLINE = re.compile(r"(0\d{2,3})?(\d{7,8})")


def is_mobile(value: str | None) -> bool:
    """Whether an SMS can reach ``value`` (a landline or no phone cannot)."""
    return bool(MOBILE.fullmatch(value or ""))


def normalize_desk_phone(value: str | None) -> str:
    """What a front desk records for a walk-in: a mobile ('13900000001'), a landline
    ('0733-2345678'), or '' for someone without a phone; anything else is refused."""
    number = SEPARATORS.sub("", value or "")
    if not number:
        return ""
    try:
        return normalize_mobile(number)
    except InvalidPhone:
        pass
    if (landline := LANDLINE.fullmatch(number)) is None:
        raise InvalidPhone(value)
    area, local = landline.groups()
    return f"{area}-{local}" if area else local


def mask_phone(phone: str) -> str:
    """139****0001."""
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) >= 7 else "****"


def mask_contact(value: str) -> str:
    """A phone as 139****0001, an e-mail address as w***@example.cn."""
    user, at, host = value.partition("@")
    return f"{user[:1]}***@{host}" if at else mask_phone(value)
