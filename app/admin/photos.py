"""Experts' photos: an upload is checked, decoded with Pillow, turned upright,
cropped to a square and re-encoded as a 240-pixel JPEG of at most 15 KB — so doctor
cards stay light, and no uploaded file is ever stored or served as it came.

Refused, with nothing stored: anything but JPEG, PNG or WebP; more than 2 MB; more than
``MAX_PIXELS`` pixels (an "image bomb": a small file that decodes to a huge picture is
refused from its header, before it is decoded).
"""

import io
import warnings
from datetime import datetime

from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.core import audit
from app.core.errors import DomainError
from app.directory.models import Expert, ExpertPhoto
from app.extensions import db

MAX_BYTES = 2 * 1024 * 1024
MAX_PIXELS = 40_000_000  # a 40-megapixel camera's picture; decoding it takes ~120 MB
FORMATS = {"JPEG", "PNG", "WEBP"}
SIDE = 240
MAX_RESULT = 15 * 1024
QUALITIES = (82, 72, 62, 50, 40)


def photo_jpeg(data: bytes) -> bytes:
    """The upload re-encoded (DomainError for anything refused)."""
    if len(data) > MAX_BYTES:
        raise DomainError(_("照片不能超过 2 MB"), code="photo")
    try:
        with warnings.catch_warnings():
            # Pillow warns of a picture past its own bomb limit: that is a refusal here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
        with image:
            if image.format not in FORMATS:
                raise DomainError(_("请上传 JPEG、PNG 或 WebP 格式的照片"), code="photo")
            if image.width * image.height > MAX_PIXELS:
                raise DomainError(_("照片的像素太多（最多 4000 万像素）"), code="photo")
            image = ImageOps.exif_transpose(image).convert("RGB")
            square = ImageOps.fit(image, (SIDE, SIDE), Image.Resampling.LANCZOS,
                                  centering=(0.5, 0.35))  # faces sit above the middle
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise DomainError(_("照片的像素太多（最多 4000 万像素）"), code="photo") from None
    except (UnidentifiedImageError, OSError, ValueError):
        raise DomainError(_("请上传 JPEG、PNG 或 WebP 格式的照片"), code="photo") from None
    for quality in QUALITIES:
        out = io.BytesIO()
        square.save(out, "JPEG", quality=quality, optimize=True, progressive=True)
        if out.tell() <= MAX_RESULT:
            return out.getvalue()
    raise DomainError(_("照片压缩后仍然太大，请换一张"), code="photo")


def set_photo(expert: Expert, data: bytes | None, *, by_id: int | None,
              now: datetime) -> None:
    """Give ``expert`` the photo of an upload (re-encoded), or take it away (None)."""
    jpeg = photo_jpeg(data) if data is not None else None
    current = db.session.get(ExpertPhoto, expert.id)
    if jpeg is None:
        if current is not None:
            db.session.delete(current)
        expert.photo_version = None
    else:
        if current is None:
            db.session.add(ExpertPhoto(expert_id=expert.id, data=jpeg))
        else:
            current.data = jpeg
        expert.photo_version = (expert.photo_version or 0) + 1
    db.session.flush()
    audit.record("experts.photo", expert, actor_id=by_id, now=now,
                 after={"photo": "removed" if jpeg is None else f"{len(jpeg)} bytes"})
