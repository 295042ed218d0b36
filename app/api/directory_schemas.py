"""What the programme office sends to create (POST) and change (PATCH) the directory:
the fields app.admin.directory.FIELDS names, and ``is_enabled`` to retire or restore.
A PATCH changes only the fields it sends."""

from marshmallow import Schema, fields

from app.api.fields import Id, Text
from app.api.schemas import _enum
from app.directory.models import InstitutionKind, TownshipKind, VenueKind


def _name(max_length: int):
    return Text(required=True, min_length=1, max_length=max_length)


def _text(max_length: int):
    return Text(max_length=max_length, load_default="")


class TownshipWriteSchema(Schema):
    name = _name(40)
    kind = _enum(TownshipKind, required=True)


class SpecialtyWriteSchema(Schema):
    name = _name(40)
    name_en = _text(80)


class InstitutionWriteSchema(Schema):
    name = _name(80)
    name_en = _text(160)
    kind = _enum(InstitutionKind, required=True)
    city = Text(required=True, min_length=1, max_length=40)


class VenueWriteSchema(Schema):
    name = _name(80)
    kind = _enum(VenueKind, required=True)
    township_id = Id(strict=True, required=True)
    address = _text(200)
    phone = _text(20)
    directions = _text(300)


class ExpertWriteSchema(Schema):
    name = _name(50)
    title = Text(required=True, min_length=1, max_length=40)
    title_en = _text(60)
    institution_id = Id(strict=True, required=True)
    specialty_id = Id(strict=True, required=True)
    department = _text(60)
    native_township_id = Id(strict=True, allow_none=True, load_default=None)
    expertise = _text(200)
    bio = _text(2000)


class EnabledSchema(Schema):
    is_enabled = fields.Boolean(metadata={"description": "false: retire; true: restore"})


# A PATCH: any of the fields (loaded with partial=True), and is_enabled.
class TownshipUpdateSchema(TownshipWriteSchema, EnabledSchema):
    pass


class SpecialtyUpdateSchema(SpecialtyWriteSchema, EnabledSchema):
    pass


class InstitutionUpdateSchema(InstitutionWriteSchema, EnabledSchema):
    pass


class VenueUpdateSchema(VenueWriteSchema, EnabledSchema):
    pass


class ExpertUpdateSchema(ExpertWriteSchema, EnabledSchema):
    pass
