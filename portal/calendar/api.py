"""Public JSON endpoints of the working-day calendar (read-only, no token needed)."""
from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _

from ..api import api
from ..api.core import doc, query_param, register_schema
from ..errors import DomainError
from ..extensions import db
from .forms import FIRST_YEAR, LAST_YEAR
from .services import MAX_WORKING_DAYS, add_working_days, days_of_year_query, is_year_covered

DAY_SCHEMA = register_schema("CalendarDay", {"type": "object", "properties": {
    "date": {"type": "string", "format": "date"},
    "kind": {"type": "string", "enum": ["holiday", "workday"],
             "description": "holiday: a day off; workday: a Saturday or Sunday worked in exchange (调休)"},
    "name": {"type": "string", "example": "国庆节"},
    "source": {"type": "string", "enum": ["bundled", "admin"]}}})


def _invalid(field: str, message: str):
    return DomainError(message, fields={field: message})


def _date_arg(name: str) -> date:
    raw = request.args.get(name, "").strip()
    if not raw:
        raise _invalid(name, _("Required, as YYYY-MM-DD."))
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise _invalid(name, _("Not a date; use YYYY-MM-DD.")) from None
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _invalid(name, _("A date between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR))
    return value


def _count_arg(name: str) -> int:
    raw = request.args.get(name, "").strip()
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or abs(value) > MAX_WORKING_DAYS:
        raise _invalid(name, _("Must be a whole number between -%(max)s and %(max)s.", max=MAX_WORKING_DAYS))
    return value


@api.get("/calendar/working-days")
@doc("The n-th Chinese working day after a date", tags=["calendar"], params=[
    query_param("from", "The start date, YYYY-MM-DD (counting begins the day after)", required=True),
    query_param("n", f"Working days to add (negative: before the date), at most {MAX_WORKING_DAYS}",
                "integer", required=True)],
    responses={"200": {"description": "The date", "content": {"application/json": {"schema": {
        "type": "object", "properties": {"date": {"type": "string", "format": "date"},
                                         "from": {"type": "string", "format": "date"},
                                         "n": {"type": "integer"},
                                         "covered": {"type": "boolean", "description":
                                                     "false when a year on the way has no holiday data"}}}}}}})
def working_days():
    start, n = _date_arg("from"), _count_arg("n")
    result = add_working_days(start, n)
    years = range(min(start.year, result.year), max(start.year, result.year) + 1)
    return jsonify({"date": result.isoformat(), "from": start.isoformat(), "n": n,
                    "covered": all(is_year_covered(y) for y in years)})


@api.get("/calendar/<year>")
@doc("Public holidays and make-up working days (调休) of a year", tags=["calendar"],
     responses={"200": {"description": "The year's exceptions to the weekend rule", "content": {
         "application/json": {"schema": {"type": "object", "properties": {
             "year": {"type": "integer"},
             "covered": {"type": "boolean", "description": "false: no data, only weekends are days off"},
             "days": {"type": "array", "items": DAY_SCHEMA}}}}}}})
def calendar_year(year: str):
    if not year.isdigit() or not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise _invalid("year", _("A year between %(first)s and %(last)s.", first=FIRST_YEAR, last=LAST_YEAR))
    days = db.session.scalars(days_of_year_query(int(year))).all()
    return jsonify({"year": int(year), "covered": bool(days), "days": [
        {"date": d.day.isoformat(), "kind": d.kind.value, "name": d.name, "source": d.source.value} for d in days]})
