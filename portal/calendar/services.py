"""Working days in China: Monday to Friday, except the official holidays, plus the weekend days worked in
exchange (调休). Every deadline of the platform (manifest receipt, public reports …) is counted here.

Only the exceptions are stored (CalendarDay). A year without any stored exception is "not covered": its
days follow the weekend rule alone, which is right for most days and wrong around the holidays, so a
warning is logged (once per year and process) and administrators see the year flagged on their page.
"""
import csv
import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import delete, extract, func, insert, select

from ..audit import record, snapshot
from ..clock import CHINA, china_date, china_today
from ..errors import DomainError, NotFound
from ..extensions import db
from .models import KIND_LABELS, CalendarDay, DayKind, DaySource

DATA_FILE = Path(__file__).parent / "data" / "cn_holidays.csv"
# About ten years of working days: far beyond any legal deadline, and a bound on the day-by-day loops.
MAX_WORKING_DAYS = 2500
AUDITED = ("day", "kind", "name", "source")

log = logging.getLogger(__name__)
_warned_years: set[int] = set()


# --- bundled data -------------------------------------------------------------------------------

def _bundled_rows() -> dict[date, tuple[DayKind, str]]:
    with DATA_FILE.open(encoding="utf-8", newline="") as fh:
        return {date.fromisoformat(r["day"]): (DayKind(r["kind"]), r["name"]) for r in csv.DictReader(fh)}


def load_bundled_calendar() -> int:
    """Bring the bundled State Council arrangements into the table; return how many rows changed.

    Idempotent: a second run changes nothing. Rows an administrator added are kept as they are, even on a
    day the bundled file also lists. The caller commits."""
    wanted = _bundled_rows()
    existing = {row.day: row for row in db.session.scalars(select(CalendarDay))}
    missing, changed = [], 0
    for day, (kind, name) in wanted.items():
        row = existing.get(day)
        if row is None:
            missing.append({"day": day, "kind": kind, "name": name, "source": DaySource.BUNDLED})
        elif row.source == DaySource.BUNDLED and (row.kind, row.name) != (kind, name):
            row.kind, row.name = kind, name
            changed += 1
    if missing:
        db.session.execute(insert(CalendarDay), missing)
    stale = [day for day, row in existing.items() if row.source == DaySource.BUNDLED and day not in wanted]
    if stale:
        db.session.execute(delete(CalendarDay).where(CalendarDay.day.in_(stale)))
    db.session.flush()
    return changed + len(missing) + len(stale)


# --- counting working days ----------------------------------------------------------------------

def _year_exceptions(year: int) -> dict[date, DayKind]:
    rows = db.session.execute(select(CalendarDay.day, CalendarDay.kind).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))).all()
    if not rows and year not in _warned_years:
        _warned_years.add(year)
        log.warning("working-day calendar has no data for %s: counting by the weekend rule only", year)
    return {day: DayKind(kind) for day, kind in rows}


class _Calendar:
    """The stored exceptions, read one year at a time on first use, for the span of one computation
    (never cached longer: administrators may change a year at any moment, on any worker)."""

    def __init__(self):
        self._years: dict[int, dict[date, DayKind]] = {}

    def is_working_day(self, day: date) -> bool:
        if day.year not in self._years:
            self._years[day.year] = _year_exceptions(day.year)
        kind = self._years[day.year].get(day)
        if kind is not None:
            return kind == DayKind.WORKDAY
        return day.weekday() < 5


def is_working_day(day: date) -> bool:
    """Whether people work on this day in mainland China."""
    return _Calendar().is_working_day(day)


def _check_count(n) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or abs(n) > MAX_WORKING_DAYS:
        message = _("Must be a whole number between -%(max)s and %(max)s.", max=MAX_WORKING_DAYS)
        raise DomainError(message, fields={"n": message})
    return n


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after start (before it when n is negative); start itself when n is 0.
    Whether start is a working day does not matter: counting begins with the next day."""
    remaining, step = abs(_check_count(n)), timedelta(days=1 if n >= 0 else -1)
    calendar, day = _Calendar(), start
    while remaining:
        day += step
        if calendar.is_working_day(day):
            remaining -= 1
    return day


def working_days_between(a: date, b: date) -> int:
    """The working days after a up to and including b; when b is before a, minus the working days from b
    up to the day before a. Either way working_days_between(a, add_working_days(a, n)) == n."""
    if abs((b - a).days) > MAX_WORKING_DAYS * 2:
        message = _("The dates are too far apart.")
        raise DomainError(message, fields={"to": message})
    calendar = _Calendar()
    if b < a:
        return -sum(calendar.is_working_day(b + timedelta(days=i)) for i in range((a - b).days))
    return sum(calendar.is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


def deadline(start: datetime, n: int) -> datetime:
    """The end (23:59:59.999999, Asia/Shanghai) of the n-th working day after the day of start, in UTC.
    A deadline has passed when now > deadline(…)."""
    last_day = add_working_days(china_date(start), n)
    return datetime.combine(last_day, time.max, tzinfo=CHINA).astimezone(UTC)


# --- coverage -----------------------------------------------------------------------------------

def _year_column():
    return extract("year", CalendarDay.day)


def known_years() -> list[int]:
    """The years with at least one stored holiday or make-up day (bundled or added by an admin)."""
    year = _year_column()
    return [int(y) for y in db.session.scalars(select(year).group_by(year).order_by(year))]


def is_year_covered(year: int) -> bool:
    return db.session.scalar(select(func.count()).select_from(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))) > 0


@dataclass
class YearCoverage:
    year: int
    holidays: int = 0
    workdays: int = 0
    bundled: int = 0
    admin: int = 0

    @property
    def covered(self) -> bool:
        return self.holidays + self.workdays > 0


def year_coverage() -> list[YearCoverage]:
    """Per year, newest first: the stored days by kind and source. The current and the next year are
    always listed, so that a year nobody has entered yet shows up as not covered."""
    year = _year_column()
    rows = db.session.execute(select(year, CalendarDay.kind, CalendarDay.source, func.count())
                              .group_by(year, CalendarDay.kind, CalendarDay.source)).all()
    today = china_today()
    summary = {y: YearCoverage(y) for y in (today.year, today.year + 1)}
    for y, kind, source, count in rows:
        entry = summary.setdefault(int(y), YearCoverage(int(y)))
        if DayKind(kind) == DayKind.HOLIDAY:
            entry.holidays += count
        else:
            entry.workdays += count
        if DaySource(source) == DaySource.BUNDLED:
            entry.bundled += count
        else:
            entry.admin += count
    return sorted(summary.values(), key=lambda c: c.year, reverse=True)


def days_of_year_query(year: int, kind: str | None = None):
    """The stored days of a year in date order, optionally of one kind (for pagination)."""
    query = select(CalendarDay).where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
    if kind:
        query = query.where(CalendarDay.kind == DayKind(kind))
    return query.order_by(CalendarDay.day)


# --- administration -----------------------------------------------------------------------------

def add_calendar_day(actor, day: date, kind: str, name: str) -> CalendarDay:
    """Record a holiday or a make-up working day for a date not marked yet. The caller commits."""
    name = (name or "").strip()
    if kind not in KIND_LABELS:
        raise DomainError(_("Choose a public holiday or a make-up working day."),
                          fields={"kind": _("Choose a public holiday or a make-up working day.")})
    if not name:
        raise DomainError(_("Name the holiday."), fields={"name": _("Name the holiday.")})
    existing = db.session.get(CalendarDay, day)
    if existing is not None:
        message = _("%(day)s is already marked: %(kind)s, %(name)s.", day=day.isoformat(),
                    kind=KIND_LABELS[existing.kind], name=existing.name)
        raise DomainError(message, fields={"day": message}, code="conflict", status=409)
    if kind == DayKind.WORKDAY and day.weekday() < 5:
        message = _("%(day)s is a weekday and already a working day; only a Saturday or Sunday can be a "
                    "make-up working day.", day=day.isoformat())
        raise DomainError(message, fields={"kind": message})
    row = CalendarDay(day=day, kind=DayKind(kind), name=name, source=DaySource.ADMIN,
                      created_by_id=getattr(actor, "id", None))
    db.session.add(row)
    db.session.flush()
    record("calendar.day_added", row, after=snapshot(row, AUDITED), actor=actor, object_id=day.isoformat())
    return row


def remove_calendar_day(actor, day: date) -> None:
    """Remove a day an administrator added. Bundled days are the State Council's and would come back with
    the next reload, so they cannot be removed. The caller commits."""
    row = db.session.get(CalendarDay, day)
    if row is None:
        raise NotFound(_("%(day)s is not marked in the calendar.", day=day.isoformat()))
    if row.source != DaySource.ADMIN:
        raise DomainError(_("%(day)s comes from the State Council notice and cannot be removed.",
                            day=day.isoformat()), code="conflict", status=409)
    before = snapshot(row, AUDITED)
    db.session.delete(row)
    record("calendar.day_removed", object_type=CalendarDay.__tablename__, object_id=day.isoformat(),
           before=before, actor=actor)
