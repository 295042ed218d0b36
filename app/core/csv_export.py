"""Tables downloaded as CSV: UTF-8 with a BOM, so that Excel (as used in China) opens
the Chinese intact, and a file name to save it under."""

import csv
import io

from flask import Response


def csv_response(rows: list[list], filename: str) -> Response:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
