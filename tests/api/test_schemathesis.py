"""Schemathesis fuzzes every operation of /api/v1/openapi.json in-process (WSGI), as a
resident and as a coordinator: no server error, and every answer matches the document.

Bounded (a few dozen examples per operation) to keep the suite short; run on the
SQLite tier only, as `make test` runs it first.
"""

import contextvars
import os
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.extensions import db as _db
from tests.api.helpers import bearer
from tests.conftest import make_app
from tests.factories import (
    TODAY,
    create_admin,
    create_coordinator,
    create_patient,
    create_session,
    create_user,
    create_venue,
)

pytestmark = pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")),
                                reason="schemathesis runs on the SQLite tier only")

MAX_EXAMPLES = int(os.environ.get("XQ_FUZZ_EXAMPLES", "25"))
FUZZ = settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck))


# The document is read at collection from an app of its own (the document needs no
# database); the requests go to the suite's app, with the clock pinned by ``client``.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", make_app("sqlite://"))


@pytest.fixture
def identities(db):
    """A resident with a booking and a coordinator of that booking's venue, committed
    (the requests run in their own contexts, as in production)."""
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=2), slots=3, capacity=5)
    resident = create_user()
    create_patient(account=resident)
    coordinator = create_coordinator(venue)
    admin = create_admin()
    _db.session.commit()
    return {"resident": bearer(resident), "coordinator": bearer(coordinator),
            "admin": bearer(admin), "session": session.id}


# Every check schemathesis has, but one: ``positive_data_acceptance`` expects any
# request the document allows to succeed, and the document cannot state the rules
# behind a 422 of a valid-looking request (a lecture needs a title, a session cannot
# be in the past, an expert must be free) — those refusals are the point.
EXCLUDED = [positive_data_acceptance]


def _drops_authorization(case) -> bool:
    """A negative case that leaves out the Authorization header: send no token then."""
    data = getattr(getattr(case.meta, "phase", None), "data", None)
    for mutation in getattr(data, "mutations", None) or ():
        named = f"{mutation.parameter} {mutation.original_value}".lower()
        if mutation.parameter_location.value == "header" and "authorization" in named:
            return True
    return False


def _call(case, app, headers):
    headers = {} if _drops_authorization(case) else headers
    # A fresh context per request: its own app context, g and database session.
    return contextvars.Context().run(case.call_and_validate, app=app, headers=headers,
                                     excluded_checks=EXCLUDED)


@schema.parametrize()
@FUZZ
def test_api_as_a_resident(case, app, client, identities):
    _call(case, app, identities["resident"])


@schema.parametrize()
@FUZZ
def test_api_as_a_coordinator(case, app, client, identities):
    _call(case, app, identities["coordinator"])


# The directory's writes as the programme admin (issue #17): any input is a 2xx or a
# clear 4xx, never a 500 or an answer outside the document.
@schema.include(method=["POST", "PATCH"],
                path_regex=r"/(townships|institutions|specialties|venues|experts)(/\{\w+\})?$"
                ).parametrize()
@FUZZ
def test_directory_writes_as_an_admin(case, app, client, identities):
    _call(case, app, identities["admin"])
