"""app.core.redirects.safe_next: the one judge of a user-given redirect target (item 7
of issue #14; the pages that use it are tested in tests/web/test_next_targets.py)."""

import pytest

from app.core.redirects import MAX_NEXT_LENGTH, safe_next
from tests.web.test_next_targets import UNSAFE


@pytest.mark.parametrize("target", ["/", "/bookings?x=1", "/sessions/7", "/calendar?x=%E5%BC%A0",
                                    "/预约", "/" + "a" * (MAX_NEXT_LENGTH - 1)])
def test_review_7_safe_next_keeps_plain_local_paths(target):
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [*UNSAFE, None, "/" + "a" * MAX_NEXT_LENGTH])
def test_review_7_safe_next_refuses_the_rest(target):
    assert safe_next(target) is None
