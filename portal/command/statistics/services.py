"""Reading the statistics: figures() over the aggregates, the 统计口径 row of a measure, and the division a user's
figures are limited to. The interface the dashboards, the big screen and the API call."""
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from ...auth import is_admin, regulator_of
from ...errors import DomainError, Forbidden
from ...extensions import db
from ...jurisdiction import area_prefix, in_jurisdiction, jurisdiction_code
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


def _group_columns(group: str) -> list:
    return {
        "stream": [_FIGURE.stream], "code": [_FIGURE.waste_code], "category": [_FIGURE.category],
        "district": [_FIGURE.district_code], "township": [_FIGURE.township_code],
        "organisation": [_FIGURE.organisation_id], "month": [_FIGURE.year, _FIGURE.month],
        "quarter": [_FIGURE.year, ((_FIGURE.month + 2) // 3).label("quarter")], "year": [_FIGURE.year],
    }[group]


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
