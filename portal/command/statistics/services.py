"""Reading the statistics: figures() over the aggregates, the 统计口径 row of a measure, and the division a user's
figures are limited to. The interface the dashboards, the big screen and the API call."""
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...accounts.models import Organisation
from ...auth import is_admin, regulator_of
from ...errors import DomainError, Forbidden
from ...extensions import db
from ...jurisdiction import area_prefix, in_jurisdiction, jurisdiction_code
from ...regulatory.batches.forms import STREAM_CHOICES
from ...regulatory.models import Division
from .definitions import BY_NAME, DATE_RULE, PARTY_LABELS, QUANTITY_RULE, UNIT, VERSION
from .models import StatisticFigure

MEASURES = tuple(BY_NAME)
GROUPS = ("stream", "code", "category", "district", "township", "organisation", "month", "quarter", "year")
_GRAMS_PER_TONNE = Decimal(1_000_000)
_TONNE_PLACES = Decimal("0.001")  # to the kilogram
_FIGURE = StatisticFigure


def definition(measure: str) -> dict:
    """The 统计口径 row of a measure: label, events, date, unit (and whose figure it is, the version)."""
    found = _measure(measure)
    return {"measure": found.name, "label": str(found.label), "events": str(found.events),
            "event_type": found.event_type, "date": str(DATE_RULE), "quantity": str(QUANTITY_RULE),
            "unit": UNIT, "booked_to": str(PARTY_LABELS[found.party]), "version": VERSION}


def definitions() -> list[dict]:
    """The whole 统计口径 table, in its order."""
    return [definition(name) for name in MEASURES]


def scope_division(user) -> str:
    """The division a user's figures are limited to: a county regulator's county, the city for a city regulator
    and for platform admins. Anyone else (enterprises, regulators of other cities) has no city statistics:
    Forbidden."""
    if is_admin(user):
        return jurisdiction_code()
    regulator = regulator_of(user)
    if regulator is None or not in_jurisdiction(regulator.jurisdiction_code):
        raise Forbidden(_("The city's statistics are for its regulators."))
    return regulator.jurisdiction_code


def division_within(scope: str, division: str | None) -> str:
    """The division asked for, checked against the user's scope (None: the whole scope). A division outside the
    scope is Forbidden: a county regulator does not see another county, not even as an empty table."""
    if division is None or division == scope:
        return scope
    if not (division.isdigit() and len(division) in (6, 9, 12)) or not in_jurisdiction(division):
        message = _("Choose the city, one of its districts or townships.")
        raise DomainError(message, fields={"division": message})
    if not division.startswith(area_prefix(scope)):
        raise Forbidden(_("This division lies outside your jurisdiction."))
    return division


def _measure(name: str):
    if name not in BY_NAME:
        message = _("Unknown measure.")
        raise DomainError(message, fields={"measure": message})
    return BY_NAME[name]


# the aggregate's columns behind each grouping, built once: a figure is read on every dashboard refresh
_GROUP_COLUMNS = {
    "stream": (_FIGURE.stream,), "code": (_FIGURE.waste_code,), "category": (_FIGURE.category,),
    "district": (_FIGURE.district_code,), "township": (_FIGURE.township_code,),
    "organisation": (_FIGURE.organisation_id,), "month": (_FIGURE.year, _FIGURE.month),
    "quarter": (_FIGURE.year, ((_FIGURE.month + 2) // 3).label("quarter")), "year": (_FIGURE.year,),
}


def _group_columns(group: str) -> tuple:
    return _GROUP_COLUMNS[group]


def _key(group: str, values: list):
    if group == "month":
        return f"{values[0]:04d}-{values[1]:02d}"
    if group == "quarter":
        return f"{values[0]:04d}-Q{int(values[1])}"
    if group == "year":
        return f"{values[0]:04d}"
    return values[0]


def _division_filter(division: str):
    if division == jurisdiction_code():
        return _FIGURE.district_code.startswith(area_prefix(division))
    if len(division) == 6:
        return _FIGURE.district_code == division
    return _FIGURE.township_code == division


def figures(measure: str, group_by: Sequence[str] = (), *, start: date | None = None, end: date | None = None,
            division: str | None = None, stream: str | None = None, code: str | None = None,
            organisation_id: int | None = None) -> list[dict]:
    """Tonnes of the measure, grouped: one dict per group with the group_by keys and "tonnes" (Decimal, to the
    kg) and "grams" (int). start and end are China days, both included; division is the city (default), a
    district or a township; keys: month "2026-09", quarter "2026-Q3", year "2026", organisation its id."""
    _measure(measure)
    unknown = [g for g in group_by if g not in GROUPS]
    if unknown or len(set(group_by)) != len(group_by):
        message = _("Group by any of: %(groups)s, each once.", groups=", ".join(GROUPS))
        raise DomainError(message, fields={"group_by": message})
    columns = [column for group in group_by for column in _group_columns(group)]
    query = (select(*columns, func.sum(_FIGURE.grams))
             .where(_FIGURE.measure == measure, _division_filter(division or jurisdiction_code())))
    for column, value in ((_FIGURE.stream, stream), (_FIGURE.waste_code, code),
                          (_FIGURE.organisation_id, organisation_id)):
        if value is not None:
            query = query.where(column == value)
    if start is not None:
        query = query.where(_FIGURE.day >= start)
    if end is not None:
        query = query.where(_FIGURE.day <= end)
    if columns:
        query = query.group_by(*columns).order_by(*columns)
    return [_row(group_by, list(values)) for values in db.session.execute(query)]


def _row(group_by: Sequence[str], values: list) -> dict:
    row = {}
    for group in group_by:
        width = len(_group_columns(group))
        row[group], values = _key(group, values[:width]), values[width:]
    grams = int(values[0] or 0)
    row["grams"] = grams
    row["tonnes"] = (Decimal(grams) / _GRAMS_PER_TONNE).quantize(_TONNE_PLACES)
    return row


# --- year on year, and names for readers ----------------------------------------------------------

PERIOD_GROUPS = ("month", "quarter", "year")


def _year_earlier(day: date) -> date:
    return day.replace(year=day.year - 1) if not (day.month == 2 and day.day == 29) else day.replace(
        year=day.year - 1, day=28)


def _shift_key(group: str, key: str) -> str:
    """A period key one year later: 2025-09 → 2026-09, 2025-Q3 → 2026-Q3, 2025 → 2026."""
    return f"{int(key[:4]) + 1:04d}{key[4:]}" if group in PERIOD_GROUPS else key


def year_on_year(measure: str, group_by: Sequence[str], *, start: date, end: date, **filters) -> list[dict]:
    """figures() for [start, end] with, per row, the same group's tonnes a year earlier ("previous_tonnes",
    Decimal or None when there was none) and the change in percent ("change_percent", Decimal or None)."""
    rows = figures(measure, group_by, start=start, end=end, **filters)
    earlier = figures(measure, group_by, start=_year_earlier(start), end=_year_earlier(end), **filters)
    before = {tuple(_shift_key(g, row[g]) for g in group_by): row["tonnes"] for row in earlier}
    for row in rows:
        previous = before.get(tuple(row[g] for g in group_by))
        row["previous_tonnes"] = previous
        row["change_percent"] = ((row["tonnes"] - previous) * 100 / previous).quantize(Decimal("0.1")) \
            if previous else None
    return rows


def names_for(rows: list[dict]) -> dict[str, dict]:
    """Readers' names of the codes and ids in rows: {"district": {code: name}, "township": …, "organisation":
    {id: name}, "stream": {stream: label}}."""
    divisions = {row.get(key) for row in rows for key in ("district", "township")} - {None}
    organisations = {row["organisation"] for row in rows if row.get("organisation") is not None}
    division_names = dict(db.session.execute(select(Division.code, Division.name).where(
        Division.code.in_(divisions))).tuples().all()) if divisions else {}
    organisation_names = dict(db.session.execute(select(Organisation.id, Organisation.name).where(
        Organisation.id.in_(organisations))).tuples().all()) if organisations else {}
    return {"district": division_names, "township": division_names, "organisation": organisation_names,
            "stream": {code: str(label) for code, label in STREAM_CHOICES}}
