"""The one place for the rules that convert and bound numbers, dates and page numbers from user input.

The API's pydantic schemas (portal/api/schemas.py) and the WTForms forms both take their bounds from here,
so a value refused by a form is refused by the API with the same limit, and no value can reach the
database outside a column's range (an int32 id on PostgreSQL, a bigint on SQLite) or turn into a
nonsensical document (a production date in year 0999 made a 36-character container code).
"""
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Annotated

from flask import abort, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pydantic import AfterValidator, Field
from werkzeug.routing import IntegerConverter
from wtforms.validators import NumberRange, ValidationError

from .clock import CHINA, china_today

INT32_MAX = 2**31 - 1  # Integer columns (every id) are int4 on PostgreSQL
MAX_GRAMS = 10**15  # a billion tonnes: more than any one record, far below a bigint
# grams held in an Integer column (batches, containers, facilities, manifest lines, declared figures):
# int4 on PostgreSQL, so at most 2147 t in one record; more is refused, not sent to the database to fail
MAX_RECORD_GRAMS = INT32_MAX
MAX_FEN = 10**13  # a hundred billion yuan
MAX_PAGE = 10_000  # list pages; deeper than this nobody reads, and OFFSET stays small
MAX_QUANTITY = Decimal(MAX_GRAMS) / 1000  # a typed quantity in any unit; services refuse more than MAX_GRAMS g
EARLIEST_EVENT = date(2000, 1, 1)  # the platform records nothing that happened before this
LATEST_PLAN = date(2099, 12, 31)
# render_kw of a field where a waste code is typed: static/js/waste-code-picker.js offers catalogue suggestions
WASTE_CODE_PICKER = {"data-waste-code-picker": "one"}

def latest_event_day() -> date:
    """A day's grace after China's today: a device or user in another zone is not refused at midnight."""
    return china_today() + timedelta(days=1)


def event_date_error(value: date) -> str | None:
    """Why a date of something that happened (generated, weighed, treated) is refused, or None."""
    if value < EARLIEST_EVENT:
        return _("Give a date from %(first)s on.", first=EARLIEST_EVENT.isoformat())
    if value > latest_event_day():
        return _("This date is in the future.")
    return None


def event_datetime_error(value: datetime) -> str | None:
    return event_date_error(value.astimezone(CHINA).date() if value.tzinfo else value.date())


# --- pydantic: the types the API schemas use ---------------------------------------------------

def _check_event_date(value: date) -> date:
    if message := event_date_error(value):
        raise ValueError(message)
    return value


def _check_event_datetime(value: datetime) -> datetime:
    if message := event_datetime_error(value):
        raise ValueError(message)
    return value


Id = Annotated[int, Field(ge=1, le=INT32_MAX)]
RecordGrams = Annotated[int, Field(ge=0, le=MAX_RECORD_GRAMS)]  # grams of one batch, line or declared figure
Fen = Annotated[int, Field(ge=-MAX_FEN, le=MAX_FEN)]
Quantity = Annotated[Decimal, Field(gt=0, le=MAX_QUANTITY, max_digits=18, decimal_places=6,
                                    allow_inf_nan=False)]
# dates where the law means "when it happened": 2000-01-01 to tomorrow in China
EventDate = Annotated[date, AfterValidator(_check_event_date)]
EventDateTime = Annotated[datetime, AfterValidator(_check_event_datetime)]
# planned or validity dates: a sane window, no year 0999 and no year 9999
PlanDate = Annotated[date, Field(ge=EARLIEST_EVENT, le=LATEST_PLAN)]


# --- WTForms: the same rules as validators -------------------------------------------------------

class EventDateRange:
    """WTForms validator: the date of something that happened (2000-01-01 up to tomorrow in China)."""

    def __call__(self, form, field):
        if field.data is not None and (message := event_date_error(field.data)):
            raise ValidationError(message)


class PlanDateRange:
    """WTForms validator: a planned or validity date within 2000–2099 (no year 0999, no year 9999)."""

    def __call__(self, form, field):
        if field.data is not None and not EARLIEST_EVENT <= field.data <= LATEST_PLAN:
            raise ValidationError(_("Give a date between %(first)s and %(last)s.", first=EARLIEST_EVENT.isoformat(),
                                    last=LATEST_PLAN.isoformat()))


def quantity_range(minimum=0) -> NumberRange:
    """A quantity typed in a form (kg, t or a unit): a number the grams column can hold."""
    return NumberRange(min=minimum, max=MAX_QUANTITY, message=_l("Enter a quantity from %(min)s to %(max)s."))


def yuan_range() -> NumberRange:
    """A price or amount typed in 元 (negative for a gate fee): what the fen columns can hold."""
    return NumberRange(min=-MAX_FEN / 100, max=MAX_FEN / 100, message=_l("This amount is out of range."))


def fen_range() -> NumberRange:
    """A price or amount in fen, negative for a gate fee."""
    return NumberRange(min=-MAX_FEN, max=MAX_FEN, message=_l("This amount is out of range."))


class IdRange(NumberRange):
    """An id typed or chosen in a form: a positive int32, as the database stores it."""

    def __init__(self):
        super().__init__(min=1, max=INT32_MAX, message=_l("Not a valid number."))


# --- URLs and list pages ------------------------------------------------------------------------

def has_nul(value) -> bool:
    """A NUL character anywhere in a string, or in the keys and values of parsed JSON."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(has_nul(k) or has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_nul(v) for v in value)
    return False


def refuse_nul_characters():
    """before_request, app-wide: PostgreSQL cannot store or even compare a text containing NUL, so such a path,
    query or form value is a 400 for every route, before any view hands it to the database."""
    if "\x00" in request.path or any(has_nul(k) or has_nul(v) for source in (request.args, request.form)
                                      for k, v in source.items(multi=True)):
        abort(400)

class BoundedIntConverter(IntegerConverter):
    """Flask's `int` converter limited to 1..2^31-1: any larger id cannot exist, so it answers 404 rather
    than reaching the database (PostgreSQL refuses it with an error, SQLite beyond 2^63 too)."""

    def __init__(self, map, *args, **kwargs):
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", INT32_MAX)
        super().__init__(map, *args, **kwargs)


def page_arg(args, name: str = "page") -> int:
    """The ?page= of an HTML list, clamped to 1..MAX_PAGE; anything that is not a whole number is page 1."""
    raw = (args.get(name) or "").strip()
    value = int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1
    return min(max(value, 1), MAX_PAGE)


