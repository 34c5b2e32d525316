"""GET /api/v1/statistics: the city's figures from the aggregates, with the definition (统计口径) they follow;
JSON, CSV or XLSX. For regulators (and platform admins): a county regulator's figures are its county's, and
asking for a division outside it answers 403."""
import io
from datetime import date
from typing import Literal

from flask import jsonify, send_file
from flask_babel import gettext as _
from flask_login import current_user
from pydantic import Field

from ...api import api, endpoint, token_required
from ...api.schemas import Error, Input, Output
from ...errors import DomainError
from ...inputs import Id, PlanDate
from . import exports
from .aggregate import fresh_figures
from .services import (
    GROUPS,
    MEASURES,
    definition,
    division_within,
    figures,
    names_for,
    scope_division,
    year_on_year,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class StatisticsQuery(Input):
    measure: Literal[MEASURES] = Field(description="What is counted: see the definition in each answer")
    group_by: str | None = Field(None, max_length=200, description=(
        "Comma-separated, each once: " + ", ".join(GROUPS) + ". Periods are keyed 2026-09, 2026-Q3, 2026."))
    from_: PlanDate | None = Field(None, alias="from", description="First day (China), included")
    to: PlanDate | None = Field(None, description="Last day (China), included")
    division: str | None = Field(None, pattern=r"^\d{6}(\d{3}){0,2}$", description=(
        "The city (default), one of its districts (6 digits) or townships (9 or 12 digits); a division outside "
        "the caller's jurisdiction answers 403"))
    stream: str | None = Field(None, max_length=20, description="hazardous, industrial, …")
    code: str | None = Field(None, max_length=12, description="Waste code, e.g. 321-002-48")
    organisation_id: Id | None = None
    compare: bool = Field(False, description="Add the same period a year earlier (needs from and to)")
    format: Literal["json", "csv", "xlsx"] = "json"


class Definition(Output):
    measure: str
    label: str
    events: str
    event_type: str
    date: str
    quantity: str
    unit: Literal["t"]
    booked_to: str
    version: str


class StatisticsOut(Output):
    measure: str
    group_by: list[str]
    start: date | None = Field(alias="from")
    to: date | None
    division: str
    definition: Definition
    rows: list[dict[str, str | int | None]] = Field(description=(
        "The group_by keys (organisation: its id), tonnes as a decimal string to the kg, and with compare "
        "previous_tonnes and change_percent (null where there was nothing a year earlier)"))


def parse_groups(raw: str | None) -> list[str]:
    groups = [g.strip() for g in (raw or "").split(",") if g.strip()]
    if any(g not in GROUPS for g in groups) or len(set(groups)) != len(groups):
        message = _("Group by any of: %(groups)s, each once.", groups=", ".join(GROUPS))
        raise DomainError(message, fields={"group_by": message})
    return groups


def _checked_period(start: date | None, end: date | None, compare: bool) -> None:
    if start and end and start > end:
        message = _("The period ends before it starts.")
        raise DomainError(message, fields={"to": message})
    if compare and not (start and end):
        message = _("A comparison with the year before needs both ends of the period.")
        raise DomainError(message, fields={"from": message})


def _json_row(row: dict) -> dict:
    return {key: (f"{value:f}" if key in ("tonnes", "previous_tonnes", "change_percent") and value is not None
                  else value) for key, value in row.items() if key != "grams"}


@api.get("/statistics")
@token_required
@endpoint("The city's statistics from the ledger, grouped, with their definition (统计口径)", tags=["statistics"],
          query=StatisticsQuery, response=StatisticsOut, responses={403: Error, 422: Error},
          descriptions={403: "Not a regulator of the city, or a division outside the caller's jurisdiction",
                        200: "JSON; with format=csv or xlsx the same table as a download"},
          downloads=("text/csv", XLSX))
@fresh_figures
def statistics_index(query: StatisticsQuery):
    division = division_within(scope_division(current_user), query.division)
    groups = parse_groups(query.group_by)
    _checked_period(query.from_, query.to, query.compare)
    filters = {"division": division, "stream": query.stream, "code": query.code,
               "organisation_id": query.organisation_id}
    if query.compare:
        rows = year_on_year(query.measure, groups, start=query.from_, end=query.to, **filters)
    else:
        rows = figures(query.measure, groups, start=query.from_, end=query.to, **filters)
    if query.format != "json":
        return download(query, groups, rows, division)
    return jsonify({"measure": query.measure, "group_by": groups,
                    "from": query.from_.isoformat() if query.from_ else None,
                    "to": query.to.isoformat() if query.to else None, "division": division,
                    "definition": definition(query.measure), "rows": [_json_row(row) for row in rows]})


def download(query, groups: list[str], rows: list[dict], division: str):
    """The table as CSV or XLSX, named after the measure, the division and the period."""
    head = exports.header(groups, query.compare)
    table = exports.lines(rows, groups, names_for(rows), query.compare)
    period = "-".join(d.isoformat() for d in (query.from_, query.to) if d) or "all"
    name = f"statistics-{query.measure}-{division}-{period}.{query.format}"
    if query.format == "csv":
        return send_file(io.BytesIO(exports.as_csv(head, table)), mimetype="text/csv",
                         as_attachment=True, download_name=name)
    meaning = definition(query.measure)
    title = _("%(measure)s, %(division)s, %(period)s (t)", measure=meaning["label"], division=division,
              period=period)
    notes = [_("Definition, version %(version)s:", version=meaning["version"]), meaning["events"],
             meaning["date"], meaning["quantity"], meaning["booked_to"]]
    return send_file(io.BytesIO(exports.as_xlsx(title, head, table, notes)), as_attachment=True, download_name=name,
                     mimetype=XLSX)
