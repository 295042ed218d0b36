"""Issue #17, item 1 (API): admins create, change, retire and restore townships,
institutions, specialties, venues and experts with POST and PATCH; everyone else is
refused; bad input is a 4xx that changes nothing."""

from datetime import timedelta

from sqlalchemy import select

from app.core.models import AuditEntry
from app.directory.models import Expert, Township, Venue
from tests.api.helpers import bearer
from tests.factories import (
    TODAY,
    create_admin,
    create_coordinator,
    create_session,
    create_township,
    create_venue,
)


def test_an_admin_sets_up_the_directory_through_the_api(db, client):
    admin = bearer(create_admin())

    township = client.post("/api/v1/townships", headers=admin,
                           json={"name": "官庄镇", "kind": "town"})
    institution = client.post("/api/v1/institutions", headers=admin, json={
        "name": "中南大学湘雅医院", "name_en": "Xiangya Hospital", "kind": "hospital",
        "city": "长沙"})
    specialty = client.post("/api/v1/specialties", headers=admin,
                            json={"name": "眼科", "name_en": "Ophthalmology"})
    assert [r.status_code for r in (township, institution, specialty)] == [201] * 3
    venue = client.post("/api/v1/venues", headers=admin, json={
        "name": "官庄镇卫生院", "kind": "township_centre", "township_id": township.json["id"],
        "directions": "12 路到官庄站"})
    expert = client.post("/api/v1/experts", headers=admin, json={
        "name": "易建华", "title": "主任医师", "institution_id": institution.json["id"],
        "specialty_id": specialty.json["id"], "native_township_id": township.json["id"],
        "expertise": "白内障、青光眼"})

    assert (venue.status_code, expert.status_code) == (201, 201)
    assert venue.json["township"]["name"] == "官庄镇"
    assert venue.json["directions"] == "12 路到官庄站"
    assert expert.json["institution"]["name_en"] == "Xiangya Hospital"
    assert expert.json["native_township"]["id"] == township.json["id"]
    assert client.get(f"/api/v1/experts/{expert.json['id']}").json["expertise"] == "白内障、青光眼"

    changed = client.patch(f"/api/v1/experts/{expert.json['id']}", headers=admin,
                           json={"title": "教授"})
    assert (changed.status_code, changed.json["title"], changed.json["name"]) == (
        200, "教授", "易建华")
    assert db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
        "townships.create", "institutions.create", "specialties.create", "venues.create",
        "experts.create", "experts.update"]


def test_retiring_through_the_api(db, client):
    admin = bearer(create_admin())
    venue = create_venue()
    session = create_session(venue=venue, day=TODAY + timedelta(days=2))
    expert = session.experts[0]
    db.session.commit()

    in_use = client.patch(f"/api/v1/venues/{venue.id}", headers=admin,
                          json={"is_enabled": False})
    assert (in_use.status_code, in_use.json["error"]["code"]) == (409, "in_use")

    session.status = session.status.STOPPED
    db.session.commit()
    retired = client.patch(f"/api/v1/venues/{venue.id}", headers=admin,
                           json={"is_enabled": False})
    assert (retired.status_code, retired.json["is_enabled"]) == (200, False)
    assert venue.id not in [v["id"] for v in client.get("/api/v1/venues").json]
    gone = client.patch(f"/api/v1/experts/{expert.id}", headers=admin, json={"is_enabled": False})
    assert gone.status_code == 200
    assert client.get(f"/api/v1/experts/{expert.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(Expert, expert.id).is_enabled is False


def test_bad_directory_input_is_a_4xx_and_changes_nothing(db, client):
    admin = bearer(create_admin())
    create_township(name="官庄镇")
    retired = create_township(name="旧镇", is_enabled=False)
    db.session.commit()

    answers = [
        client.post("/api/v1/townships", headers=admin, json={"name": "官庄镇", "kind": "town"}),
        client.post("/api/v1/townships", headers=admin, json={"name": "", "kind": "town"}),
        client.post("/api/v1/townships", headers=admin, json={"name": "新镇", "kind": "city"}),
        client.post("/api/v1/venues", headers=admin, json={
            "name": "某院", "kind": "township_centre", "township_id": retired.id}),
        client.post("/api/v1/venues", headers=admin, json={
            "name": "某院", "kind": "township_centre", "township_id": "1"}),
        client.patch("/api/v1/townships/999999", headers=admin, json={"name": "无"}),
    ]

    assert [a.status_code for a in answers] == [409, 422, 422, 422, 422, 404]
    assert answers[0].json["error"]["code"] == "name_taken"
    assert sorted(db.session.scalars(select(Township.name))) == ["官庄镇", "旧镇"]
    assert db.session.scalars(select(Venue)).all() == []
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_only_admins_write_the_directory(db, client):
    coordinator = bearer(create_coordinator(create_venue()))

    assert client.post("/api/v1/townships", json={"name": "新镇", "kind": "town"}
                       ).status_code == 401
    assert client.post("/api/v1/townships", headers=coordinator,
                       json={"name": "新镇", "kind": "town"}).status_code == 403
    assert db.session.scalars(select(Township).where(Township.name == "新镇")).all() == []


def test_an_admin_gives_an_expert_a_photo_through_the_api(db, client):
    import io

    from PIL import Image

    from app.directory.models import ExpertPhoto
    from tests.factories import create_expert

    admin = bearer(create_admin())
    expert = create_expert()
    db.session.commit()
    png = io.BytesIO()
    Image.new("RGB", (600, 800), (200, 120, 40)).save(png, "PNG")

    bad = client.put(f"/api/v1/experts/{expert.id}/photo", headers=admin, data=b"not an image",
                     content_type="image/png")
    wrong_type = client.put(f"/api/v1/experts/{expert.id}/photo", headers=admin,
                            data=png.getvalue(), content_type="text/plain")
    assert [(r.status_code, r.json["error"]["code"]) for r in (bad, wrong_type)] == [
        (422, "photo"), (422, "photo")]
    assert db.session.get(ExpertPhoto, expert.id) is None

    put = client.put(f"/api/v1/experts/{expert.id}/photo", headers=admin, data=png.getvalue(),
                     content_type="image/png")
    assert put.status_code == 200
    assert put.json["photo"] == f"/experts/{expert.id}/photo-1.jpg"
    assert client.get(put.json["photo"]).headers["Content-Type"] == "image/jpeg"
    assert client.delete(f"/api/v1/experts/{expert.id}/photo", headers=admin).status_code == 204
    assert client.get(f"/api/v1/experts/{expert.id}").json["photo"] is None
    coordinator = bearer(create_coordinator(create_venue()))
    assert client.put(f"/api/v1/experts/{expert.id}/photo", headers=coordinator,
                      data=png.getvalue(), content_type="image/png").status_code == 403
