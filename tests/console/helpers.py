"""Reading console pages in tests (CSRF tokens come from tests.helpers)."""

import re

from tests.helpers import csrf_token as csrf

__all__ = ["csrf", "flashes", "nonce"]


def nonce(html: str) -> str:
    return re.search(r'name="nonce" type="hidden" value="([^"]+)"', html).group(1)


def flashes(html: str) -> list[str]:
    return re.findall(r'<p class="flash flash-\w+" role="\w+">([^<]*)</p>', html)
