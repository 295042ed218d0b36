"""Console tests log staff in through the real login page (tests.helpers.login); create
the account with ``password=PASSWORD`` for that."""

import pytest

from tests.helpers import login


@pytest.fixture
def login_as(client):
    def log_in(user) -> None:
        response = login(client, user.phone)
        assert response.status_code == 302, response.text

    return log_in
