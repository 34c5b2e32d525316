"""The dashboard's figures from the city statistics: the year's top producers, the year's hazardous waste by code
and the month trend per stream. They read the aggregates through figures() (portal/command/statistics), the
same the statistics page and the API answer, so that every tonne here is the one printed there."""
from datetime import date

from flask import url_for
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..accounts.models import Organisation
from ..extensions import db
from ..home.sections import Figure, Section
from ..regulatory.alerts.settings import STREAM_LABELS
from ..regulatory.declarations.services import tonnes
from .sections import Scope, register_panel
from .statistics import figures

TOP = 10  # producers and codes shown
TREND_MONTHS = 12


def year_start(day: date) -> date:
    return date(day.year, 1, 1)


def statistics_url(scope: Scope, measure: str, group_by: str, start: date, end: date, then_by: str = "") -> str:
    """The statistics page's table behind a figure: the same measure, period and division, grouped so that the
    figure is one of its rows."""
    values = {"measure": measure, "group_by": group_by, "start": start.isoformat(), "end": end.isoformat(),
              "division": scope.division}
    return url_for("statistics.index", **values, **({"then_by": then_by} if then_by else {}))


@register_panel
def producer_panels(scope: Scope) -> list[Section]:
    """The organisations that generated the most waste this year, of every stream."""
    start = year_start(scope.today)
    rows = sorted(figures("generated", ("organisation",), start=start, end=scope.today, division=scope.division),
                  key=lambda row: (-row["grams"], row["organisation"]))[:TOP]
    names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_([row["organisation"] for row in rows]))).all())
    url = statistics_url(scope, "generated", "organisation", start, scope.today)
    ranked = [Figure(names.get(row["organisation"], "—"), None, url, value=f"{tonnes(row['grams'])} t")
              for row in rows]
    return [Section("producers", _l("Top producers in %(year)s", year=scope.today.year), 40, ranked,
                    None if ranked else _l("No waste generated this year yet."))]


@register_panel
def code_panels(scope: Scope) -> list[Section]:
    """This year's hazardous waste by code: generated at its producers and received at licensed receivers."""
    start = year_start(scope.today)
    generated, received = ({row["code"]: row["grams"] for row in figures(
        measure, ("code",), start=start, end=scope.today, division=scope.division, stream="hazardous")}
        for measure in ("generated", "received"))
    codes = sorted(generated.keys() | received.keys(), key=lambda c: (-generated.get(c, 0), c))[:TOP]
    shown = []
    for code in codes:
        shown.append(Figure(_l("%(code)s generated", code=code), None,
                            statistics_url(scope, "generated", "code", start, scope.today),
                            value=f"{tonnes(generated.get(code, 0))} t"))
        shown.append(Figure(_l("%(code)s received", code=code), None,
                            statistics_url(scope, "received", "code", start, scope.today),
                            value=f"{tonnes(received.get(code, 0))} t"))
    return [Section("codes", _l("Hazardous waste in %(year)s by waste code", year=scope.today.year), 41, shown,
                    None if shown else _l("No hazardous waste recorded this year yet."))]


def _months_back(today: date, count: int) -> list[str]:
    year, month = today.year, today.month
    keys = []
    for _index in range(count):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return keys[::-1]


def month_trend(scope: Scope) -> dict:
    """Tonnes generated per month and stream over the last TREND_MONTHS months (this one included): the months,
    and one series per stream that has any, each a list of tonnes as strings."""
    months = _months_back(scope.today, TREND_MONTHS)
    start = date(int(months[0][:4]), int(months[0][5:]), 1)
    grams: dict[str, dict[str, int]] = {}
    for row in figures("generated", ("month", "stream"), start=start, end=scope.today, division=scope.division):
        grams.setdefault(row["stream"], {})[row["month"]] = row["grams"]
    series = [{"stream": stream, "name": str(STREAM_LABELS.get(stream, stream)),
               "tonnes": [tonnes(by_month.get(month, 0)) for month in months]}
              for stream, by_month in sorted(grams.items())]
    return {"months": months, "series": series,
            "url": statistics_url(scope, "generated", "month", start, scope.today, then_by="stream")}
