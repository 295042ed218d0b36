"""Issue #17, item 1: an institution admin (医院管理员) keeps their own institution's
experts — creates, edits, retires them, gives them a photo — on the directory pages and
through the API, and cannot touch another institution's expert or any other kind."""

import io
import re

from PIL import Image
from sqlalchemy import select

from app.core.models import AuditEntry
from app.directory.models import Expert
from tests.api.helpers import bearer
from tests.factories import (
    create_expert,
    create_institution,
    create_institution_admin,
    create_specialty,
)
from tests.helpers import login_as, post_form


def _world(db):
    ours, theirs = create_institution(name="湘雅医院"), create_institution(name="湘雅二医院")
    mine = create_expert(institution=ours, name="我院专家")
    other = create_expert(institution=theirs, name="外院专家")
    keeper = create_institution_admin(ours)
    db.session.commit()
    return keeper, ours, theirs, mine, other


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 400), "teal").save(out, "JPEG")
    return out.getvalue()


def test_an_institution_admin_keeps_their_own_experts_on_the_pages(db, client):
    keeper, ours, theirs, mine, other = _world(db)
    login_as(client, keeper)

    listing = client.get("/admin/directory/experts").text
    assert "我院专家" in listing and "外院专家" not in listing
    assert client.get("/console").headers["Location"] == "/admin/directory/experts"

    form = client.get(f"/admin/directory/experts/{mine.id}").text
    offered = re.search(r'<select[^>]*name="institution_id".*?</select>', form, re.S).group()
    assert "湘雅医院" in offered and "湘雅二医院" not in offered
    response = post_form(client, f"/admin/directory/experts/{mine.id}", {
        "name": "我院专家", "title": "教授", "institution_id": ours.id,
        "specialty_id": mine.specialty_id, "expertise": "冠心病"},
        page=f"/admin/directory/experts/{mine.id}")
    assert response.status_code == 302
    specialty = create_specialty()
    db.session.commit()
    response = post_form(client, "/admin/directory/experts/new", {
        "name": "新来的专家", "title": "副主任医师", "institution_id": ours.id,
        "specialty_id": specialty.id}, page="/admin/directory/experts/new")
    assert response.status_code == 302

    db.session.expire_all()
    assert (db.session.get(Expert, mine.id).title, db.session.get(Expert, mine.id).expertise
            ) == ("教授", "冠心病")
    assert db.session.scalar(select(Expert.institution_id).where(Expert.name == "新来的专家")
                             ) == ours.id
    assert db.session.scalars(select(AuditEntry.actor_id)).all() == [keeper.id, keeper.id]


def test_an_institution_admin_cannot_edit_another_institutions_expert(db, client):
    keeper, ours, theirs, mine, other = _world(db)
    login_as(client, keeper)

    assert client.get(f"/admin/directory/experts/{other.id}").status_code == 404
    attempts = [
        (f"/admin/directory/experts/{other.id}", {"name": "改名", "title": "教授",
                                                  "institution_id": theirs.id,
                                                  "specialty_id": other.specialty_id}),
        (f"/admin/directory/experts/{other.id}/enabled", {"enabled": "0"}),
        (f"/admin/directory/experts/{other.id}/photo", {}),
    ]
    for path, data in attempts:
        assert post_form(client, path, data, page="/admin/directory/experts"
                         ).status_code == 404, path
    # Moving their own expert to another institution, or creating one there, is refused.
    for path in (f"/admin/directory/experts/{mine.id}", "/admin/directory/experts/new"):
        response = post_form(client, path, {"name": "我院专家", "title": "教授",
                                            "institution_id": theirs.id,
                                            "specialty_id": mine.specialty_id}, page=path)
        assert response.status_code == 200 and "不是有效的选择" in response.text
    # Every other kind, the index and the import are the office's only.
    assert client.get("/admin/directory").status_code == 403
    assert client.get("/admin/directory/venues").status_code == 404
    assert client.get("/admin/directory/townships/new").status_code == 404
    assert client.get("/admin/directory/experts/import").status_code == 403

    db.session.expire_all()
    assert (db.session.get(Expert, other.id).name, db.session.get(Expert, other.id).is_enabled
            ) == ("外院专家", True)
    assert db.session.get(Expert, mine.id).institution_id == ours.id
    assert db.session.scalars(select(AuditEntry)).all() == []


def test_an_institution_admin_through_the_api(db, client):
    keeper, ours, theirs, mine, other = _world(db)
    token = bearer(keeper)

    changed = client.patch(f"/api/v1/experts/{mine.id}", headers=token,
                           json={"expertise": "心衰"})
    assert (changed.status_code, changed.json["expertise"]) == (200, "心衰")
    photo = client.put(f"/api/v1/experts/{mine.id}/photo", headers={
        **token, "Content-Type": "image/jpeg"}, data=_jpeg())
    assert photo.status_code == 200

    assert client.patch(f"/api/v1/experts/{other.id}", headers=token,
                        json={"expertise": "x"}).status_code == 404
    assert client.put(f"/api/v1/experts/{other.id}/photo", headers={
        **token, "Content-Type": "image/jpeg"}, data=_jpeg()).status_code == 404
    assert client.delete(f"/api/v1/experts/{other.id}/photo", headers=token
                         ).status_code == 404
    moved = client.patch(f"/api/v1/experts/{mine.id}", headers=token,
                         json={"institution_id": theirs.id})
    assert (moved.status_code, moved.json["error"]["code"]) == (422, "institution_id")
    created = client.post("/api/v1/experts", headers=token, json={
        "name": "外院新人", "title": "主任医师", "institution_id": theirs.id,
        "specialty_id": mine.specialty_id})
    assert created.status_code == 422
    assert client.post("/api/v1/townships", headers=token,
                       json={"name": "新镇", "kind": "town"}).status_code == 403

    db.session.expire_all()
    assert db.session.get(Expert, other.id).expertise == ""
    assert db.session.get(Expert, other.id).photo_version is None
    assert db.session.get(Expert, mine.id).institution_id == ours.id
    assert db.session.scalar(select(Expert.id).where(Expert.name == "外院新人")) is None
