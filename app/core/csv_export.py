"""Tables downloaded as CSV: UTF-8 with a BOM, so that Excel (as used in China) opens
the Chinese intact, and a file name to save it under."""

import csv
import io

from flask import Response

# A cell Excel would read as a formula (a name typed as "=HYPERLINK(…)") is written
# with a leading apostrophe, as OWASP advises against CSV injection.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value):
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_response(rows: list[list], filename: str) -> Response:
    out = io.StringIO()
    csv.writer(out).writerows([[_cell(value) for value in row] for row in rows])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
