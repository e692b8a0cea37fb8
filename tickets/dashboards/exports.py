"""CSV and XLSX exports of one dashboard table: the numbers the page shows, with its title and
filters on top."""

from __future__ import annotations

import csv
import io

from django.http import HttpResponse
from openpyxl import Workbook

from tickets.dashboards.tables import Table

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _filename(table: Table, suffix: str, extension: str) -> str:
    return f"{table.slug}-{suffix}.{extension}"


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def table_csv(table: Table, *, caption: str, suffix: str) -> HttpResponse:
    buffer = io.StringIO()
    buffer.write("\ufeff")  # so Excel opens the UTF-8 Chinese text correctly
    writer = csv.writer(buffer)
    writer.writerow([table.title])
    writer.writerow([caption])
    writer.writerow(table.columns)
    for row in table.rows:
        writer.writerow(["" if cell.value is None else cell.value for cell in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    return _attachment(response, _filename(table, suffix, "csv"))


def table_xlsx(table: Table, *, caption: str, suffix: str) -> HttpResponse:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = table.slug[:31]
    sheet.append([str(table.title)])
    sheet.append([caption])
    sheet.append([str(column) for column in table.columns])
    for row in table.rows:
        sheet.append([cell.value if not hasattr(cell.value, "as_tuple") else float(cell.value) for cell in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    return _attachment(response, _filename(table, suffix, "xlsx"))
