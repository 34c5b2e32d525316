"""Public JSON endpoints of the working-day calendar (read-only, no token needed)."""
import datetime as dt
from datetime import date
from typing import Annotated, Literal

from flask import jsonify
from pydantic import Field

from ..api import api
from ..api.schemas import Input, Output, endpoint
from ..extensions import db
from .forms import FIRST_YEAR, LAST_YEAR
from .services import MAX_WORKING_DAYS, add_working_days, days_of_year_query, is_year_covered


class CalendarDay(Output):
    date: dt.date
    kind: Literal["holiday", "workday"] = Field(
        description="holiday: a day off; workday: a Saturday or Sunday worked in exchange (调休)")
    name: str = Field(examples=["国庆节"])
    source: Literal["bundled", "admin"]


class CalendarYear(Output):
    year: int
    covered: bool = Field(description="false: no data, only weekends are days off")
    days: list[CalendarDay]


class WorkingDaysQuery(Input):
    from_: date = Field(alias="from", ge=date(FIRST_YEAR, 1, 1), le=date(LAST_YEAR, 12, 31),
                        description="The start date, YYYY-MM-DD (counting begins the day after)")
    n: int = Field(ge=-MAX_WORKING_DAYS, le=MAX_WORKING_DAYS,
                   description="Working days to add (negative: before the date)")


class WorkingDays(Output):
    date: dt.date
    from_: dt.date = Field(alias="from")
    n: int
    covered: bool = Field(description="false when a year on the way has no holiday data")


Year = Annotated[int, Field(ge=FIRST_YEAR, le=LAST_YEAR)]


@api.get("/calendar/working-days")
@endpoint("The n-th Chinese working day after a date", tags=["calendar"], query=WorkingDaysQuery,
          response=WorkingDays)
def working_days(query: WorkingDaysQuery):
    start, n = query.from_, query.n
    result = add_working_days(start, n)
    years = range(min(start.year, result.year), max(start.year, result.year) + 1)
    return jsonify({"date": result.isoformat(), "from": start.isoformat(), "n": n,
                    "covered": all(is_year_covered(y) for y in years)})


@api.get("/calendar/<year>")
@endpoint("Public holidays and make-up working days (调休) of a year", tags=["calendar"], path={"year": Year},
          response=CalendarYear)
def calendar_year(year: int):
    days = db.session.scalars(days_of_year_query(year)).all()
    return jsonify({"year": year, "covered": bool(days), "days": [
        {"date": d.day.isoformat(), "kind": d.kind.value, "name": d.name, "source": d.source.value} for d in days]})
