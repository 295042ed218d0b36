"""Bulk import of the directory: experts and venues from a CSV file, as the programme
office keeps them in Excel.

The file is UTF-8 (with or without the BOM Excel writes) or GB18030 (what Excel in
China saves as "CSV"). Headers may be Chinese or English (``COLUMNS``). The import is
all or nothing: every row is checked first — required cells, lengths, the hometown,
institution, specialty or township matched by name among the entries not retired,
names unique — and every problem is listed with its line in one pass; only a file
without problems is written, each row through ``directory.save`` (audited).
"""

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from app.admin import directory
from app.core.errors import DomainError
from app.directory.models import Expert, Institution, Specialty, Township, Venue, VenueKind
from app.extensions import db

MAX_ROWS = 2000

# Each kind's columns: field → (the headers it may have, required, longest value).
COLUMNS = {
    "experts": {
        "name": (("姓名", "name"), True, 50),
        "title": (("职称", "title"), True, 40),
        "title_en": (("英文职称", "title_en"), False, 60),
        "institution": (("医院", "所在医院", "institution"), True, 80),
        "specialty": (("专科", "specialty"), True, 40),
        "department": (("科室", "department"), False, 60),
        "hometown": (("家乡", "家乡乡镇", "hometown"), False, 40),
        "expertise": (("擅长", "expertise"), False, 200),
        "bio": (("简介", "bio"), False, 2000),
    },
    "venues": {
        "name": (("名称", "name"), True, 80),
        "kind": (("类型", "kind"), True, 20),
        "township": (("乡镇", "township"), True, 40),
        "address": (("地址", "address"), False, 200),
        "phone": (("电话", "phone"), False, 20),
        "directions": (("怎么去", "directions"), False, 300),
    },
}
VENUE_KINDS = {"市级医院": VenueKind.CITY_HOSPITAL, "乡镇卫生院": VenueKind.TOWNSHIP_CENTRE,
               "卫生院": VenueKind.TOWNSHIP_CENTRE, "讲堂": VenueKind.LECTURE_HALL,
               **{kind.value: kind for kind in VenueKind}}


class ImportRefused(DomainError):
    """The file has problems; ``problems`` lists each with its line."""

    def __init__(self, problems: list[str]):
        super().__init__(_("文件有 %(n)s 处问题，没有导入任何一行", n=len(problems)),
                         code="bad_file")
        self.problems = problems


@dataclass(frozen=True)
class _Row:
    line: int
    cells: dict[str, str]


def import_file(kind: str, data: bytes, *, by_id: int | None, now: datetime) -> int:
    """Import the ``kind`` ("experts" or "venues") rows of a CSV file; how many were
    created. Raises ImportRefused listing every problem, having written nothing."""
    rows, problems = _read(kind, data)
    values, more = (_experts if kind == "experts" else _venues)(rows)
    problems += more
    if problems:
        raise ImportRefused(problems)
    model = Expert if kind == "experts" else Venue
    for row_values in values:
        directory.save(model, row_values, by_id=by_id, now=now)
    return len(values)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportRefused([_("文件不是 UTF-8 或 GB18030 编码的 CSV")])


def _read(kind: str, data: bytes) -> tuple[list[_Row], list[str]]:
    return read_rows(COLUMNS[kind], data)


def read_rows(columns: dict, data: bytes) -> tuple[list[_Row], list[str]]:
    """The rows of a CSV file with ``columns`` (field → (headers, required, longest))
    as {field: stripped cell}, and the problems of the file's shape and cells."""
    text = _decode(data)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportRefused([_("文件是空的")]) from None
    index, problems = {}, []
    names = [h.strip().lower() for h in header]
    for field, (headers, required, _length) in columns.items():
        found = [i for i, name in enumerate(names) if name in {h.lower() for h in headers}]
        if found:
            index[field] = found[0]
        elif required:
            problems.append(_("第1行：缺少“%(column)s”这一列", column=headers[0]))
    if problems:
        raise ImportRefused(problems)
    rows = []
    try:
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            if len(rows) >= MAX_ROWS:
                raise ImportRefused([_("一次最多导入 %(n)s 行", n=MAX_ROWS)])
            rows.append(_Row(line, {field: (cells[i].strip() if i < len(cells) else "")
                                    for field, i in index.items()}))
    except csv.Error as exc:
        raise ImportRefused([_("第%(line)s行：CSV 格式有误（%(error)s）",
                               line=reader.line_num, error=str(exc))]) from None
    for row in rows:
        for field, (headers, required, length) in columns.items():
            value = row.cells.get(field, "")
            if required and not value:
                problems.append(_("第%(line)s行：“%(column)s”不能为空", line=row.line,
                                  column=headers[0]))
            elif len(value) > length:
                problems.append(_("第%(line)s行：“%(column)s”最多 %(n)s 个字", line=row.line,
                                  column=headers[0], n=length))
    if not rows:
        problems.append(_("文件里没有数据行"))
    return rows, problems


def _names(model) -> dict[str, int]:
    """Entries not retired, by name."""
    return dict(db.session.execute(select(model.name, model.id).where(model.is_enabled)).all())


def _match(row: _Row, field: str, names: dict[str, int], what: str, problems: list[str]):
    name = row.cells.get(field, "")
    if not name:
        return None
    if name not in names:
        problems.append(_("第%(line)s行：找不到%(what)s“%(name)s”（或已停用）", line=row.line,
                          what=what, name=name))
    return names.get(name)


def _experts(rows: list[_Row]) -> tuple[list[dict], list[str]]:
    institutions, specialties, townships = (_names(Institution), _names(Specialty),
                                            _names(Township))
    values, problems = [], []
    for row in rows:
        cells = row.cells
        values.append({
            "name": cells["name"], "title": cells["title"],
            "title_en": cells.get("title_en", ""), "department": cells.get("department", ""),
            "expertise": cells.get("expertise", ""), "bio": cells.get("bio", ""),
            "institution_id": _match(row, "institution", institutions, _("医院"), problems),
            "specialty_id": _match(row, "specialty", specialties, _("专科"), problems),
            "native_township_id": _match(row, "hometown", townships, _("乡镇"), problems),
        })
    return values, problems


def _venues(rows: list[_Row]) -> tuple[list[dict], list[str]]:
    townships = _names(Township)
    taken = set(db.session.scalars(select(Venue.name)))
    seen: dict[str, int] = {}
    values, problems = [], []
    for row in rows:
        cells = row.cells
        kind = VENUE_KINDS.get(cells["kind"])
        if cells["kind"] and kind is None:
            problems.append(_("第%(line)s行：类型应为 市级医院、乡镇卫生院 或 讲堂", line=row.line))
        name = cells["name"]
        if name in taken:
            problems.append(_("第%(line)s行：已经有叫“%(name)s”的地点", line=row.line, name=name))
        elif name in seen:
            problems.append(_("第%(line)s行：与第%(first)s行重名", line=row.line, first=seen[name]))
        seen.setdefault(name, row.line)
        values.append({
            "name": name, "kind": kind, "address": cells.get("address", ""),
            "phone": cells.get("phone", ""), "directions": cells.get("directions", ""),
            "township_id": _match(row, "township", townships, _("乡镇"), problems),
        })
    return values, problems
