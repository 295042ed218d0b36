"""Issue #14, item 8: a JSON body nested deeper than the decoder follows is a 400 in the
API's envelope, like any malformed JSON, with nothing logged as an error (the pages'
side is in tests/web/test_security.py).

1,000 levels is past what Python 3.11's decoder follows (its C recursion shares the
interpreter's limit of 1,000 frames), and past the API's own limit (33 levels) on any
version; 100,000 is past every version's decoder.
"""

import logging

import pytest

from tests.api.helpers import bearer
from tests.factories import create_patient, create_user

TOO_DEEP = {"code": "bad_request", "message": "请求格式不正确",
            "fields": {"json": ["Invalid JSON body: nested too deeply."]}}


def _arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


def _objects(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


def _in_a_field(depth: int) -> str:
    return '{"slot_id": ' + _arrays(depth) + "}"


def _errors(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR]


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
@pytest.mark.parametrize("shape", [_arrays, _objects, _in_a_field])
@pytest.mark.parametrize("path", ["/api/v1/auth/token", "/api/v1/bookings"])
def test_review_8_deeply_nested_json_is_a_400_in_the_envelope(db, client, caplog, path, shape,
                                                              depth):
    user = create_user()
    create_patient(account=user)
    headers = bearer(user)

    response = client.post(path, data=shape(depth), content_type="application/json",
                           headers=headers)

    assert response.status_code == 400
    assert response.get_json() == {"error": TOO_DEEP}
    assert _errors(caplog) == []


def test_malformed_json_is_a_400_in_the_envelope(db, client):
    response = client.post("/api/v1/auth/token", data="{", content_type="application/json")

    assert response.status_code == 400
    assert response.get_json() == {"error": {"code": "bad_request", "message": "请求格式不正确",
                                             "fields": {"json": ["Invalid JSON body."]}}}


def test_json_nested_up_to_the_limit_is_read_and_validated(db, client):
    response = client.post("/api/v1/auth/token", data=_in_a_field(31),
                           content_type="application/json")

    assert response.status_code == 422  # parsed (32 levels), then refused by the schema
