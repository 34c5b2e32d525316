"""One statistics table as rows of cells, for the page, CSV and XLSX alike: the group keys with their names, the
tonnes, and a year earlier with the change where it was asked for."""
import csv
import io
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

GROUP_LABELS = {"stream": _l("Stream"), "code": _l("Waste code"), "category": _l("Category"),
                "district": _l("District"), "township": _l("Township"), "organisation": _l("Organisation"),
                "month": _l("Month"), "quarter": _l("Quarter"), "year": _l("Year")}
NAMED = ("district", "township", "organisation", "stream")  # a code or id with a name beside it


def header(group_by, compared: bool) -> list[str]:
    cells = []
    for group in group_by:
        cells.append(str(GROUP_LABELS[group]))
        if group in NAMED and group != "stream":
            cells.append(_("%(what)s name", what=GROUP_LABELS[group]))
    cells.append(_("Tonnes"))
    if compared:
        cells += [_("A year earlier (t)"), _("Change (%)")]
    return cells


def lines(rows: list[dict], group_by, names: dict, compared: bool) -> list[list]:
    table = []
    for row in rows:
        cells = []
        for group in group_by:
            value = row[group]
            if group == "stream":
                cells.append(names["stream"].get(value, value))
                continue
            cells.append(value)
            if group in NAMED:
                cells.append(names[group].get(value, ""))
        cells.append(row["tonnes"])
        if compared:
            cells += [row.get("previous_tonnes"), row.get("change_percent")]
        table.append(cells)
    return table


def _text(value) -> str:
    if value is None:
        return ""
    return f"{value:f}" if isinstance(value, Decimal) else str(value)


def as_csv(head: list[str], table: list[list]) -> bytes:
    """UTF-8 with a byte order mark, which Excel needs to read Chinese text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(head)
    for line in table:
        writer.writerow([_text(value) for value in line])
    return buffer.getvalue().encode("utf-8-sig")


def as_xlsx(title: str, head: list[str], table: list[list], notes: list[str]) -> bytes:
    """The table on one sheet, under its title, with the definition used below it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = _("Statistics")
    sheet.append([title])
    sheet.append(head)
    for cell in sheet[1] + sheet[2]:
        cell.font = Font(bold=True)
    for line in table:
        sheet.append(line)
    for row in sheet.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, Decimal):
                cell.number_format = "#,##0.000"
    sheet.append([])
    for note in notes:
        sheet.append([note])
    sheet.freeze_panes = "A3"
    book.properties.title, book.properties.creator = title, "wufei"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
