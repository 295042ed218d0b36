"""The public reads of the API, its OpenAPI document, its docs page and its errors."""

import re
from datetime import timedelta

from app.web.security import CSP
from tests.factories import TODAY, create_expert, create_session, create_venue


def test_openapi_document_lists_the_public_reads(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.0.3"
    assert {"/api/v1/sessions", "/api/v1/sessions/{session_id}/slots", "/api/v1/experts",
            "/api/v1/venues", "/api/v1/institutions"} <= set(spec["paths"])


def test_docs_page_uses_our_static_files_under_the_site_csp(client):
    response = client.get("/api/docs")

    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CSP
    assert re.search(r'<script src="/static/vendor/swagger-ui/swagger-ui-bundle\.js\?v=\w+">',
                     response.text)
    assert re.search(r'<script src="/static/js/api-docs\.js\?v=\w+">', response.text)
    assert "<script>" not in response.text and "http" not in response.text.split("<body>")[1]
    assert client.get("/static/vendor/swagger-ui/swagger-ui-bundle.js").status_code == 200


def test_sessions_show_times_with_offset_and_live_places(client, db):
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=2), slots=2, capacity=5)
    session.slots[0].booked_count = 5

    response = client.get(f"/api/v1/sessions?venue={venue.id}")

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 1
    item = body["items"][0]
    assert item["id"] == session.id
    assert item["starts_at"] == "2026-12-03T08:00:00+08:00"
    assert (item["places_left"], item["capacity"]) == (5, 10)


def test_slots_show_capacity_places_and_booking_window(client, db):
    session = create_session(day=TODAY + timedelta(days=2), slots=2, capacity=5)

    slots = client.get(f"/api/v1/sessions/{session.id}/slots").get_json()

    assert [(s["capacity"], s["places_left"]) for s in slots] == [(5, 5), (5, 5)]
    assert slots[0]["opens_at"] == "2026-11-26T08:00:00+08:00"
    assert slots[0]["booking_closes_at"] == "2026-12-03T07:00:00+08:00"


def test_draft_sessions_are_not_found(client, db):
    session = create_session(status="draft")

    response = client.get(f"/api/v1/sessions/{session.id}")

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_experts_filter_and_page(client, db):
    expert = create_expert(name="欧阳测试")
    create_expert(name="别人")

    body = client.get("/api/v1/experts?name=欧阳&per_page=5").get_json()

    assert [e["id"] for e in body["items"]] == [expert.id]
    assert (body["page"], body["per_page"]) == (1, 5)


def test_get_answers_304_to_its_etag(client, db):
    create_venue()
    first = client.get("/api/v1/venues")

    again = client.get("/api/v1/venues", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304


def test_invalid_query_is_422_with_the_fields(client):
    response = client.get("/api/v1/sessions?kind=nap")

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert set(error["fields"]) == {"kind"}
    backwards = client.get("/api/v1/sessions?start=2026-12-01&end=2026-11-01")
    assert (backwards.status_code, backwards.get_json()["items"]) == (200, [])
    too_many = client.get("/api/v1/sessions?per_page=1000").get_json()["error"]
    assert set(too_many["fields"]) == {"per_page"}


def test_unknown_path_and_method_are_json(client):
    assert client.get("/api/v1/nothing").get_json()["error"]["code"] == "not_found"
    response = client.delete("/api/v1/venues")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_ids_past_32_bits_are_not_found(client):
    assert client.get("/api/v1/sessions/99999999999").status_code == 404
