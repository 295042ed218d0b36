"""Authorisation edges of every operation, read from the OpenAPI document itself: what
declares a Bearer token refuses a call without one (401), every staff operation refuses
a resident (403), and the booking rate limit is the booking page's."""

from tests.api.helpers import bearer
from tests.factories import create_user
from tests.helpers import login_as

FILLERS = {"session_id": "1", "booking_id": "1", "message_id": "1", "venue_id": "1",
           "expert_id": "1", "township_id": "1", "institution_id": "1", "specialty_id": "1"}


def _operations(client, *, secured: bool):
    spec = client.get("/api/v1/openapi.json").get_json()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "patch", "delete", "put") and (
                    bool(operation.get("security")) == secured):
                yield method, path.format(**FILLERS)


def test_every_secured_operation_needs_a_bearer_token(client, db):
    login_as(client, create_user())  # the session cookie must not count
    operations = list(_operations(client, secured=True))

    statuses = {(m, p): client.open(p, method=m.upper(), json={}).status_code
                for m, p in operations}

    # 12 the directory's writes (admins), 1 the statistics, 2 the referrals
    assert len(operations) == 35
    assert statuses == {key: 401 for key in statuses}


def test_public_operations_need_no_token(client, db):
    operations = [(m, p) for m, p in _operations(client, secured=False)
                  if m == "get" and not any(c.isdigit() for c in p.removeprefix("/api/v1"))]

    assert {p: client.get(p).status_code for _m, p in operations} == {
        p: 200 for _m, p in operations}


def test_every_staff_operation_refuses_a_resident(client, db):
    headers = bearer(create_user())
    staff = [(m, p) for m, p in _operations(client, secured=True) if "/staff/" in p]

    statuses = {client.open(p, method=m.upper(), json={}, headers=headers).status_code
                for m, p in staff}

    assert len(staff) == 10
    assert statuses == {403}


def test_every_directory_write_refuses_staff_but_admins(client, db):
    """Issue #17: the directory's POST and PATCH are the programme admin's."""
    from tests.factories import create_coordinator, create_venue

    writes = [(m, p) for m, p in _operations(client, secured=True) if m in ("post", "patch")
              and p.removeprefix("/api/v1/").split("/")[0] in (
                  "townships", "institutions", "specialties", "venues", "experts")]
    for user in (create_user(), create_coordinator(create_venue())):
        headers = bearer(user)
        statuses = {client.open(p, method=m.upper(), json={}, headers=headers).status_code
                    for m, p in writes}
        assert (len(writes), statuses) == (10, {403})


def test_api_bookings_have_the_booking_pages_rate_limit(client, db):
    headers = bearer(create_user())

    statuses = [client.post("/api/v1/bookings", json={"slot_id": 999_999},
                            headers=headers).status_code for _ in range(31)]

    assert statuses == [404] * 30 + [429]
