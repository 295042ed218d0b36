"""Issue #17, item 1 (photos): an expert's photo is re-encoded to a 240-pixel JPEG of at
most 15 KB and shown on the doctor card; an upload that is not an image, is too big or
is an image bomb is refused with a clear message and nothing is stored."""

import io
import struct
import zlib

from PIL import Image
from sqlalchemy import select

from app.directory.models import Expert, ExpertPhoto
from tests.factories import create_admin, create_coordinator, create_expert, create_venue
from tests.helpers import csrf_token, login_as


def _png(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height))
    for x in range(0, width, 7):  # some detail, so the JPEG has work to do
        for y in range(0, height, 11):
            image.putpixel((x, y), ((x * 7) % 256, (y * 3) % 256, (x + y) % 256))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _png_header_only(width: int, height: int) -> bytes:
    """A tiny file whose header claims ``width`` × ``height`` pixels (an image bomb)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data)))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b""))


def _upload(client, expert, data: bytes | None, *, remove: bool = False):
    page = client.get(f"/admin/directory/experts/{expert.id}").text
    form = {"csrf_token": csrf_token(page)}
    if remove:
        form["remove"] = "1"
    if data is not None:
        form["photo"] = (io.BytesIO(data), "photo.png")
    response = client.post(f"/admin/directory/experts/{expert.id}/photo", data=form,
                           content_type="multipart/form-data")
    return client.get(response.headers["Location"]) if response.status_code == 302 else response


def test_a_photo_is_re_encoded_small_and_shown_on_the_doctor_card(db, client):
    expert = create_expert(name="易建华")
    login_as(client, create_admin())
    upload = _png(900, 1200)

    page = _upload(client, expert, upload)

    assert "照片已更新" in page.text
    db.session.expire_all()
    stored = db.session.get(ExpertPhoto, expert.id).data
    with Image.open(io.BytesIO(stored)) as image:
        assert (image.format, image.size) == ("JPEG", (240, 240))
    assert len(stored) <= 15 * 1024 and stored != upload
    version = db.session.get(Expert, expert.id).photo_version
    address = f"/experts/{expert.id}/photo-{version}.jpg"
    served = client.get(address)
    assert (served.status_code, served.headers["Content-Type"], served.data) == (
        200, "image/jpeg", stored)
    assert "immutable" in served.headers["Cache-Control"]
    assert f'src="{address}"' in client.get("/experts?name=易建华").text
    assert f'src="{address}"' in client.get(f"/experts/{expert.id}").text

    _upload(client, expert, _png(300, 300))  # a new photo, a new address
    assert client.get(address).status_code == 404
    page = _upload(client, expert, None, remove=True)
    assert "照片已删除" in page.text
    db.session.expire_all()
    assert db.session.get(ExpertPhoto, expert.id) is None
    assert db.session.get(Expert, expert.id).photo_version is None


def test_what_is_not_a_fitting_image_is_refused_and_nothing_is_stored(db, client):
    expert = create_expert()
    login_as(client, create_admin())
    gif = io.BytesIO()
    Image.new("RGB", (10, 10)).save(gif, "GIF")
    cases = [
        (b"%PDF-1.4 not a picture at all", "请上传 JPEG、PNG 或 WebP 格式的照片"),
        (gif.getvalue(), "请上传 JPEG、PNG 或 WebP 格式的照片"),
        (_png(20, 20)[:40], "请上传 JPEG、PNG 或 WebP 格式的照片"),  # cut short
        (b"\x89PNG" + b"\0" * (2 * 1024 * 1024), "照片不能超过 2 MB"),
        (_png_header_only(20000, 20000), "照片的像素太多（最多 4000 万像素）"),
        (_png_header_only(9000, 9000), "照片的像素太多（最多 4000 万像素）"),
    ]
    for data, message in cases:
        page = _upload(client, expert, data)
        assert message in page.text, message

    assert db.session.scalars(select(ExpertPhoto)).all() == []
    db.session.expire_all()
    assert db.session.get(Expert, expert.id).photo_version is None


def test_only_admins_change_photos(db, client):
    expert = create_expert()
    login_as(client, create_coordinator(create_venue()))

    response = client.post(f"/admin/directory/experts/{expert.id}/photo", data={})

    assert response.status_code in (400, 403)
    assert db.session.scalars(select(ExpertPhoto)).all() == []
